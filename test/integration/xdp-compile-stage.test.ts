// SPDX-License-Identifier: Apache-2.0
// `proxy xdp` publishes what the compile stage made, as the socket backend does: the Debug filter
// logs from the AF_XDP workers, and an endpoint given by DNS name keeps its answer across reloads
// (no reload publishes it unresolved), so a paced sender loses nothing while the file changes.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import type { Star } from '../support/netns';
import { type Proxy, runClient, SERVER_PORTS, Servers, startXdpProxy, teardown, topology, writeConfig } from './xdp-topology';

const GAME_SERVER_NAME = 'game-server.qk.test';

function config(round: number): string {
  return `version: v1alpha1
filters:
  - name: quilkin.filters.debug.v1alpha1.Debug
    config: { id: "probe-${round}" }
clusters:
  - endpoints:
      - address: "${GAME_SERVER_NAME}:${SERVER_PORTS[0]}"
`;
}

describe('proxy xdp: the compile stage (Debug logs, DNS endpoints across reloads)', function () {
  this.timeout(90000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers;
  let configFile: string;
  let etcDir: string | undefined;

  before(async function () {
    skipWithoutBpf(this);
    star = topology(89);
    // `ip netns exec` mounts /etc/netns/<ns>/* over /etc: the proxy's namespace gets its own hosts
    // file naming the server, and a resolver on its own loopback (nothing listens: no query leaves).
    etcDir = path.join('/etc/netns', star.host('prx').ns);
    fs.mkdirSync(etcDir, { recursive: true });
    fs.writeFileSync(path.join(etcDir, 'hosts'), `127.0.0.1 localhost\n::1 localhost\n${star.host('srv').ipv4} ${GAME_SERVER_NAME}\n`);
    fs.writeFileSync(path.join(etcDir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    servers = new Servers(star);
    await servers.ready();
    configFile = writeConfig(config(0));
    proxy = await startXdpProxy(star, configFile);
  });

  after(async () => {
    try {
      await teardown(proxy, star);
    } finally {
      if (etcDir) fs.rmSync(etcDir, { recursive: true, force: true });
    }
  });

  it('logs Debug filter events from the AF_XDP workers', async () => {
    const run = await runClient(star!, star!.host('prx').ipv4, 5, 20, ['debug-me']);
    expect(run.replies.filter((t) => t.endsWith('debug-me'))).to.have.length(5);
    await proxy!.waitFor('"Write filter event"', 5000);
    const events = proxy!
      .output()
      .split('\n')
      .filter((l) => l.includes('filter event') && l.includes('"probe-0"'));
    expect(events.filter((l) => l.includes('"Read filter event"') && l.includes('debug-me'))).to.have.length(5);
    expect(events.filter((l) => l.includes('"Write filter event"') && l.includes('debug-me'))).to.have.length(5);
  });

  it('a DNS endpoint loses no packet of a paced sender across 20 reloads', async () => {
    const count = 500;
    const intervalMs = 6;
    const running = runClient(star!, star!.host('prx').ipv4, count, intervalMs, ['paced'], 2000);
    for (let round = 1; round <= 20; round++) {
      await new Promise((r) => setTimeout(r, (count * intervalMs) / 24));
      writeConfig(config(round), configFile);
    }
    const run = await running;
    await proxy!.waitFor('"probe-20"', 5000);
    expect(run.sent).to.equal(count);
    expect(
      run.replies.filter((t) => t.endsWith('paced')),
      'replies to the paced sender',
    ).to.have.length(count);
    expect(proxy!.output()).to.not.include('did not resolve');
  });
});
