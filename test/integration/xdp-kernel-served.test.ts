// SPDX-License-Identifier: Apache-2.0
// What the XDP program passes to the kernel on the listen port is still served: `proxy xdp` holds
// ordinary sockets on that port too, running the same chain: IPv4 fragments (a 3000-byte datagram
// over a 1500-byte MTU) come back answered, and the game server sees them from an ephemeral port
// (the socket path), not from a session port of the AF_XDP path. VLAN-tagged frames are passed to
// the kernel untouched (its VLAN devices serve them), never redirected and answered untagged.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import type { Star } from '../support/netns';
import { adminGet, LISTEN_PORT, type Proxy, runClient, SERVER_PORTS, Servers, startXdpProxy, teardown, topology, writeConfig } from './xdp-topology';

const VLAN_ID = 100;

/** Writes one 802.1Q-tagged IPv4/UDP frame on `dev` with AF_PACKET (this kernel may have no VLAN devices to make one). */
const TAGGED_SENDER = `
import socket, struct, sys
dev, dst_mac, src_mac, src_ip, dst_ip, dst_port, vid, payload = sys.argv[1:]
payload = payload.encode()
udp = struct.pack('!HHHH', 4000, int(dst_port), 8 + len(payload), 0) + payload
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
mac = lambda m: bytes.fromhex(m.replace(':', ''))
frame = mac(dst_mac) + mac(src_mac) + struct.pack('!HHH', 0x8100, int(vid), 0x0800) + ip + udp
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
s.send(frame)
`;

function macOf(star: Star, host: string): string {
  const [link] = JSON.parse(star.exec(host, ['ip', '-j', 'link', 'show', 'dev', star.host(host).dev])) as Array<{ address: string }>;
  return link.address;
}

describe('proxy xdp: frames the program passes to the kernel are served by the socket path', function () {
  this.timeout(60000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers;
  let ephemeralMax = 0;

  before(async function () {
    skipWithoutBpf(this);
    star = topology(88);
    ephemeralMax = Number(star.exec('prx', ['cat', '/proc/sys/net/ipv4/ip_local_port_range']).trim().split(/\s+/)[1]);
    servers = new Servers(star);
    await servers.ready();
    proxy = await startXdpProxy(
      star,
      writeConfig(`version: v1alpha1\nclusters: [{ endpoints: [{ address: "${star.host('srv').ipv4}:${SERVER_PORTS[0]}" }] }]\n`),
    );
    expect(proxy.output()).to.include('"kernelServed"');
  });

  after(() => teardown(proxy, star));

  const fromPorts = (marker: string): number[] =>
    servers.received.filter((r) => r.text.includes(marker)).map((r) => Number(r.from.slice(r.from.lastIndexOf(':') + 1)));

  it('answers a datagram that arrives as IPv4 fragments', async () => {
    const big = `frag-${'x'.repeat(3000)}`;
    const run = await runClient(star!, star!.host('prx').ipv4, 3, 50, [big]);
    expect(run.replies.filter((t) => t.endsWith(big))).to.have.length(3);
    const ports = fromPorts('frag-');
    expect(ports).to.have.length(3);
    for (const port of ports) expect(port, 'the socket path sends from an ephemeral port').to.be.at.most(ephemeralMax);
  });

  it('passes VLAN-tagged frames to the kernel untouched: counted, never forwarded', async () => {
    const cli = star!.host('cli');
    const prx = star!.host('prx');
    // The bridge moves tags into skb metadata; with VLAN insertion off on its port toward the
    // proxy the tag is written back into the frame, where XDP sees it (as on a NIC with
    // rx-vlan-offload off; with it on, the driver strips tags before XDP: docs/xdp.md).
    execFileSync('ip', ['netns', 'exec', star!.bridgeNs, 'ethtool', '-K', prx.peer, 'txvlan', 'off'], { timeout: 10000 });
    for (let i = 0; i < 3; i++) {
      execFileSync(
        'ip',
        [
          'netns',
          'exec',
          cli.ns,
          'python3',
          '-c',
          TAGGED_SENDER,
          cli.dev,
          macOf(star!, 'prx'),
          macOf(star!, 'cli'),
          cli.ipv4,
          prx.ipv4,
          String(LISTEN_PORT),
          String(VLAN_ID),
          `tagged-${i}`,
        ],
        { timeout: 10000 },
      );
    }
    let passed = 0;
    for (let attempt = 0; attempt < 30 && passed < 3; attempt++) {
      await new Promise((r) => setTimeout(r, 100));
      passed = Number(/quilkin_xdp_passed_packets_total\{reason="vlan"\} (\d+)/.exec(adminGet(star!, '/metrics'))?.[1] ?? 0);
    }
    expect(passed, 'frames passed as vlan').to.equal(3);
    expect(fromPorts('tagged-'), 'tagged frames never reach the game server').to.have.length(0);
  });

  it('still serves untagged, unfragmented datagrams on the AF_XDP path (session ports)', async () => {
    const run = await runClient(star!, star!.host('prx').ipv4, 5, 20, ['plain']);
    expect(run.replies.filter((t) => t.endsWith('plain'))).to.have.length(5);
    for (const port of fromPorts('plain')) expect(port).to.be.greaterThan(ephemeralMax);
  });
});
