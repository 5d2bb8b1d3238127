// SPDX-License-Identifier: Apache-2.0
// A two-armed `proxy xdp`: clients behind one interface, endpoints behind another
// (`--xdp.forward-interfaces`), IP forwarding off. A session's first packets go through the
// AF_XDP worker and a kernel socket out of the forward interface; once the worker has installed
// its flows, both directions, IPv4 and IPv6, are carried between the interfaces by the XDP
// program (a redirect), and the worker sees only the first packets, in native and generic XDP.
// SIGKILL leaves nothing attached on either interface.
import { expect } from 'chai';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { xdpAttachment } from '../../bpf/tests/bpftool';
import { labelledSample as metric } from '../support/metrics-text';
import { TwoArmed } from '../support/netns';
import {
  adminGet,
  defaultEndpoints,
  embarkConfig,
  embarkPayload,
  type Proxy,
  runClient,
  SERVER_PORTS,
  Servers,
  startProxy,
  startXdpProxy,
  teardown,
  TOKENS,
  writeConfig,
} from './xdp-topology';

interface TwoArmedConfig {
  proxy: { forwardInterfaces?: string[]; fastPath: { tier: string } };
}

for (const mode of ['native', 'generic'] as const)
  describe(`proxy xdp two-armed (${mode} XDP): sessions carried between interfaces in the kernel`, function () {
    this.timeout(90000);
    let net: TwoArmed | undefined;
    let proxy: Proxy | undefined;
    let servers: Servers;
    let configFile: string;
    const forwardArgs = (): string[] => ['--xdp.forward-interfaces', net!.host('fwd').dev];
    const attached = (host: string): boolean => xdpAttachment(net!.host(host).ns, net!.host(host).dev) !== undefined;

    before(async function () {
      skipWithoutBpf(this);
      net = new TwoArmed(mode === 'native' ? 'qkarm' : 'qkarg', mode === 'native' ? 93 : 90).create();
      servers = new Servers(net);
      await servers.ready();
      // Neighbours resolved up front: a first packet while one resolves is tier 1's business.
      for (const [peer, from] of [
        ['cli', 'prx'],
        ['srv', 'fwd'],
      ] as const)
        for (const family of ['ipv4', 'ipv6'] as const) net.exec('prx', ['ping', '-c', '1', '-W', '2', '-I', net.host(from).dev, net.host(peer)[family]]);
      configFile = writeConfig(embarkConfig(defaultEndpoints(net)));
      proxy = await startXdpProxy(net, configFile, { fastPath: 'auto', args: forwardArgs(), env: { QUILKIN_XDP_ATTACH_MODE: mode } });
    });

    after(async function () {
      servers?.stop();
      await teardown(proxy, net);
    });

    it('attaches to both interfaces and says so in /config and the detection log', function () {
      const config = JSON.parse(adminGet(net!, '/config')) as TwoArmedConfig;
      expect(config.proxy.forwardInterfaces).to.deep.equal([net!.host('fwd').dev]);
      expect(config.proxy.fastPath.tier).to.equal('kernel');
      expect(proxy!.output()).to.include(`attach ${mode} to forward interface ${net!.host('fwd').dev}: ok (bpf link)`);
      expect(attached('prx') && attached('fwd')).to.equal(true);
    });

    for (const family of ['ipv4', 'ipv6'] as const) {
      it(`forwards established ${family} sessions between the interfaces in the kernel: the worker sees only first packets`, async function () {
        const before = servers.received.length;
        const m0 = adminGet(net!, '/metrics');
        const tag = `arm-${family}-${Date.now() % 100000}`;
        const rounds = 200;
        const run = await runClient(net!, net!.host('prx')[family], rounds, 2, [embarkPayload(`${tag}-a`, TOKENS[0]), embarkPayload(`${tag}-b`, TOKENS[1])]);
        const got = servers.received.slice(before);
        expect(got.filter((r) => r.port === SERVER_PORTS[0] && r.text.endsWith(`${tag}-a`))).to.have.length(rounds);
        expect(got.filter((r) => r.port === SERVER_PORTS[1] && r.text.endsWith(`${tag}-b`))).to.have.length(rounds);
        // The endpoints see the proxy's address on their side, whichever tier sent.
        const fwd = net!.host('fwd');
        expect(
          new Set(
            got.map((r) =>
              r.from
                .replace(/:\d+$/, '')
                .replace(/^\[|\]$/g, '')
                .replace(/^::ffff:/, ''),
            ),
          ),
        ).to.deep.equal(new Set([fwd.ipv4, fwd.ipv6]));
        const missing = [...Array(rounds).keys()].flatMap((i) => [`${i}:${tag}-a`, `${i}:${tag}-b`]).filter((t) => !run.replies.includes(t));
        expect(missing, 'replies the client never got').to.deep.equal([]);
        const m1 = adminGet(net!, '/metrics');
        const grew = (name: string, labels = ''): number => metric(m1, name, labels) - metric(m0, name, labels);
        // The session whose endpoint has the client's family is the kernel's; the other switches
        // families, which tier 1 alone does (through the worker and the kernel socket).
        const carried = Math.floor(0.9 * rounds);
        expect(grew('quilkin_xdp_fast_path_packets_total', 'event="read"'), m1).to.be.at.least(carried);
        expect(grew('quilkin_xdp_fast_path_packets_total', 'event="write"'), m1).to.be.at.least(carried);
        // The carried session's first packets and the family switch's: nothing more reached the kernel path.
        expect(grew('quilkin_xdp_kernel_path_packets_total', 'event="read"')).to.be.at.most(2 * rounds - carried);
        expect(grew('quilkin_xdp_rx_packets_total')).to.be.at.most(2 * rounds - carried);
        // Replies the fast path could not carry went to the kernel's socket, not to a ring of the other interface.
        expect(grew('quilkin_xdp_passed_packets_total', 'reason="forward_iface"')).to.be.at.most(2 * rounds - carried);
        expect(grew('quilkin_xdp_passed_packets_total', 'reason="no_xsk"')).to.equal(0);
        expect(grew('quilkin_packets_total', 'event="read"')).to.be.at.least(2 * rounds);
        expect(grew('quilkin_packets_total', 'event="write"')).to.be.at.least(2 * rounds);
      });
    }

    it('leaves nothing attached on either interface after SIGKILL, and a new proxy starts over', async function () {
      await proxy!.stop('SIGKILL');
      proxy = undefined;
      expect(attached('prx'), 'the proxy interface').to.equal(false);
      expect(attached('fwd'), 'the forward interface').to.equal(false);
      const again = startProxy(net!, configFile, { fastPath: 'auto', args: forwardArgs(), env: { QUILKIN_XDP_ATTACH_MODE: mode } });
      proxy = again;
      await again.waitFor('Quilkin is ready');
      const run = await runClient(net!, net!.host('prx').ipv4, 20, 5, [embarkPayload('after-kill', TOKENS[0])]);
      expect(run.replies).to.have.length(20);
      await again.stop();
      proxy = undefined;
      expect(attached('prx') || attached('fwd')).to.equal(false);
    });
  });
