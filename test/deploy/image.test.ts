// SPDX-License-Identifier: Apache-2.0
// deploy/image/Dockerfile, proven without a container runtime: its final stage is laid out from the
// build outputs exactly as its COPY/WORKDIR/ENV/USER/ENTRYPOINT say (image-layout.ts), and the
// three ways deploy/ runs the image are run from that layout alone (checkout hidden, clean env):
// `manage --provider fs` and a socket `proxy -m` as the image's non-root user, one packet through,
// and `proxy xdp` as root in network namespaces of our own, one packet through. A path the
// Dockerfile forgets to copy makes one of these fail.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { defaultEndpoints, type Proxy, runClient, SERVER_PORTS, Servers, startXdpProxy, teardown, topology } from '../integration/xdp-topology';
import { eventually, freePort, udpClient, udpServer, type UdpPeer } from '../support/net';
import { type QuilkinProcess, startQuilkin, stopAllQuilkin } from '../support/proxy-process';
import { repoRoot } from '../support/repo';
import type { Star } from '../support/netns';
import { parseDockerfile } from './dockerfile';
import { imageCommand, type ImageLayout, layOutImage } from './image-layout';

const DOCKERFILE = 'deploy/image/Dockerfile';
/** In every node:*-slim image already (node itself links them). */
const BASE_IMAGE_PACKAGES = ['libc6', 'libstdc++6', 'libgcc-s1'];
/** The image's Node major is the one CI runs the full suite on (scripts/test.sh). */
const CI_NODE_MAJOR = 24;

function uidOf(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[1]);
}

/** The Debian package of a library, by its ldd path or (usrmerge: /lib vs /usr/lib) its real path. */
function owningPackage(lib: string): string {
  for (const candidate of [lib, fs.realpathSync(lib), lib.replace(/^\/lib\//, '/usr/lib/')]) {
    try {
      return execFileSync('dpkg', ['-S', candidate], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[0];
    } catch {
      // Not under this name in dpkg's database: try the next spelling.
    }
  }
  throw new Error(`no Debian package owns ${lib}`);
}

/** A config file the image's user can read, outside the checkout. */
function writeReadable(layout: ImageLayout, name: string, text: string): string {
  const file = path.join(path.dirname(layout.root), name);
  fs.writeFileSync(file, text, { mode: 0o644 });
  return file;
}

describe('container image (deploy/image/Dockerfile) from its file layout', function () {
  this.timeout(240000);
  let layout: ImageLayout | undefined;

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('    skipped: laying out and running the image needs root (mount namespace, setpriv)');
      this.skip();
    }
    layout = layOutImage(DOCKERFILE);
  });

  after(() => layout?.remove());

  it('builds on a supported Node LTS, the one CI tests fully, and runs as a non-root user', () => {
    const stages = parseDockerfile(fs.readFileSync(path.join(repoRoot(), DOCKERFILE), 'utf8'));
    const floor = Number(
      /(\d+)/.exec((JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node)?.[1],
    );
    for (const stage of stages) {
      const major = Number(/^node:(\d+)-/.exec(stage.base)?.[1]);
      expect(major, stage.base).to.equal(CI_NODE_MAJOR);
      expect(major, stage.base).to.be.at.least(floor);
    }
    expect(stages[stages.length - 1].base).to.match(/-slim$/);
    expect(layout!.user).to.equal('65532:65532');
  });

  it('ships no dev dependencies, and every shared library the addon links comes from an installed package', () => {
    const modules = fs.readdirSync(layout!.file(path.posix.join(layout!.workdir, 'node_modules')));
    for (const dev of ['typescript', 'mocha', 'chai', 'fast-check', 'kubernetes-models']) expect(modules, dev).to.not.include(dev);
    const addon = layout!.file('/app/native/build/Release/quilkin_native.node');
    const libs = execFileSync('ldd', [addon], { encoding: 'utf8' })
      .split('\n')
      .map((l) => /=>\s+(\S+)/.exec(l)?.[1])
      .filter((l): l is string => l !== undefined);
    expect(libs.join(), 'ldd resolved every library').to.not.include('not found');
    const packages = libs.map(owningPackage);
    const allowed = new Set([...layout!.aptPackages, ...BASE_IMAGE_PACKAGES]);
    expect(
      packages.filter((p) => !allowed.has(p)),
      'libraries from packages the image does not install',
    ).to.deep.equal([]);
    expect(
      layout!.aptPackages.filter((p) => !packages.includes(p)),
      'installed but not linked',
    ).to.deep.equal([]);
  });

  describe('manage --provider fs and proxy -m, as the image user', () => {
    let server: UdpPeer;
    let client: UdpPeer & { send(data: Buffer | string, port: number): void };
    let manage: QuilkinProcess;
    let proxy: QuilkinProcess;
    let proxyPort: number;

    before(async () => {
      server = await udpServer('echo');
      client = await udpClient();
      const config = writeReadable(layout!, 'manage.yaml', `version: v1alpha1\nclusters:\n  - endpoints:\n      - address: "127.0.0.1:${server.port}"\n`);
      const xdsPort = await freePort();
      const run = { cwd: layout!.file(layout!.workdir) };
      manage = await startQuilkin(['-c', config, 'manage', '--provider', 'fs', '--port', String(xdsPort)], { ...run, command: imageCommand(layout!, []) });
      proxyPort = await freePort();
      const qcmpPort = await freePort();
      proxy = await startQuilkin(['proxy', '-m', `http://127.0.0.1:${xdsPort}`, '-p', String(proxyPort), '-q', String(qcmpPort)], {
        ...run,
        command: imageCommand(layout!, []),
      });
    });

    after(async () => {
      await stopAllQuilkin();
      await Promise.all([server?.close(), client?.close()]);
    });

    it('run as uid 65532 with the native socket backend', async () => {
      expect(uidOf(manage.child.pid!)).to.equal(65532);
      expect(uidOf(proxy.child.pid!)).to.equal(65532);
      const config = JSON.parse((await proxy.get('/config')).body) as { proxy: { backend: string } };
      expect(config.proxy.backend).to.equal('socket');
    });

    it('forward a packet to the endpoint manage serves over xDS, and its reply back', async () => {
      await eventually(
        async () => {
          client.send('through the image', proxyPort);
          await new Promise((r) => setTimeout(r, 100));
          return client.received.length > 0;
        },
        15000,
        'a reply through manage + proxy from the image layout',
      );
      expect(server.received[0].data.toString()).to.equal('through the image');
      expect(client.received[0].data.toString()).to.equal('through the image');
    });
  });

  describe('proxy xdp, as root in network namespaces', () => {
    let star: Star | undefined;
    let proxy: Proxy | undefined;
    let servers: Servers;

    before(async function () {
      skipWithoutBpf(this);
      star = topology(86);
      servers = new Servers(star);
      await servers.ready();
      const [endpoint] = defaultEndpoints(star);
      const config = writeReadable(layout!, 'xdp.yaml', `version: v1alpha1\nclusters:\n  - endpoints:\n      - address: "${endpoint.address}"\n`);
      proxy = await startXdpProxy(star, config, { command: imageCommand(layout!, [], { asRoot: true }), args: ['--xdp.force'] });
    });

    after(async () => {
      servers?.stop();
      await teardown(proxy, star);
    });

    it('forwards a packet through the XDP path and its reply back', async () => {
      const run = await runClient(star!, star!.host('prx').ipv4, 1, 10, ['via xdp']);
      expect(run.sent).to.equal(1);
      expect(servers.on(SERVER_PORTS[0])).to.deep.equal(['0:via xdp']);
      expect(run.replies).to.deep.equal(['0:via xdp']);
    });
  });
});
