// SPDX-License-Identifier: Apache-2.0
// The in-kernel fast path of `proxy xdp` end to end in network namespaces (client, proxy, server on
// one bridge; native and generic XDP on veth): with the Embark chain, a session's first packet
// goes to the AF_XDP worker, which installs the session; every later packet, both directions,
// IPv4 and IPv6, is forwarded by the XDP program (the worker sees only the first ones, the
// endpoints see the bare payloads, the client gets every reply with checksums its kernel accepts).
// Senders with checksum offload on (CHECKSUM_PARTIAL over veth) are served by tier 1, counted as
// `checksum` handoffs. A token change
// moves traffic within a second with no loss for other sessions; a chain that cannot be lowered
// runs in user space and /config says why; --xdp.fast-path off keeps everything in tier 1.
import { expect } from 'chai';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { labelledSample as metric } from '../support/metrics-text';
import { flowNextHopMacs } from '../../bpf/tests/bpftool';
import { Star } from '../support/netns';
import { eventually } from '../support/net';
import {
  adminGet,
  cli,
  defaultEndpoints,
  embarkConfig,
  embarkPayload,
  type Proxy,
  runClient,
  SERVER_PORTS,
  Servers,
  startXdpProxy,
  teardown,
  TOKENS,
  writeConfig,
} from './xdp-topology';

interface FastPathConfig {
  proxy: { fastPath: { tier: string; reason?: string; summary?: string } };
}

const SUITES = [
  { mode: 'native', subnet: 94, txChecksumOff: true },
  { mode: 'generic', subnet: 98, txChecksumOff: true },
  { mode: 'native', subnet: 99, txChecksumOff: false },
] as const;

for (const { mode, subnet, txChecksumOff } of SUITES) {
  const offload = txChecksumOff ? 'full checksums' : 'checksum offload on (partial checksums)';
  describe(`proxy xdp fast path (${mode} XDP, ${offload})`, function () {
    this.timeout(90000);
    let star: Star | undefined;
    let proxy: Proxy | undefined;
    let servers: Servers;
    let configFile: string;

    before(async function () {
      skipWithoutBpf(this);
      star = new Star({ prefix: 'qkfast', hosts: ['cli', 'prx', 'srv'], subnet: [77, subnet], txChecksumOff, peerRx: 'xdp' }).create();
      servers = new Servers(star);
      await servers.ready();
      // Neighbours resolved up front: first packets while they resolve take the kernel path
      // (tier 1's business, tested elsewhere), and this suite counts every packet.
      for (const peer of ['cli', 'srv'])
        for (const family of ['ipv4', 'ipv6'] as const) star.exec('prx', ['ping', '-c', '1', '-W', '2', star.host(peer)[family]]);
      configFile = writeConfig(embarkConfig(defaultEndpoints(star)));
      proxy = await startXdpProxy(star, configFile, { env: { QUILKIN_XDP_ATTACH_MODE: mode }, fastPath: 'auto' });
    });

    after(async function () {
      servers?.stop();
      await teardown(proxy, star);
    });

    it('says in /config and the start-up log that the kernel carries established sessions', function () {
      const config = JSON.parse(adminGet(star!, '/config')) as FastPathConfig;
      expect(config.proxy.fastPath.tier).to.equal('kernel');
      expect(config.proxy.fastPath.summary).to.match(/Capture.*TokenRouter/);
      expect(proxy!.output()).to.include('"fastPath":{"tier":"kernel"');
    });

    for (const family of ['ipv4', 'ipv6', 'ipv4', 'ipv6'] as const) {
      it(`forwards established sessions in the kernel over ${family} (new client sockets each time): the worker sees only first packets`, async function () {
        const before = servers.received.length;
        const m0 = adminGet(star!, '/metrics');
        const tag = `fast-${family}-${mode}-${txChecksumOff}-${Date.now() % 100000}`;
        const rounds = 200;
        const run = await runClient(star!, star!.host('prx')[family], rounds, 2, [embarkPayload(`${tag}-a`, TOKENS[0]), embarkPayload(`${tag}-b`, TOKENS[1])]);
        const got = servers.received.slice(before);
        // Capture removed version byte and token: the endpoints see the bare payloads, all of them.
        expect(got.filter((r) => r.port === SERVER_PORTS[0] && r.text.endsWith(`${tag}-a`))).to.have.length(rounds);
        expect(got.filter((r) => r.port === SERVER_PORTS[1] && r.text.endsWith(`${tag}-b`))).to.have.length(rounds);
        const missing = [...Array(rounds).keys()].flatMap((i) => [`${i}:${tag}-a`, `${i}:${tag}-b`]).filter((t) => !run.replies.includes(t));
        expect(missing, 'replies the client never got').to.deep.equal([]);
        const m1 = adminGet(star!, '/metrics');
        const grew = (name: string, labels = ''): number => metric(m1, name, labels) - metric(m0, name, labels);
        const fastRead = grew('quilkin_xdp_fast_path_packets_total', 'event="read"');
        const fastWrite = grew('quilkin_xdp_fast_path_packets_total', 'event="write"');
        const workerFrames = grew('quilkin_xdp_rx_packets_total');
        // A client family that differs from an endpoint's (ipv6 client, ipv4 endpoint) stays in
        // tier 1 by design; the same-family session is the one the kernel must carry.
        if (!txChecksumOff) {
          // Partial checksums: every packet goes to the workers, and says why.
          expect(fastRead + fastWrite).to.equal(0);
          // The first packet of the session found none (no_session); every later one a partial checksum.
          expect(grew('quilkin_xdp_fast_path_handoffs_total', 'event="read",reason="checksum"')).to.be.at.least(rounds - 1);
          return;
        }
        const kernelSessions = 1;
        // Until the worker has installed the flow (microseconds, longer on a loaded box) packets still
        // reach it: most, not all, go in the kernel.
        const carried = Math.floor(0.9 * rounds);
        expect(fastRead, m1).to.be.at.least(kernelSessions * carried);
        expect(fastWrite, m1).to.be.at.least(kernelSessions * carried);
        expect(workerFrames).to.be.at.most(2 * rounds * 2 - fastRead - fastWrite);
        // Edited in place and sent back out, no frame of the session was passed as damaged.
        expect(grew('quilkin_xdp_passed_packets_total', 'reason="truncated"')).to.equal(0);
        expect(grew('quilkin_xdp_passed_packets_total', 'reason="malformed"')).to.equal(0);
        // Same names as tier 1: the fast path's packets are in quilkin_packets_total too.
        expect(grew('quilkin_packets_total', 'event="read"')).to.be.at.least(2 * rounds);
        expect(grew('quilkin_packets_total', 'event="write"')).to.be.at.least(2 * rounds);
      });
    }

    if (mode !== 'native' || !txChecksumOff) return;

    it('moves traffic to a new token holder within a second, losing nothing of other sessions', async function () {
      const srv = star!.host('srv');
      const steady = runClient(star!, star!.host('prx').ipv4, 600, 5, [embarkPayload('steady', TOKENS[1])], 2000);
      const moving = runClient(star!, star!.host('prx').ipv4, 600, 5, [embarkPayload('moving', 'ccc')], 2000);
      await new Promise((r) => setTimeout(r, 800));
      // ccc starts routing to the first server: a token table write and a bank switch.
      const before = servers.received.length;
      const endpoints = [
        { address: `${srv.ipv4}:${SERVER_PORTS[0]}`, token: 'ccc' },
        { address: `[${srv.ipv6}]:${SERVER_PORTS[1]}`, token: TOKENS[1] },
      ];
      const changedAt = Date.now();
      writeConfig(embarkConfig(endpoints), configFile);
      await eventually(() => servers.received.slice(before).some((r) => r.text.endsWith('moving')), 1000);
      expect(Date.now() - changedAt).to.be.below(1500);
      const [s, m] = await Promise.all([steady, moving]);
      expect(s.replies, 'the other session lost packets').to.have.length(600);
      expect(m.replies.length).to.be.greaterThan(0);
      const config = JSON.parse(adminGet(star!, '/config')) as FastPathConfig;
      expect(config.proxy.fastPath.tier).to.equal('kernel');
    });

    it('counts a Match in the kernel under the same series, once per packet', async function () {
      // A Match on the version byte the Embark chain's first Capture takes (4 metadata keys in all).
      const match = [
        '  - name: quilkin.filters.match.v1alpha1.Match',
        '    config:',
        '      on_read:',
        '        metadataKey: embark.dev/load_balancer/version',
        '        branches: [{ value: "\\x01", name: quilkin.filters.pass.v1alpha1.Pass }]',
        '        fallthrough: { name: quilkin.filters.pass.v1alpha1.Pass }',
        '',
      ].join('\n');
      const embark = embarkConfig(defaultEndpoints(star!));
      const second = embark.lastIndexOf('  - name: quilkin.filters.capture.v1alpha1.Capture');
      writeConfig(embark.slice(0, second) + match + embark.slice(second), configFile);
      await eventually(() => /Match/.test((JSON.parse(adminGet(star!, '/config')) as FastPathConfig).proxy.fastPath.summary ?? ''), 5000);
      const counted = (label: string): number =>
        metric(adminGet(star!, '/metrics'), 'quilkin_filter_int_counter', `id="quilkin.filters.match.v1alpha1.Match",label="${label}"`);
      const before = counted('packets_matched_total') + counted('packets_fallthrough_total');
      const m0 = adminGet(star!, '/metrics');
      const rounds = 200;
      const run = await runClient(star!, star!.host('prx').ipv4, rounds, 2, [embarkPayload('match', TOKENS[0])]);
      expect(run.replies).to.have.length(rounds);
      const kernel =
        metric(adminGet(star!, '/metrics'), 'quilkin_xdp_fast_path_packets_total', 'event="read"') -
        metric(m0, 'quilkin_xdp_fast_path_packets_total', 'event="read"');
      expect(kernel).to.be.at.least(Math.floor(0.9 * rounds));
      await eventually(() => counted('packets_matched_total') + counted('packets_fallthrough_total') - before >= rounds, 3000);
      expect(counted('packets_matched_total') + counted('packets_fallthrough_total') - before, 'each packet once, in whichever tier').to.equal(rounds);
    });

    it('runs a chain it cannot lower in user space, and /config names the filter and why', async function () {
      const debug = '  - name: quilkin.filters.debug.v1alpha1.Debug\n    config: { id: fast-test }\n';
      writeConfig(embarkConfig(defaultEndpoints(star!), debug), configFile);
      await eventually(() => /Debug/.test((JSON.parse(adminGet(star!, '/config')) as FastPathConfig).proxy.fastPath.reason ?? ''), 5000);
      const config = JSON.parse(adminGet(star!, '/config')) as FastPathConfig;
      expect(config.proxy.fastPath.reason).to.match(/filters\[0\] \(quilkin\.filters\.debug\.v1alpha1\.Debug\): not lowerable/);
      const m0 = adminGet(star!, '/metrics');
      const run = await runClient(star!, star!.host('prx').ipv4, 50, 5, [embarkPayload('tier1', TOKENS[0])]);
      expect(run.replies).to.have.length(50);
      const m1 = adminGet(star!, '/metrics');
      expect(metric(m1, 'quilkin_xdp_fast_path_packets_total', 'event="read"')).to.equal(metric(m0, 'quilkin_xdp_fast_path_packets_total', 'event="read"'));
    });
  });
}

describe('proxy xdp fast path: a next hop that changes its MAC', function () {
  this.timeout(60000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers | undefined;

  before(async function () {
    skipWithoutBpf(this);
    star = new Star({ prefix: 'qkfmac', hosts: ['cli', 'prx', 'srv'], subnet: [77, 108], txChecksumOff: true, peerRx: 'xdp' }).create();
    for (const peer of ['cli', 'srv']) star.exec('prx', ['ping', '-c', '1', '-W', '2', star.host(peer).ipv4]);
    servers = new Servers(star);
    await servers.ready();
    proxy = await startXdpProxy(star, writeConfig(embarkConfig(defaultEndpoints(star))), { fastPath: 'auto' });
  });

  after(async function () {
    servers?.stop();
    await teardown(proxy, star);
  });

  it('follows a next hop whose MAC changes into the flows of kernel-carried sessions', async function () {
    const srv = star!.host('srv');
    const prx = star!.host('prx');
    const real = (JSON.parse(star!.exec('srv', ['ip', '-j', 'link', 'show', 'dev', srv.dev])) as Array<{ address: string }>)[0].address;
    const rounds = 600;
    const run = runClient(star!, prx.ipv4, rounds, 5, [embarkPayload('mac-move', TOKENS[0])], 2000);
    await new Promise((r) => setTimeout(r, 800));
    // The kernel learns another MAC for the server's address (a router failing over): the
    // session's flow must follow it.
    const flowMacs = (): string[] => flowNextHopMacs(prx.ns, prx.dev);
    const moved = '02:00:00:00:77:01';
    // Permanent, so the server's own ARP traffic cannot put its real MAC back mid-test: it probes
    // the proxy about 5 s after the set-up's ping, and the proxy's kernel takes the sender MAC
    // of that request over a reachable entry.
    star!.exec('prx', ['ip', 'neigh', 'replace', srv.ipv4, 'lladdr', moved, 'dev', prx.dev, 'nud', 'permanent']);
    await eventually(() => flowMacs().includes(moved), 2000, 'a flow sends to the new MAC');
    expect(flowMacs()).to.not.include(real.toLowerCase());
    await run;
  });
});

describe('proxy xdp fast path fed by xDS (quilkin manage --provider fs)', function () {
  this.timeout(90000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers | undefined;

  before(async function () {
    skipWithoutBpf(this);
    star = new Star({ prefix: 'qkfxds', hosts: ['cli', 'prx', 'srv'], subnet: [77, 105], txChecksumOff: true, peerRx: 'xdp' }).create();
    for (const family of ['ipv4', 'ipv6'] as const) star.exec('prx', ['ping', '-c', '1', '-W', '2', star.host('srv')[family]]);
    servers = new Servers(star);
    await servers.ready();
  });

  after(async function () {
    servers?.stop();
    await teardown(proxy, star);
  });

  it('moves traffic to a new token holder within a second of the file change, losing nothing of other sessions', async function () {
    const srv = star!.host('srv');
    const file = writeConfig(embarkConfig(defaultEndpoints(star!)));
    const manage = star!.spawn('prx', [
      process.execPath,
      cli(),
      '--admin-address',
      '127.0.0.1:8100',
      'manage',
      '--provider',
      'fs',
      '-c',
      file,
      '--port',
      '18000',
    ]);
    try {
      proxy = await startXdpProxy(star!, '', { args: ['--management-server', 'http://127.0.0.1:18000'], fastPath: 'auto' });
      await eventually(() => (JSON.parse(adminGet(star!, '/config')) as FastPathConfig).proxy.fastPath.tier === 'kernel', 10000);
      const steady = runClient(star!, star!.host('prx').ipv6, 600, 5, [embarkPayload('xds-steady', TOKENS[1])], 2000);
      const moving = runClient(star!, star!.host('prx').ipv4, 600, 5, [embarkPayload('xds-moving', 'ccc')], 2000);
      await new Promise((r) => setTimeout(r, 800));
      const before = servers!.received.length;
      const m0 = adminGet(star!, '/metrics');
      const changedAt = Date.now();
      writeConfig(
        embarkConfig([
          { address: `${srv.ipv4}:${SERVER_PORTS[0]}`, token: 'ccc' },
          { address: `[${srv.ipv6}]:${SERVER_PORTS[1]}`, token: TOKENS[1] },
        ]),
        file,
      );
      await eventually(() => servers!.received.slice(before).some((r) => r.text.endsWith('xds-moving')), 1000);
      expect(Date.now() - changedAt).to.be.below(1500);
      const [s, m] = await Promise.all([steady, moving]);
      expect(s.replies, 'the other session lost packets').to.have.length(600);
      expect(m.replies.length).to.be.greaterThan(0);
      // The steady session stayed in the kernel across the switch.
      const m1 = adminGet(star!, '/metrics');
      expect(
        metric(m1, 'quilkin_xdp_fast_path_packets_total', 'event="read"') - metric(m0, 'quilkin_xdp_fast_path_packets_total', 'event="read"'),
      ).to.be.greaterThan(300);
    } finally {
      manage.kill('SIGTERM');
    }
  });
});

describe('proxy xdp with --xdp.fast-path off', function () {
  this.timeout(60000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;

  before(async function () {
    skipWithoutBpf(this);
    star = new Star({ prefix: 'qkfoff', hosts: ['cli', 'prx', 'srv'], subnet: [77, 100], txChecksumOff: true, peerRx: 'xdp' }).create();
  });

  after(async function () {
    await teardown(proxy, star);
  });

  it('keeps every packet in the AF_XDP workers and says so', async function () {
    const servers = new Servers(star!);
    try {
      await servers.ready();
      proxy = await startXdpProxy(star!, writeConfig(embarkConfig(defaultEndpoints(star!))), { fastPath: 'off' });
      const config = JSON.parse(adminGet(star!, '/config')) as FastPathConfig;
      expect(config.proxy.fastPath).to.deep.equal({ tier: 'user space', reason: '--xdp.fast-path off' });
      const run = await runClient(star!, star!.host('prx').ipv4, 30, 5, [embarkPayload('off', TOKENS[0])]);
      expect(run.replies).to.have.length(30);
      expect(metric(adminGet(star!, '/metrics'), 'quilkin_xdp_fast_path_packets_total', 'event="read"')).to.equal(0);
    } finally {
      servers.stop();
    }
  });
});
