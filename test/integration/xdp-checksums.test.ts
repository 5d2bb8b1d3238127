// SPDX-License-Identifier: Apache-2.0
// `proxy xdp` and the checksums of what it receives (issue 17). A chain that changes the payload
// makes the rewrite compute fresh checksums, so the incoming ones are verified first: a datagram
// with a wrong IPv4 header or UDP checksum is a counted `bad checksum` drop, never delivered as
// good; UDP checksum 0 (none) is fine over IPv4 and invalid over IPv6. A partial checksum (what a
// socket sending over veth with TX checksum offload leaves) is accepted and completed, with a
// chain that edits the payload and without one: ordinary sockets on veths with offload on, in both
// directions, are served. Without payload changes the incremental rewrite keeps an existing error:
// the receiving kernel drops it, as it would without the proxy.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { Star } from '../support/netns';
import { labelledSample as metric } from '../support/metrics-text';
import { canSendRaw } from '../support/raw-udp';
import { adminGet, LISTEN_PORT, type Proxy, runClient, SERVER_PORTS, Servers, startXdpProxy, teardown, topology, writeConfig } from './xdp-topology';

type Corruption = 'none' | 'udp' | 'ip' | 'zero' | 'partial';

interface Frame {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly payload: string;
  readonly corrupt: Corruption;
}

/** Writes Ethernet/IP/UDP frames with AF_PACKET, checksums as asked (a raw IP socket would fix the
 *  IPv4 header checksum). */
const FRAME_SENDER = `
import json, socket, struct, sys
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
dev, dst_mac, src_mac, dport = sys.argv[1:]
mac = lambda m: bytes.fromhex(m.replace(':', ''))
out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
out.bind((dev, 0))
for d in json.load(sys.stdin):
    payload = d['payload'].encode('latin1')
    ulen = 8 + len(payload)
    v6 = ':' in d['src']
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    src, dst = socket.inet_pton(fam, d['src']), socket.inet_pton(fam, d['dst'])
    pseudo = src + dst + (struct.pack('!IxxxB', ulen, 17) if v6 else struct.pack('!BBH', 0, 17, ulen))
    c = csum(pseudo + struct.pack('!HHHH', d['sport'], int(dport), ulen, 0) + payload) or 0xffff
    if d['corrupt'] == 'udp': c = 0x1234 if c != 0x1234 else 0x4321
    if d['corrupt'] == 'zero': c = 0
    if d['corrupt'] == 'partial': c = ~csum(pseudo) & 0xffff
    udp = struct.pack('!HHHH', d['sport'], int(dport), ulen, c) + payload
    if v6:
        ip, kind = struct.pack('!IHBB', 6 << 28, ulen, 17, 64) + src + dst, 0x86dd
    else:
        h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0, src, dst)
        hc = csum(h) ^ (0x00ff if d['corrupt'] == 'ip' else 0)
        ip, kind = h[:10] + struct.pack('!H', hc) + h[12:], 0x0800
    out.send(mac(dst_mac) + mac(src_mac) + struct.pack('!H', kind) + ip + udp)
`;

const CAPTURE_SUFFIX = `filters:
  - name: quilkin.filters.capture.v1alpha1.Capture
    config:
      metadataKey: quilkin.dev/capture
      suffix: { size: 3, remove: true }
`;

function macOf(star: Star, host: string): string {
  const [link] = JSON.parse(star.exec(host, ['ip', '-j', 'link', 'show', 'dev', star.host(host).dev])) as Array<{ address: string }>;
  return link.address;
}

/** One counter of /proc/net/snmp inside a host's namespace, e.g. ("Udp", "InCsumErrors"). */
function snmp(star: Star, host: string, group: string, field: string): number {
  const lines = star
    .exec(host, ['cat', '/proc/net/snmp'])
    .split('\n')
    .filter((l) => l.startsWith(`${group}:`));
  return Number(lines[1].split(/\s+/)[lines[0].split(/\s+/).indexOf(field)]);
}

/** quilkin_packets_dropped_total{source="bad checksum"}, summed over its series. */
function badChecksums(star: Star): number {
  return adminGet(star, '/metrics')
    .split('\n')
    .filter((l) => l.startsWith('quilkin_packets_dropped_total{') && l.includes('source="bad checksum"'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Writes the frames from the client namespace to the proxy's MAC and listen port. */
function sendFrames(star: Star, frames: Frame[]): void {
  const cli = star.host('cli');
  execFileSync('ip', ['netns', 'exec', cli.ns, 'python3', '-c', FRAME_SENDER, cli.dev, macOf(star, 'prx'), macOf(star, 'cli'), String(LISTEN_PORT)], {
    input: JSON.stringify(frames),
    timeout: 15000,
  });
}

/** Waits until the server saw `expected` datagrams containing `marker` (bounded), then a little more for strays. */
async function receivedBy(servers: Servers, marker: string, expected: number): Promise<string[]> {
  const got = (): string[] => servers.on(SERVER_PORTS[0]).filter((t) => t.includes(marker));
  for (let i = 0; i < 40 && got().length < expected; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300));
  return got();
}

describe('proxy xdp: incoming checksums', function () {
  this.timeout(90000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers;
  let configFile = '';

  const config = (filters: string): string =>
    `version: v1alpha1\n${filters}clusters: [{ endpoints: [{ address: "${star!.host('srv').ipv4}:${SERVER_PORTS[0]}" }] }]\n`;
  before(async function () {
    skipWithoutBpf(this);
    if (!canSendRaw()) this.skip();
    star = topology(91);
    // br_netfilter (when loaded) drops IPv4 headers with a bad checksum on the bridge, before the
    // proxy could see them: let the bridge forward what it gets, as a switch would.
    execFileSync(
      'ip',
      ['netns', 'exec', star.bridgeNs, 'sh', '-c', 'for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ -e "$f" ] && echo 0 > "$f"; done; true'],
      { timeout: 10000 },
    );
    servers = new Servers(star);
    await servers.ready();
    configFile = writeConfig(config(CAPTURE_SUFFIX));
    proxy = await startXdpProxy(star, configFile);
    // Resolve the neighbours both ways first, so every frame below takes the AF_XDP rewrite.
    const warm = await runClient(star, star.host('prx').ipv4, 2, 50, ['warmXYZ']);
    expect(warm.replies).to.have.length(2);
  });

  after(() => teardown(proxy, star));

  it('payload changed: drops bad IPv4 header and UDP checksums as `bad checksum`, forwards the good ones', async () => {
    const cli = star!.host('cli');
    const prx = star!.host('prx');
    const v4 = { src: cli.ipv4, dst: prx.ipv4 };
    const v6 = { src: cli.ipv6, dst: prx.ipv6 };
    const frames: Frame[] = [
      { ...v4, sport: 4001, payload: 'ck-good4XYZ', corrupt: 'none' },
      { ...v4, sport: 4002, payload: 'ck-bad-udp4XYZ', corrupt: 'udp' },
      { ...v4, sport: 4003, payload: 'ck-bad-ip4XYZ', corrupt: 'ip' },
      { ...v4, sport: 4004, payload: 'ck-none4XYZ', corrupt: 'zero' },
      { ...v4, sport: 4005, payload: 'ck-partial4XYZ', corrupt: 'partial' },
      { ...v6, sport: 4006, payload: 'ck-good6XYZ', corrupt: 'none' },
      { ...v6, sport: 4007, payload: 'ck-bad-udp6XYZ', corrupt: 'udp' },
      { ...v6, sport: 4008, payload: 'ck-zero6XYZ', corrupt: 'zero' },
      { ...v6, sport: 4009, payload: 'ck-partial6XYZ', corrupt: 'partial' },
    ];
    const before = badChecksums(star!);
    const csumErrors = snmp(star!, 'srv', 'Udp', 'InCsumErrors');
    sendFrames(star!, frames);
    const got = await receivedBy(servers, 'ck-', 5);
    expect(got.sort()).to.deep.equal(['ck-good4', 'ck-good6', 'ck-none4', 'ck-partial4', 'ck-partial6']);
    expect(badChecksums(star!) - before, 'bad checksum drops').to.equal(4);
    expect(snmp(star!, 'srv', 'Udp', 'InCsumErrors') - csumErrors, 'checksum errors at the server').to.equal(0);
  });

  it('serves ordinary sockets over veths with TX checksum offload on (partial checksums), both ways', async () => {
    for (const host of ['cli', 'srv']) star!.exec(host, ['ethtool', '-K', star!.host(host).dev, 'tx', 'on']);
    try {
      const before = badChecksums(star!);
      const run = await runClient(star!, star!.host('prx').ipv4, 5, 20, ['offloadXYZ']);
      expect(run.replies.filter((t) => t.endsWith(':offload'))).to.have.length(5);
      const run6 = await runClient(star!, star!.host('prx').ipv6, 5, 20, ['offload6XYZ']);
      expect(run6.replies.filter((t) => t.endsWith(':offload6'))).to.have.length(5);
      expect(badChecksums(star!) - before).to.equal(0);
    } finally {
      for (const host of ['cli', 'srv']) star!.exec(host, ['ethtool', '-K', star!.host(host).dev, 'tx', 'off']);
    }
  });

  it('payload unchanged: the incremental rewrite keeps a bad UDP checksum bad (the receiver drops it)', async () => {
    writeConfig(config(''), configFile);
    const filters = (): number => (JSON.parse(adminGet(star!, '/config')) as { filters?: unknown[] }).filters?.length ?? 0;
    for (let i = 0; i < 100 && filters() !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(filters()).to.equal(0);
    const cli = star!.host('cli');
    const prx = star!.host('prx');
    const before = badChecksums(star!);
    const csumErrors = snmp(star!, 'srv', 'Udp', 'InCsumErrors');
    sendFrames(star!, [
      { src: cli.ipv4, dst: prx.ipv4, sport: 4101, payload: 'un-good', corrupt: 'none' },
      { src: cli.ipv4, dst: prx.ipv4, sport: 4102, payload: 'un-bad-udp', corrupt: 'udp' },
      { src: cli.ipv4, dst: prx.ipv4, sport: 4103, payload: 'un-partial', corrupt: 'partial' },
    ]);
    const got = await receivedBy(servers, 'un-', 2);
    expect(got.sort()).to.deep.equal(['un-good', 'un-partial']);
    expect(snmp(star!, 'srv', 'Udp', 'InCsumErrors') - csumErrors, 'the forwarded bad one, dropped by the server').to.equal(1);
    expect(badChecksums(star!) - before, 'not verified by the proxy').to.equal(0);
    // And offload-on sockets without payload changes.
    star!.exec('cli', ['ethtool', '-K', cli.dev, 'tx', 'on']);
    try {
      const run = await runClient(star!, prx.ipv4, 3, 20, ['plain-offload']);
      expect(run.replies.filter((t) => t.endsWith(':plain-offload'))).to.have.length(3);
    } finally {
      star!.exec('cli', ['ethtool', '-K', cli.dev, 'tx', 'off']);
    }
  });
});

// The same frames against a session the in-kernel fast path carries (flows installed by the
// worker after the session's first packet). The program patches checksums incrementally, so a
// bad UDP checksum is forwarded still bad (the server's kernel drops it, never delivered as good);
// the IPv4 header is rebuilt, so a bad header checksum is a counted `bad checksum` drop; a partial
// checksum and an IPv6 zero go to the workers (handoff `checksum`), which complete or drop them.
describe('proxy xdp: incoming checksums on the in-kernel fast path', function () {
  this.timeout(90000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers;

  before(async function () {
    skipWithoutBpf(this);
    if (!canSendRaw()) this.skip();
    star = new Star({ prefix: 'qkfck', hosts: ['cli', 'prx', 'srv'], subnet: [77, 106], txChecksumOff: true, peerRx: 'xdp' }).create();
    execFileSync(
      'ip',
      ['netns', 'exec', star.bridgeNs, 'sh', '-c', 'for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ -e "$f" ] && echo 0 > "$f"; done; true'],
      { timeout: 10000 },
    );
    for (const peer of ['cli', 'srv']) star.exec('prx', ['ping', '-c', '1', '-W', '2', star.host(peer).ipv4]);
    servers = new Servers(star);
    await servers.ready();
    const cfg = `version: v1alpha1\n${CAPTURE_SUFFIX}clusters: [{ endpoints: [{ address: "${star.host('srv').ipv4}:${SERVER_PORTS[0]}" }] }]\n`;
    proxy = await startXdpProxy(star, writeConfig(cfg), { fastPath: 'auto' });
  });

  after(() => teardown(proxy, star));

  it('keeps a bad UDP checksum bad, drops a bad IPv4 header checksum, hands partial checksums to the workers', async () => {
    const cli = star!.host('cli');
    const prx = star!.host('prx');
    const v4 = { src: cli.ipv4, dst: prx.ipv4, sport: 4201 };
    // The session's first packet goes through the worker, which installs its flows.
    sendFrames(star!, [{ ...v4, payload: 'fk-firstXYZ', corrupt: 'none' }]);
    expect(await receivedBy(servers, 'fk-first', 1)).to.have.length(1);
    const fastBefore = metric(adminGet(star!, '/metrics'), 'quilkin_xdp_fast_path_packets_total', 'event="read"');
    const handoffBefore = metric(adminGet(star!, '/metrics'), 'quilkin_xdp_fast_path_handoffs_total', 'event="read",reason="checksum"');
    const before = badChecksums(star!);
    const csumErrors = snmp(star!, 'srv', 'Udp', 'InCsumErrors');
    sendFrames(star!, [
      { ...v4, payload: 'fk-goodXYZ', corrupt: 'none' },
      { ...v4, payload: 'fk-bad-udpXYZ', corrupt: 'udp' },
      { ...v4, payload: 'fk-bad-ipXYZ', corrupt: 'ip' },
      { ...v4, payload: 'fk-noneXYZ', corrupt: 'zero' },
      { ...v4, payload: 'fk-partialXYZ', corrupt: 'partial' },
    ]);
    const got = await receivedBy(servers, 'fk-', 4);
    expect(got.sort()).to.deep.equal(['fk-first', 'fk-good', 'fk-none', 'fk-partial']);
    expect(snmp(star!, 'srv', 'Udp', 'InCsumErrors') - csumErrors, 'the bad one, forwarded bad and dropped by the server').to.equal(1);
    expect(badChecksums(star!) - before, 'the bad IPv4 header').to.equal(1);
    // good, bad-udp and none went in the kernel; the partial one through a worker.
    expect(metric(adminGet(star!, '/metrics'), 'quilkin_xdp_fast_path_packets_total', 'event="read"') - fastBefore).to.equal(3);
    expect(metric(adminGet(star!, '/metrics'), 'quilkin_xdp_fast_path_handoffs_total', 'event="read",reason="checksum"') - handoffBefore).to.equal(1);
  });
});
