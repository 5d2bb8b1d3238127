// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy xdp` end to end in network namespaces (client, proxy, server on one bridge), in
// generic and native XDP mode on veth: the Embark chain routes each token to its endpoint over
// IPv4 and IPv6 (IPv4 clients reach an IPv6 endpoint too), replies come back with checksums the
// receiving kernels accept (delivery proves them), QCMP is answered in the AF_XDP loop, ping and
// TCP still cross the interface, and a config change under traffic loses nothing.
import { expect } from 'chai';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { labelledSample as metric } from '../support/metrics-text';
import type { Star } from '../support/netns';
import {
  adminGet,
  cli,
  defaultEndpoints,
  embarkConfig,
  embarkPayload,
  type Proxy,
  QCMP_PORT,
  runClient,
  SERVER_PORTS,
  Servers,
  startXdpProxy,
  TOKENS,
  topology,
  writeConfig,
  xdpAttachment,
} from './xdp-topology';
import { eventually } from '../support/net';

const MODES = [
  { mode: 'generic', subnet: 81 },
  { mode: 'native', subnet: 82 },
] as const;

for (const { mode, subnet } of MODES) {
  describe(`proxy xdp (${mode} XDP on veth, AF_XDP copy mode)`, function () {
    this.timeout(60000);
    let star: Star | undefined;
    let proxy: Proxy | undefined;
    let servers: Servers;
    let configFile: string;

    before(async function () {
      skipWithoutBpf(this);
      star = topology(subnet);
      servers = new Servers(star);
      await servers.ready();
      configFile = writeConfig(embarkConfig(defaultEndpoints(star)));
      proxy = await startXdpProxy(star, configFile, { env: { QUILKIN_XDP_ATTACH_MODE: mode } });
    });

    after(async function () {
      try {
        if (proxy) {
          await proxy.stop();
          // Nothing may stay attached after a clean exit.
          expect(xdpAttachment(star!)).to.equal(undefined);
        }
      } finally {
        star?.destroy();
      }
    });

    it(`attaches in ${mode} mode and reports it in /config`, function () {
      const config = JSON.parse(adminGet(star!, '/config')) as { proxy: Record<string, unknown> };
      expect(config.proxy.backend).to.equal('xdp');
      expect(config.proxy.xdpMode).to.equal(mode);
      expect(config.proxy.bind).to.equal('copy');
      expect(proxy!.output()).to.include(`attach ${mode}: ok`);
    });

    for (const family of ['ipv4', 'ipv6'] as const) {
      it(`routes each token to its own endpoint over ${family}, replies reach the client`, async function () {
        const before = servers.received.length;
        const timed = processingCounts();
        const tag = `${family}-${mode}`;
        const run = await runClient(star!, star!.host('prx')[family], 20, 10, [embarkPayload(`${tag}-a`, TOKENS[0]), embarkPayload(`${tag}-b`, TOKENS[1])]);
        const got = servers.received.slice(before);
        const onA = got.filter((r) => r.port === SERVER_PORTS[0]).map((r) => r.text);
        const onB = got.filter((r) => r.port === SERVER_PORTS[1]).map((r) => r.text);
        // Capture removed the version byte and the token: the endpoints see the bare payload.
        expect(onA.sort()).to.deep.equal([...Array(20).keys()].map((i) => `${i}:${tag}-a`).sort());
        expect(onB.sort()).to.deep.equal([...Array(20).keys()].map((i) => `${i}:${tag}-b`).sort());
        expect(run.sent).to.equal(40);
        expect(run.replies).to.have.length(40);
        // Each frame is timed once by its worker: 40 reads, 40 writes. A worker publishes right
        // after its TX flush, so a reply can reach the client a moment before its count shows.
        await waitForCounts(timed.read + 40, timed.write + 40);
      });
    }

    /** quilkin_packets_processing_duration_seconds_count per event, from /metrics. */
    function processingCounts(): { read: number; write: number } {
      const text = adminGet(star!, '/metrics');
      const count = (event: string): number => metric(text, 'quilkin_packets_processing_duration_seconds_count', `event="${event}"`);
      return { read: count('read'), write: count('write') };
    }

    async function waitForCounts(read: number, write: number): Promise<void> {
      let counts = processingCounts();
      for (let i = 0; i < 20 && (counts.read < read || counts.write < write); i++) {
        await new Promise((r) => setTimeout(r, 100));
        counts = processingCounts();
      }
      expect(counts).to.deep.equal({ read, write });
    }

    it('answers QCMP pings from the AF_XDP loop', function () {
      const out = star!.exec('cli', [process.execPath, cli(), '--log-format', 'json', 'qcmp', 'ping', `${star!.host('prx').ipv4}:${QCMP_PORT}`, '-a', '3'], {
        timeoutMs: 20000,
      });
      expect(out).to.match(/median|rtt|round/i);
      const metrics = adminGet(star!, '/metrics');
      expect(metric(metrics, 'quilkin_xdp_qcmp_replies_total')).to.be.at.least(3);
    });

    it('leaves ping and TCP to the kernel', function () {
      const prx = star!.host('prx');
      star!.exec('cli', ['ping', '-c', '2', '-W', '2', prx.ipv4]);
      star!.exec('cli', ['ping', '-6', '-c', '2', '-W', '2', prx.ipv6]);
      // adminGet itself is TCP from the client namespace through the attached interface.
      const metrics = adminGet(star!, '/metrics');
      expect(metric(metrics, 'quilkin_xdp_passed_packets_total', 'reason="not_udp"')).to.be.greaterThan(0);
      expect(metric(metrics, 'quilkin_xdp_redirected_packets_total')).to.be.greaterThan(0);
      expect(metric(metrics, 'quilkin_packets_total', 'event="read"')).to.be.greaterThan(0);
      expect(metric(metrics, 'quilkin_packets_total', 'event="write"')).to.be.greaterThan(0);
    });

    it('applies a config change under traffic without losing a packet of an established session', async function () {
      const before = servers.received.length;
      const tag = `reload-${mode}`;
      const traffic = runClient(star!, star!.host('prx').ipv4, 150, 10, [embarkPayload(tag, TOKENS[0])]);
      await new Promise((r) => setTimeout(r, 500));
      // A new endpoint and new filters in front: a new chain generation and endpoint table. The
      // Match sends everything on (its branch and its fallthrough both pass).
      const srv = star!.host('srv');
      const endpoints = [...defaultEndpoints(star!), { address: `${srv.ipv4}:9003`, token: 'ccc' }];
      const matchFirstByte = [
        '  - name: quilkin.filters.capture.v1alpha1.Capture',
        '    config: { metadataKey: test.dev/first, prefix: { size: 1, remove: false } }',
        '  - name: quilkin.filters.match.v1alpha1.Match',
        '    config:',
        '      on_read:',
        '        metadataKey: test.dev/first',
        '        branches: [{ value: r, name: quilkin.filters.pass.v1alpha1.Pass }]',
        '        fallthrough: { name: quilkin.filters.pass.v1alpha1.Pass }',
        '',
      ].join('\n');
      writeConfig(embarkConfig(endpoints, matchFirstByte), configFile);
      await proxy!.waitFor('"config applied"', 10000);
      const run = await traffic;
      const got = servers.received.slice(before).filter((r) => r.text.endsWith(tag));
      expect(got).to.have.length(150);
      expect(run.replies).to.have.length(150);
      // The packets after the change went through the Match (branch or fallthrough: the client
      // prefixes a sequence number); the engine's counts must reach /metrics.
      const counted = (label: string): number =>
        metric(adminGet(star!, '/metrics'), 'quilkin_filter_int_counter', `id="quilkin.filters.match.v1alpha1.Match",label="${label}"`);
      await eventually(() => counted('packets_matched_total') + counted('packets_fallthrough_total') >= 1, 3000);
    });

    it('fans a packet out to every endpoint when the chain chooses none (frame copies in UMEM)', async function () {
      // No filters: every endpoint gets every packet; both echo, so the client gets two replies each.
      const srv = star!.host('srv');
      writeConfig(
        `version: v1alpha1\nclusters:\n  - endpoints:\n      - address: "${srv.ipv4}:${SERVER_PORTS[0]}"\n      - address: "[${srv.ipv6}]:${SERVER_PORTS[1]}"\n`,
        configFile,
      );
      await eventually(() => proxy!.output().split('"config applied"').length > 2, 10000);
      const before = servers.received.length;
      const tag = `fanout-${mode}`;
      const run = await runClient(star!, star!.host('prx').ipv4, 10, 10, [tag]);
      const got = servers.received.slice(before);
      for (const port of SERVER_PORTS) expect(got.filter((r) => r.port === port && r.text.endsWith(tag))).to.have.length(10);
      expect(run.replies).to.have.length(20);
      expect(metric(adminGet(star!, '/metrics'), 'quilkin_xdp_fanout_copies_total')).to.be.at.least(10);
    });
  });
}
