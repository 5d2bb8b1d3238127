// SPDX-License-Identifier: Apache-2.0
// fast-check generators of Ethernet frames for the XDP fuzz tests: well-formed IPv4/IPv6 UDP to the
// proxy's ports and others (IPv4 options, IPv6 extension header chains, martian sources, source port
// 0), then mutations at every layer (truncation, lying IP total / payload / UDP lengths, bad IHL and
// version, fragments, VLAN/QinQ tags, other ethertypes and transports, padding, flipped bytes), and
// frames that are not IP at all (ARP, random bytes). The model (xdp-model.ts) decides what each is.
import fc from 'fast-check';
import { foldComplement, udpChecksum, wordSum } from '../support/inet-checksum';
import { IPV6_EXT_HDRS } from './xdp-model';

/** Where generated frames point: the proxy's ports and addresses (ports resolved per config). */
export interface FrameTarget {
  listenPort: number;
  qcmpPort: number;
  sessionPortStart: number;
  sessionPortEnd: number;
  /** Candidate destination addresses: 4 or 16 bytes each. */
  v4: readonly Buffer[];
  v6: readonly Buffer[];
  srcMac: Buffer;
  dstMac: Buffer;
}

export type PortPick = 'listen' | 'qcmp' | 'session_lo' | 'session_hi' | 'below_session' | 'above_session' | 'session_mid' | 'zero' | number;

export type Mutation =
  | { kind: 'tot_len'; value: number; delta: boolean }
  | { kind: 'udp_len'; value: number; delta: boolean }
  | { kind: 'ihl'; value: number }
  | { kind: 'version'; value: number }
  | { kind: 'frag'; mf: boolean; offset: number; df: boolean }
  | { kind: 'proto'; value: number }
  | { kind: 'eth_type'; value: number }
  | { kind: 'vlan'; tags: number[] }
  | { kind: 'pad'; bytes: number }
  | { kind: 'truncate_layer'; layer: 'ip' | 'l4' | 'payload'; delta: number }
  | { kind: 'truncate'; fraction: number }
  | { kind: 'flip'; fraction: number; value: number };

export interface UdpSpec {
  type: 'udp';
  v6: boolean;
  port: PortPick;
  srcPort: number;
  /** Index into target.v4/v6, or a random address when out of range. */
  dst: number;
  randomAddr: Buffer;
  /** A martian (loopback, multicast, broadcast, unspecified, ...) source instead of a unicast one. */
  martian: number;
  payloadLen: number;
  fill: number;
  /** IPv4: option words after the 20-byte header (IHL = 5 + n). IPv6: extension header chain. */
  optionWords: number;
  ext: number[];
  mutations: Mutation[];
}

export type FrameSpec = UdpSpec | { type: 'arp' } | { type: 'random'; bytes: Uint8Array };

const MARTIANS_V4 = ['0.0.0.0', '127.0.0.1', '224.0.0.1', '255.255.255.255', '169.254.1.1', '240.0.0.1'].map((a) => Buffer.from(a.split('.').map(Number)));
const MARTIANS_V6 = [
  Buffer.alloc(16),
  Buffer.from('00000000000000000000000000000001', 'hex'),
  Buffer.from('ff020000000000000000000000000001', 'hex'),
  Buffer.from('fe800000000000000000000000000001', 'hex'),
];
const SRC_V4 = Buffer.from([10, 97, 9, 9]);
const SRC_V6 = Buffer.from('fd000097000000000000000000000909', 'hex');

const portPick: fc.Arbitrary<PortPick> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<PortPick>('listen', 'qcmp', 'session_lo', 'session_hi', 'session_mid') },
  { weight: 2, arbitrary: fc.constantFrom<PortPick>('below_session', 'above_session', 'zero') },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('tot_len' as const), value: fc.integer({ min: -40, max: 40 }), delta: fc.constant(true) }),
  fc.record({ kind: fc.constant('tot_len' as const), value: fc.integer({ min: 0, max: 0xffff }), delta: fc.constant(false) }),
  fc.record({ kind: fc.constant('udp_len' as const), value: fc.integer({ min: -12, max: 12 }), delta: fc.constant(true) }),
  fc.record({ kind: fc.constant('udp_len' as const), value: fc.integer({ min: 0, max: 0xffff }), delta: fc.constant(false) }),
  fc.record({ kind: fc.constant('ihl' as const), value: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant('version' as const), value: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant('frag' as const), mf: fc.boolean(), offset: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0x1fff })), df: fc.boolean() }),
  fc.record({ kind: fc.constant('proto' as const), value: fc.oneof(fc.constantFrom(1, 6, 58, 132, 136, 0, 255), fc.integer({ min: 0, max: 255 })) }),
  fc.record({
    kind: fc.constant('eth_type' as const),
    value: fc.oneof(fc.constantFrom(0x0806, 0x88cc, 0x8847, 0x0800, 0x86dd, 0x8100, 0x88a8, 0x9100), fc.integer({ min: 0, max: 0xffff })),
  }),
  fc.record({ kind: fc.constant('vlan' as const), tags: fc.array(fc.constantFrom(0x8100, 0x88a8), { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('pad' as const), bytes: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    kind: fc.constant('truncate_layer' as const),
    layer: fc.constantFrom('ip' as const, 'l4' as const, 'payload' as const),
    delta: fc.integer({ min: -3, max: 9 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('flip' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.integer({ min: 0, max: 255 }) }),
);

export const udpSpecArb = (mutations: { maxLength: number }): fc.Arbitrary<UdpSpec> =>
  fc.record({
    type: fc.constant('udp' as const),
    v6: fc.boolean(),
    port: portPick,
    srcPort: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: fc.integer({ min: 1, max: 0xffff }) }),
    dst: fc.integer({ min: 0, max: 3 }),
    randomAddr: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a)),
    martian: fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 }) }),
    payloadLen: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 64 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1800 }) }),
    fill: fc.integer({ min: 0, max: 255 }),
    optionWords: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 10 }) }),
    ext: fc.oneof(
      { weight: 4, arbitrary: fc.constant([] as number[]) },
      { weight: 1, arbitrary: fc.array(fc.constantFrom(...IPV6_EXT_HDRS), { minLength: 1, maxLength: 3 }) },
    ),
    mutations: fc.array(mutation, mutations),
  });

export const frameSpecArb: fc.Arbitrary<FrameSpec> = fc.oneof(
  { weight: 2, arbitrary: udpSpecArb({ maxLength: 0 }) },
  { weight: 6, arbitrary: udpSpecArb({ maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant({ type: 'arp' as const }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('random' as const), bytes: fc.uint8Array({ minLength: 12, maxLength: 200 }) }) },
);

function resolvePort(pick: PortPick, t: FrameTarget): number {
  const mid = t.sessionPortStart + Math.floor((t.sessionPortEnd - t.sessionPortStart) / 2);
  const clamp = (p: number): number => Math.max(0, Math.min(0xffff, p));
  switch (pick) {
    case 'listen':
      return t.listenPort;
    case 'qcmp':
      return t.qcmpPort;
    case 'session_lo':
      return t.sessionPortStart;
    case 'session_hi':
      return t.sessionPortEnd;
    case 'session_mid':
      return clamp(mid);
    case 'below_session':
      return clamp(t.sessionPortStart - 1);
    case 'above_session':
      return clamp(t.sessionPortEnd + 1);
    case 'zero':
      return 0;
    default:
      return pick;
  }
}

/** A well-formed UDP datagram in an Ethernet frame (IPv4 with options or IPv6 with extension headers). */
export function buildUdpFrame(o: {
  v6: boolean;
  src: Buffer;
  dst: Buffer;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
  optionWords?: number;
  ext?: number[];
  srcMac: Buffer;
  dstMac: Buffer;
}): Buffer {
  const udp = Buffer.alloc(8 + o.payload.length);
  udp.writeUInt16BE(o.srcPort, 0);
  udp.writeUInt16BE(o.dstPort, 2);
  udp.writeUInt16BE(udp.length & 0xffff, 4);
  o.payload.copy(udp, 8);
  udp.writeUInt16BE(udpChecksum(o.src, o.dst, udp), 6);
  const eth = Buffer.concat([o.dstMac, o.srcMac, Buffer.from(o.v6 ? [0x86, 0xdd] : [0x08, 0x00])]);
  if (o.v6) {
    const chain = o.ext ?? [];
    const ext = Buffer.alloc(8 * chain.length);
    chain.forEach((_, i) => (ext[8 * i] = i + 1 < chain.length ? chain[i + 1] : 17));
    const ip = Buffer.alloc(40);
    ip.writeUInt32BE(0x60000000, 0);
    ip.writeUInt16BE((ext.length + udp.length) & 0xffff, 4);
    ip[6] = chain.length ? chain[0] : 17;
    ip[7] = 64;
    o.src.copy(ip, 8);
    o.dst.copy(ip, 24);
    return Buffer.concat([eth, ip, ext, udp]);
  }
  const words = o.optionWords ?? 0;
  const ip = Buffer.alloc(20 + 4 * words, 1); // options: NOPs
  ip[0] = 0x40 | (5 + words);
  ip[1] = 0;
  ip.writeUInt16BE((ip.length + udp.length) & 0xffff, 2);
  ip.writeUInt32BE(0, 4);
  ip[8] = 64;
  ip[9] = 17;
  ip.writeUInt16BE(0, 10);
  o.src.copy(ip, 12);
  o.dst.copy(ip, 16);
  ip.writeUInt16BE(foldComplement(wordSum(ip)), 10);
  return Buffer.concat([eth, ip, udp]);
}

const ARP = Buffer.from('0001080006040001' + '020000000001' + '0a610001' + '000000000000' + '0a610002', 'hex');

/** Mutations in a fixed layer order: header fields, then tags and padding, then cuts and flips. */
const ORDER: Mutation['kind'][] = ['ihl', 'version', 'tot_len', 'udp_len', 'frag', 'proto', 'eth_type', 'pad', 'vlan', 'truncate_layer', 'truncate', 'flip'];

/** `marker` (optional) starts the UDP payload, so a test can tell which frame reached an endpoint. */
export function buildFrame(spec: FrameSpec, t: FrameTarget, marker?: Buffer): Buffer {
  if (spec.type === 'arp') return Buffer.concat([t.dstMac, t.srcMac, Buffer.from([0x08, 0x06]), ARP]);
  if (spec.type === 'random') return Buffer.from(spec.bytes);
  const pool = spec.v6 ? t.v6 : t.v4;
  const width = spec.v6 ? 16 : 4;
  const dst = spec.dst < pool.length ? pool[spec.dst] : spec.randomAddr.subarray(0, width);
  const martians = spec.v6 ? MARTIANS_V6 : MARTIANS_V4;
  const src = spec.martian >= 0 ? martians[spec.martian % martians.length] : spec.v6 ? SRC_V6 : SRC_V4;
  const payload = Buffer.alloc(Math.max(spec.payloadLen, marker?.length ?? 0), spec.fill);
  marker?.copy(payload);
  let f = buildUdpFrame({
    v6: spec.v6,
    src,
    dst,
    srcPort: spec.srcPort,
    dstPort: resolvePort(spec.port, t),
    payload,
    optionWords: spec.optionWords,
    ext: spec.ext,
    srcMac: t.srcMac,
    dstMac: t.dstMac,
  });
  const ipOff = 14;
  const l4Off = spec.v6 ? 54 + 8 * spec.ext.length : 14 + 20 + 4 * spec.optionWords;
  const udpAt = spec.v6 ? 54 + 8 * spec.ext.length : l4Off;
  const muts = [...spec.mutations].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  for (const m of muts) {
    switch (m.kind) {
      case 'ihl':
        if (!spec.v6) f[ipOff] = (f[ipOff] & 0xf0) | m.value;
        break;
      case 'version':
        f[ipOff] = (m.value << 4) | (f[ipOff] & 0x0f);
        break;
      case 'tot_len': {
        const at = ipOff + (spec.v6 ? 4 : 2);
        f.writeUInt16BE((m.delta ? f.readUInt16BE(at) + m.value : m.value) & 0xffff, at);
        break;
      }
      case 'udp_len':
        f.writeUInt16BE((m.delta ? f.readUInt16BE(udpAt + 4) + m.value : m.value) & 0xffff, udpAt + 4);
        break;
      case 'frag':
        if (!spec.v6) f.writeUInt16BE((m.df ? 0x4000 : 0) | (m.mf ? 0x2000 : 0) | m.offset, ipOff + 6);
        break;
      case 'proto':
        f[spec.v6 ? ipOff + 6 : ipOff + 9] = m.value;
        break;
      case 'eth_type':
        f.writeUInt16BE(m.value, 12);
        break;
      case 'pad':
        f = Buffer.concat([f, Buffer.alloc(m.bytes)]);
        break;
      case 'vlan': {
        const tags = Buffer.concat(m.tags.map((tpid, i) => Buffer.from([tpid >> 8, tpid & 0xff, 0, 10 + i])));
        f = Buffer.concat([f.subarray(0, 12), tags, f.subarray(12)]);
        break;
      }
      case 'truncate_layer': {
        const base = m.layer === 'ip' ? ipOff : m.layer === 'l4' ? l4Off : udpAt + 8;
        f = f.subarray(0, Math.max(0, Math.min(f.length, base + m.delta)));
        break;
      }
      case 'truncate': // mostly past the Ethernet header: shorter ones are refused by BPF_PROG_RUN
        f = f.subarray(0, f.length <= 14 ? f.length : 14 + Math.floor(m.fraction * (f.length - 14)));
        break;
      case 'flip':
        if (f.length) f[Math.min(f.length - 1, Math.floor(m.fraction * f.length))] = m.value;
        break;
    }
  }
  return Buffer.from(f);
}
