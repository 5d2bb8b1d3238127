// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy xdp` where XDP cannot attach (another program already holds the interface): the
// proxy says which step failed, serves traffic on a socket backend and shows the fallback in
// /config; with --xdp.force it exits non-zero instead. A proxy killed with SIGKILL leaves nothing
// attached (its BPF link goes with it); a netlink attachment of ours (an older proxy's) is
// recognised at the next start and removed.
import * as path from 'node:path';
import { expect } from 'chai';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import type { Star } from '../support/netns';
import { repoRoot } from '../support/repo';
import {
  adminGet,
  defaultEndpoints,
  embarkConfig,
  embarkPayload,
  runClient,
  SERVER_PORTS,
  Servers,
  startProxy,
  TOKENS,
  topology,
  writeConfig,
  xdpAttachment,
} from './xdp-topology';

describe('proxy xdp: fallback, --xdp.force and stale attachments', function () {
  this.timeout(90000);
  let star: Star | undefined;
  let servers: Servers;
  let configFile: string;

  before(async function () {
    skipWithoutBpf(this);
    star = topology(83);
    servers = new Servers(star);
    await servers.ready();
    configFile = writeConfig(embarkConfig(defaultEndpoints(star)));
  });

  after(function () {
    star?.destroy();
  });

  it('falls back to a socket backend when the interface holds another XDP program, and says why', async function () {
    const dev = star!.host('prx').dev;
    const foreign = path.join(repoRoot(), 'bpf', 'obj', 'xdp_pass.bpf.o');
    star!.exec('prx', ['ip', 'link', 'set', 'dev', dev, 'xdpgeneric', 'obj', foreign, 'sec', 'xdp']);
    const proxy = startProxy(star!, configFile);
    try {
      await proxy.waitFor('Quilkin is ready');
      expect(proxy.output()).to.include('xdp detection failed');
      expect(proxy.output()).to.match(/attach native: [^"]*another XDP program/);
      const config = JSON.parse(adminGet(star!, '/config')) as { proxy: { backend: string; fallbacks: string[] } };
      // The next in line: the native socket backend, running the same chain on the engine.
      expect(config.proxy.backend, proxy.output()).to.equal('socket');
      expect(config.proxy.fallbacks[0]).to.match(/^xdp: .*attach/);
      const before = servers.received.length;
      const run = await runClient(star!, star!.host('prx').ipv4, 5, 20, [embarkPayload('fallback', TOKENS[0])]);
      expect(servers.received.slice(before).filter((r) => r.port === SERVER_PORTS[0])).to.have.length(5);
      expect(run.replies).to.have.length(5);
    } finally {
      await proxy.stop();
      // The foreign program is not ours: still there, untouched.
      expect(xdpAttachment(star!)).to.not.equal(undefined);
      star!.exec('prx', ['ip', 'link', 'set', 'dev', dev, 'xdpgeneric', 'off']);
    }
  });

  it('exits non-zero with --xdp.force when XDP cannot attach', async function () {
    const dev = star!.host('prx').dev;
    const foreign = path.join(repoRoot(), 'bpf', 'obj', 'xdp_pass.bpf.o');
    star!.exec('prx', ['ip', 'link', 'set', 'dev', dev, 'xdpgeneric', 'obj', foreign, 'sec', 'xdp']);
    const proxy = startProxy(star!, configFile, { args: ['--xdp.force'] });
    try {
      const code = await Promise.race([proxy.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20000))]);
      expect(code).to.not.equal('timeout');
      expect(code).to.not.equal(0);
      expect(proxy.output()).to.match(/backend xdp could not start: xdp: .*attach/);
    } finally {
      await proxy.stop('SIGKILL');
      star!.exec('prx', ['ip', 'link', 'set', 'dev', dev, 'xdpgeneric', 'off']);
    }
  });

  it('refuses copy mode when --xdp.zerocopy is required (veth has no zero-copy) and says so', async function () {
    const proxy = startProxy(star!, configFile, { args: ['--xdp.zerocopy', '--xdp.force'] });
    try {
      const code = await Promise.race([proxy.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20000))]);
      expect(code).to.not.equal('timeout');
      expect(code).to.not.equal(0);
      expect(proxy.output()).to.match(/zero-copy unsupported by the driver \(--xdp\.zerocopy\)/);
    } finally {
      await proxy.stop('SIGKILL');
    }
    // A failed start leaves nothing attached.
    expect(xdpAttachment(star!)).to.equal(undefined);
  });

  it('leaves nothing attached after SIGKILL (a BPF link), and removes a netlink attachment of ours left behind', async function () {
    const first = startProxy(star!, configFile);
    await first.waitFor('Quilkin is ready');
    expect(first.output()).to.include('ok (bpf link)');
    await first.stop('SIGKILL');
    expect(xdpAttachment(star!)).to.equal(undefined);
    // What an older proxy, attached through netlink and then killed, left on the interface.
    const dev = star!.host('prx').dev;
    const ours = path.join(repoRoot(), 'bpf', 'obj', 'xdp_redirect.bpf.o');
    star!.exec('prx', ['ip', 'link', 'set', 'dev', dev, 'xdpgeneric', 'obj', ours, 'sec', 'xdp']);
    expect(xdpAttachment(star!)).to.not.equal(undefined);
    const second = startProxy(star!, configFile);
    try {
      await second.waitFor('Quilkin is ready');
      expect(second.output()).to.include('stale attachment: removed qk_xdp_redirect');
      const config = JSON.parse(adminGet(star!, '/config')) as { proxy: { backend: string } };
      expect(config.proxy.backend).to.equal('xdp');
      const run = await runClient(star!, star!.host('prx').ipv4, 3, 20, [embarkPayload('after-kill', TOKENS[1])]);
      expect(run.replies).to.have.length(3);
    } finally {
      await second.stop();
      if (xdpAttachment(star!)) star!.exec('prx', ['ip', 'link', 'set', 'dev', dev, 'xdpgeneric', 'off']);
    }
    expect(xdpAttachment(star!)).to.equal(undefined);
  });
});
