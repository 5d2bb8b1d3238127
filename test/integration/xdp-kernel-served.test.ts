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

/** Writes one tagged IPv4/UDP frame on `dev` with AF_PACKET (this kernel may have no VLAN devices
 *  to make one). TAGS is a comma-separated list of TPID:VID, outermost first (QinQ: 88a8:..,8100:..). */
const TAGGED_SENDER = `
import socket, struct, sys
dev, dst_mac, src_mac, src_ip, dst_ip, dst_port, tags, payload = sys.argv[1:]
payload = payload.encode()
udp = struct.pack('!HHHH', 4000, int(dst_port), 8 + len(payload), 0) + payload
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
mac = lambda m: bytes.fromhex(m.replace(':', ''))
l2 = b''.join(struct.pack('!HH', int(t, 16), int(v)) for t, v in (tag.split(':') for tag in tags.split(',')))
frame = mac(dst_mac) + mac(src_mac) + l2 + struct.pack('!H', 0x0800) + ip + udp
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
s.send(frame)
`;

/** Sends one IPv6/UDP datagram with an extension header (NEXT_HEADER 0 hop-by-hop or 60
 *  destination options, 8 bytes of PadN) before UDP, from a UDP socket's port, and prints the reply. */
const EXT_HDR_CLIENT = `
import socket, struct, sys
dev, dst_mac, src_mac, src_ip, dst_ip, dst_port, sport, ext_type, payload = sys.argv[1:]
payload, sport, dport = payload.encode(), int(sport), int(dst_port)
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r.bind((src_ip, sport))
r.settimeout(5)
src, dst = socket.inet_pton(socket.AF_INET6, src_ip), socket.inet_pton(socket.AF_INET6, dst_ip)
ulen = 8 + len(payload)
c = csum(src + dst + struct.pack('!IxxxB', ulen, 17) + struct.pack('!HHHH', sport, dport, ulen, 0) + payload) or 0xffff
udp = struct.pack('!HHHH', sport, dport, ulen, c) + payload
ext = struct.pack('!BBBB', 17, 0, 1, 4) + bytes(4)
ip = struct.pack('!IHBB', 6 << 28, len(ext) + ulen, int(ext_type), 64) + src + dst
mac = lambda m: bytes.fromhex(m.replace(':', ''))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
s.send(mac(dst_mac) + mac(src_mac) + struct.pack('!H', 0x86dd) + ip + ext + udp)
print(r.recvfrom(65535)[0].decode())
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
  let configFile = '';

  before(async function () {
    skipWithoutBpf(this);
    star = topology(88);
    ephemeralMax = Number(star.exec('prx', ['cat', '/proc/sys/net/ipv4/ip_local_port_range']).trim().split(/\s+/)[1]);
    servers = new Servers(star);
    await servers.ready();
    configFile = writeConfig(`version: v1alpha1\nclusters: [{ endpoints: [{ address: "${star.host('srv').ipv4}:${SERVER_PORTS[0]}" }] }]\n`);
    proxy = await startXdpProxy(star, configFile);
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
          `8100:${VLAN_ID}`,
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

  it('passes QinQ and double 802.1Q frames to the kernel untouched: counted, never forwarded', async () => {
    const cli = star!.host('cli');
    const prx = star!.host('prx');
    // As above, and for the 802.1ad outer tag its own insertion feature.
    execFileSync('ip', ['netns', 'exec', star!.bridgeNs, 'ethtool', '-K', prx.peer, 'txvlan', 'off', 'tx-vlan-stag-hw-insert', 'off'], { timeout: 10000 });
    const passedVlan = (): number => Number(/quilkin_xdp_passed_packets_total\{reason="vlan"\} (\d+)/.exec(adminGet(star!, '/metrics'))?.[1] ?? 0);
    const before = passedVlan();
    const stacks = [`88a8:${VLAN_ID},8100:200`, `8100:${VLAN_ID},8100:200`];
    stacks.forEach((tags, i) =>
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
          tags,
          `qinq-${i}`,
        ],
        { timeout: 10000 },
      ),
    );
    let passed = 0;
    for (let attempt = 0; attempt < 30 && passed < stacks.length; attempt++) {
      await new Promise((r) => setTimeout(r, 100));
      passed = passedVlan() - before;
    }
    expect(passed, 'double-tagged frames passed as vlan').to.equal(stacks.length);
    expect(fromPorts('qinq-'), 'never answered untagged or with one tag stripped').to.have.length(0);
  });

  for (const [name, type] of [
    ['hop-by-hop options', 0],
    ['destination options', 60],
  ] as const)
    it(`answers IPv6 with a ${name} header before UDP through the socket path`, async () => {
      const cli = star!.host('cli');
      const prx = star!.host('prx');
      const marker = `ext${type}-`;
      const reply = execFileSync(
        'ip',
        [
          'netns',
          'exec',
          cli.ns,
          'python3',
          '-c',
          EXT_HDR_CLIENT,
          cli.dev,
          macOf(star!, 'prx'),
          macOf(star!, 'cli'),
          cli.ipv6,
          prx.ipv6,
          String(LISTEN_PORT),
          String(4100 + type),
          String(type),
          `${marker}payload`,
        ],
        { encoding: 'utf8', timeout: 15000 },
      ).trim();
      expect(reply).to.equal(`${marker}payload`);
      for (let i = 0; i < 20 && fromPorts(marker).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const ports = fromPorts(marker);
      expect(ports).to.have.length(1);
      expect(ports[0], 'the socket path sends from an ephemeral port').to.be.at.most(ephemeralMax);
    });

  it('still serves untagged, unfragmented datagrams on the AF_XDP path (session ports)', async () => {
    const run = await runClient(star!, star!.host('prx').ipv4, 5, 20, ['plain']);
    expect(run.replies.filter((t) => t.endsWith('plain'))).to.have.length(5);
    for (const port of fromPorts('plain')) expect(port).to.be.greaterThan(ephemeralMax);
  });

  // Last: it raises every MTU of the topology to 9000 and restarts the proxy in generic mode. A
  // native-mode program without multi-buffer support caps the MTU (veth refuses 9000 on the peer,
  // NIC drivers refuse the program or the MTU), so only generic XDP sees frames this large.
  it('answers a datagram larger than a UMEM frame (MTU 9000, generic XDP) through the socket path', async () => {
    await proxy?.stop();
    proxy = undefined;
    const setMtu = (ns: string, dev: string): void => {
      execFileSync('ip', ['-n', ns, 'link', 'set', 'dev', dev, 'mtu', '9000'], { timeout: 10000 });
    };
    for (const h of star!.hosts.values()) setMtu(star!.bridgeNs, h.peer);
    for (const h of star!.hosts.values()) setMtu(h.ns, h.dev);
    proxy = await startXdpProxy(star!, configFile, { env: { QUILKIN_XDP_ATTACH_MODE: 'generic' } });
    const big = `jumbo-${'j'.repeat(8000)}`;
    const run = await runClient(star!, star!.host('prx').ipv4, 3, 50, [big]);
    const seen = adminGet(star!, '/metrics')
      .split('\n')
      .filter((l) => /xdp_passed|dropped_total|rx_dropped/.test(l) && !l.startsWith('#'))
      .join('\n');
    expect(
      run.replies.filter((t) => t.endsWith(big)),
      seen,
    ).to.have.length(3);
    expect(seen).to.match(/quilkin_xdp_passed_packets_total\{reason="oversize"\} [1-9]/);
    const ports = fromPorts('jumbo-');
    expect(ports).to.have.length(3);
    for (const port of ports) expect(port, 'the socket path sends from an ephemeral port').to.be.at.most(ephemeralMax);
  });
});
