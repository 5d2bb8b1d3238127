// SPDX-License-Identifier: Apache-2.0
// Byte layouts of the fast path's test-facing structs (bpf/lib/fast_abi.h): the control word, the
// metadata seed, session flows and the per-packet state the program traces. The offsets are the
// C compiler's: fast-codec.test.ts compares them with `fast_run --layout`.
import type { SocketAddr } from '../../../config/address';
import { ipBytes } from '../../../data-plane/compiler/ip-bytes';
import type { MetadataValue } from '../../../data-plane/filters/metadata';

export const FAST = {
  KEYS: 4,
  VALUE_MAX: 32,
  DESTS: 8,
  F_ENABLED: 1,
  F_SEED: 2,
  F_TRACE: 4,
  DIR_READ: 0,
  DIR_WRITE: 1,
} as const;

export const META_TAG = { absent: 0xff, bool: 0, string: 2, bytes: 3 } as const;

export const VERDICT = { running: 0, forward: 1, drop: 2, handoff: 3 } as const;

/** enum qk_fast_handoff, in index order. */
export const HANDOFF_REASONS = [
  'none',
  'no_session',
  'fan_out',
  'window',
  'token_many',
  'next_hop',
  'checksum',
  'ip_options',
  'chain',
  'lb_ipv6_hash',
  'too_big',
  'concat',
] as const;
export type HandoffReason = (typeof HANDOFF_REASONS)[number];

/** enum qk_fast_counter_index bases in qk_counters. */
export const FAST_COUNTERS = { TX_READ: 192, TX_WRITE: 193, RX_READ: 194, RX_WRITE: 195, HANDOFF_BASE: 208, DROP_BASE: 240 } as const;

export const SIZES = { ctl: 16, meta: 34, seed: 136, state: 528, flowKey: 40, flow: 64 } as const;

/** Offsets (bytes) of the fields the runner reads or writes. */
export const OFFSETS = {
  ctl: { bank: 0, flags: 4, generation: 8 },
  state: {
    dir: 0,
    family: 1,
    payload_len: 20,
    cut_front: 24,
    cut_back: 28,
    pre_len: 32,
    post_len: 36,
    pc: 40,
    steps: 44,
    verdict: 48,
    reason: 52,
    endpoint_count: 56,
    n_dests: 60,
    all_dests: 62,
    dests: 64,
    meta: 80,
    head: 216,
    tail: 280,
    pre: 344,
    post: 376,
    bank: 408,
    seq: 416,
  },
  flowKey: { dir: 0, family: 1, port_a: 2, port_b: 4, addr_a: 8, addr_b: 24 },
  flow: { src_addr: 0, dst_addr: 16, src_port: 32, dst_port: 34, family: 36, eth_src: 40, eth_dst: 46, ifindex: 52, last_seen_ns: 56 },
} as const;

export interface FastCtl {
  readonly bank: 0 | 1;
  readonly flags: number;
  readonly generation: bigint;
}

export function encodeCtl(c: FastCtl): Buffer {
  const out = Buffer.alloc(SIZES.ctl);
  out.writeUInt32LE(c.bank, OFFSETS.ctl.bank);
  out.writeUInt32LE(c.flags, OFFSETS.ctl.flags);
  out.writeBigUInt64LE(c.generation, OFFSETS.ctl.generation);
  return out;
}

/** One struct qk_fast_meta: a tag and up to VALUE_MAX bytes. */
export interface FastMeta {
  readonly tag: number;
  readonly bytes: Buffer;
}

/** The fast path's form of a metadata value, or why it has none (numbers, lists, long values). */
export function toFastMeta(value: MetadataValue): FastMeta | string {
  let meta: FastMeta;
  if (typeof value === 'boolean') meta = { tag: META_TAG.bool, bytes: Buffer.from([value ? 1 : 0]) };
  else if (typeof value === 'string') meta = { tag: META_TAG.string, bytes: Buffer.from(value, 'utf8') };
  else if (Buffer.isBuffer(value)) meta = { tag: META_TAG.bytes, bytes: value };
  else return `a ${Array.isArray(value) ? 'list' : typeof value} (the fast path holds bytes, strings and bools)`;
  if (meta.bytes.length > FAST.VALUE_MAX) return `${meta.bytes.length} bytes long (the fast path holds at most ${FAST.VALUE_MAX})`;
  return meta;
}

export function fromFastMeta(meta: FastMeta): MetadataValue | undefined {
  switch (meta.tag) {
    case META_TAG.absent:
      return undefined;
    case META_TAG.bool:
      return meta.bytes[0] !== 0;
    case META_TAG.string:
      return meta.bytes.toString('utf8');
    case META_TAG.bytes:
      return Buffer.from(meta.bytes);
  }
  throw new Error(`metadata tag ${meta.tag} is none the fast path lowers`);
}

function writeMeta(out: Buffer, at: number, meta: FastMeta | undefined): void {
  out[at] = meta ? meta.tag : META_TAG.absent;
  out[at + 1] = meta ? meta.bytes.length : 0;
  meta?.bytes.copy(out, at + 2);
}

function readMeta(buf: Buffer, at: number): FastMeta {
  const len = Math.min(buf[at + 1], FAST.VALUE_MAX);
  return { tag: buf[at], bytes: Buffer.from(buf.subarray(at + 2, at + 2 + len)) };
}

/** struct qk_fast_seed: meta[i] for the chain's key i (undefined: absent). */
export function encodeSeed(meta: ReadonlyArray<FastMeta | undefined>): Buffer {
  const out = Buffer.alloc(SIZES.seed);
  for (let i = 0; i < FAST.KEYS; i++) writeMeta(out, i * SIZES.meta, meta[i]);
  return out;
}

function addrBytes(a: SocketAddr): Buffer {
  return ipBytes(a.ip).bytes;
}

/** read: a = client, b = endpoint; write: a = endpoint, b = only the session port. */
export function encodeFlowKey(dir: number, a: SocketAddr, b: { addr?: SocketAddr; port: number }): Buffer {
  const out = Buffer.alloc(SIZES.flowKey);
  out[OFFSETS.flowKey.dir] = dir;
  out[OFFSETS.flowKey.family] = a.family;
  out.writeUInt16LE(a.port, OFFSETS.flowKey.port_a);
  out.writeUInt16LE(b.port, OFFSETS.flowKey.port_b);
  addrBytes(a).copy(out, OFFSETS.flowKey.addr_a);
  if (b.addr) addrBytes(b.addr).copy(out, OFFSETS.flowKey.addr_b);
  return out;
}

/** How the program sends what matched a flow. */
export interface FastFlow {
  readonly src: SocketAddr;
  readonly dst: SocketAddr;
  readonly ethSrc: Buffer;
  readonly ethDst: Buffer;
  readonly ifindex: number;
}

export function encodeFlow(f: FastFlow): Buffer {
  const out = Buffer.alloc(SIZES.flow);
  addrBytes(f.src).copy(out, OFFSETS.flow.src_addr);
  addrBytes(f.dst).copy(out, OFFSETS.flow.dst_addr);
  out.writeUInt16LE(f.src.port, OFFSETS.flow.src_port);
  out.writeUInt16LE(f.dst.port, OFFSETS.flow.dst_port);
  out[OFFSETS.flow.family] = f.dst.family;
  f.ethSrc.copy(out, OFFSETS.flow.eth_src);
  f.ethDst.copy(out, OFFSETS.flow.eth_dst);
  out.writeUInt32LE(f.ifindex, OFFSETS.flow.ifindex);
  return out;
}

/** struct qk_fast_state as the program traced it (the fields the runner judges by). */
export interface FastState {
  readonly dir: number;
  readonly family: number;
  readonly payloadLen: number;
  readonly cutFront: number;
  readonly cutBack: number;
  readonly pre: Buffer;
  readonly post: Buffer;
  readonly pc: number;
  readonly steps: number;
  readonly verdict: number;
  readonly reason: number;
  readonly endpointCount: number;
  readonly allDests: boolean;
  /** Endpoint indices (valid when !allDests). */
  readonly dests: readonly number[];
  readonly meta: readonly FastMeta[];
  readonly bank: number;
  readonly seq: bigint;
}

export function decodeState(buf: Buffer): FastState {
  if (buf.length !== SIZES.state) throw new RangeError(`qk_fast_state is ${buf.length} bytes, want ${SIZES.state}`);
  const o = OFFSETS.state;
  const u32 = (at: number): number => buf.readUInt32LE(at);
  const nDests = buf.readUInt16LE(o.n_dests);
  const preLen = Math.min(u32(o.pre_len), FAST.VALUE_MAX);
  const postLen = Math.min(u32(o.post_len), FAST.VALUE_MAX);
  return {
    dir: buf[o.dir],
    family: buf[o.family],
    payloadLen: u32(o.payload_len),
    cutFront: u32(o.cut_front),
    cutBack: u32(o.cut_back),
    pre: Buffer.from(buf.subarray(o.pre, o.pre + preLen)),
    post: Buffer.from(buf.subarray(o.post, o.post + postLen)),
    pc: u32(o.pc),
    steps: u32(o.steps),
    verdict: u32(o.verdict),
    reason: u32(o.reason),
    endpointCount: u32(o.endpoint_count),
    allDests: buf[o.all_dests] !== 0,
    dests: Array.from({ length: Math.min(nDests, FAST.DESTS) }, (_, i) => buf.readUInt16LE(o.dests + 2 * i)),
    meta: Array.from({ length: FAST.KEYS }, (_, i) => readMeta(buf, o.meta + i * SIZES.meta)),
    bank: u32(o.bank),
    seq: buf.readBigUInt64LE(o.seq),
  };
}
