// SPDX-License-Identifier: Apache-2.0
// The in-kernel fast path's map entries as bytes (layouts: bpf/fast-abi.ts, from bpf/lib/fast_abi.h):
// what the lowering writes (steps, endpoints, tokens, firewall rules, bank header, control), what the
// AF_XDP workers write (flows), and the trace record the program writes back (qk_fast_state).
import type { FieldLayout } from '../../bpf/abi';
import { FAST, FAST_STRUCTS } from '../../bpf/fast-abi';

/** One step of a direction's program (struct qk_fast_step); absent numbers are zero. */
export interface FastStep {
  readonly kind: number;
  readonly op?: number;
  readonly flags?: number;
  readonly key?: number;
  readonly key2?: number;
  readonly next?: number;
  readonly count?: number;
  readonly arg?: number;
  readonly slot?: number;
  /** BRANCH: the value; CONCATENATE: the bytes (len = its length). */
  readonly value?: Buffer;
}

export interface FastEndpoint {
  /** 4, 6, or 0 for a host name with no answer yet. */
  readonly family: number;
  readonly port: number;
  /** 16 bytes, network order; IPv4 in the first 4. */
  readonly addr: Buffer;
}

export interface FastCidr {
  readonly family: 4 | 6;
  readonly prefix: number;
  readonly ip: Buffer;
}

export interface FastPortRange {
  readonly min: number;
  /** Exclusive. */
  readonly end: number;
}

export interface FastFirewallRule {
  readonly allow: boolean;
  readonly sources: readonly FastCidr[];
  readonly ports: readonly FastPortRange[];
}

export interface FastFlowKey {
  readonly dir: number;
  readonly family: number;
  readonly portA: number;
  readonly portB: number;
  readonly addrA: Buffer;
  readonly addrB: Buffer;
}

export interface FastFlow {
  readonly srcAddr: Buffer;
  readonly dstAddr: Buffer;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly family: number;
  readonly ethSrc: Buffer;
  readonly ethDst: Buffer;
  readonly ifindex: number;
  readonly lastSeenNs: bigint;
}

export interface FastCtl {
  readonly bank: 0 | 1;
  /** QK_FAST_F_* */
  readonly flags: number;
  readonly generation: bigint;
}

/** A metadata slot of the trace record; tag QK_META_ABSENT when unset. */
export interface FastMeta {
  readonly tag: number;
  readonly bytes: Buffer;
}

/** struct qk_fast_state: the per-packet state, as the trace map holds it after a chain. */
export interface FastState {
  readonly dir: number;
  readonly family: number;
  readonly srcPort: number;
  readonly srcAddr: Buffer;
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
  /** Every endpoint of the bank (nothing routed yet); `dests` is empty then. */
  readonly allDests: boolean;
  readonly dests: readonly number[];
  readonly meta: readonly FastMeta[];
  readonly head: Buffer;
  readonly tail: Buffer;
  readonly bank: number;
  readonly seq: bigint;
}

// ---- field access ------------------------------------------------------------------------------

function put(out: Buffer, field: FieldLayout, value: number | bigint, name: string): void {
  if (field.size === 8) {
    out.writeBigUInt64LE(BigInt(value), field.offset);
    return;
  }
  const n = Number(value);
  const max = 2 ** (8 * field.size) - 1;
  if (!Number.isInteger(n) || n < 0 || n > max) throw new RangeError(`${name}: ${n} does not fit in ${field.size * 8} bits`);
  out.writeUIntLE(n, field.offset, field.size);
}

function putBytes(out: Buffer, field: FieldLayout, bytes: Uint8Array, name: string, at = 0): void {
  if (at + bytes.length > field.size) throw new RangeError(`${name}: ${bytes.length} bytes do not fit in ${field.size - at}`);
  out.set(bytes, field.offset + at);
}

function get(buf: Buffer, field: FieldLayout): number {
  return buf.readUIntLE(field.offset, field.size);
}

function slice(buf: Buffer, field: FieldLayout, n = field.size, at = 0): Buffer {
  return Buffer.from(buf.subarray(field.offset + at, field.offset + at + n));
}

function checkSize(buf: Buffer, size: number, what: string): void {
  if (buf.length !== size) throw new RangeError(`${what} is ${buf.length} bytes, want ${size}`);
}

/** A u32 array-map key. */
function u32Key(index: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeUInt32LE(index);
  return key;
}

function checkBank(bank: number): void {
  if (bank !== 0 && bank !== 1) throw new RangeError(`bank ${bank} is not 0 or 1`);
}

// ---- keys --------------------------------------------------------------------------------------

export function stepKey(bank: 0 | 1, dir: number, pc: number): Buffer {
  checkBank(bank);
  if (pc < 0 || pc >= FAST.QK_FAST_STEPS) throw new RangeError(`pc ${pc} outside 0..${FAST.QK_FAST_STEPS - 1}`);
  return u32Key((bank * FAST.QK_FAST_DIRS + dir) * FAST.QK_FAST_STEPS + pc);
}

export function endpointKey(bank: 0 | 1, index: number): Buffer {
  checkBank(bank);
  if (index < 0 || index >= FAST.QK_FAST_ENDPOINTS) throw new RangeError(`endpoint index ${index} outside 0..${FAST.QK_FAST_ENDPOINTS - 1}`);
  return u32Key(bank * FAST.QK_FAST_ENDPOINTS + index);
}

export function firewallKey(bank: 0 | 1, index: number): Buffer {
  checkBank(bank);
  if (index < 0 || index >= FAST.QK_FAST_FW_RULES) throw new RangeError(`firewall rule ${index} outside 0..${FAST.QK_FAST_FW_RULES - 1}`);
  return u32Key(bank * FAST.QK_FAST_FW_RULES + index);
}

/** The key of qk_fast_banks, qk_fast_ctl (0) and the other one-entry arrays. */
export function arrayKey(index: number): Buffer {
  return u32Key(index);
}

// ---- encoders ----------------------------------------------------------------------------------

export function encodeStep(step: FastStep): Buffer {
  const { size, fields } = FAST_STRUCTS.qk_fast_step;
  const out = Buffer.alloc(size);
  const value = step.value ?? Buffer.alloc(0);
  put(out, fields.kind, step.kind, 'kind');
  put(out, fields.op, step.op ?? 0, 'op');
  put(out, fields.flags, step.flags ?? 0, 'flags');
  put(out, fields.len, value.length, 'len');
  put(out, fields.key, step.key ?? 0, 'key');
  put(out, fields.key2, step.key2 ?? 0, 'key2');
  put(out, fields.next, step.next ?? 0, 'next');
  put(out, fields.count, step.count ?? 0, 'count');
  put(out, fields.arg, step.arg ?? 0, 'arg');
  put(out, fields.slot, step.slot ?? 0, 'slot');
  putBytes(out, fields.value, value, 'value');
  return out;
}

export function encodeEndpoint(e: FastEndpoint): Buffer {
  const { size, fields } = FAST_STRUCTS.qk_fast_endpoint;
  const out = Buffer.alloc(size);
  put(out, fields.family, e.family, 'family');
  put(out, fields.port, e.port, 'port');
  putBytes(out, fields.addr, e.addr, 'addr');
  return out;
}

/** Token bytes zero-padded past their length. */
export function encodeTokenKey(bank: 0 | 1, token: Buffer): Buffer {
  checkBank(bank);
  if (token.length < 1 || token.length > FAST.QK_FAST_VALUE_MAX) throw new RangeError(`a token of ${token.length} bytes: want 1..${FAST.QK_FAST_VALUE_MAX}`);
  const { size, fields } = FAST_STRUCTS.qk_fast_token_key;
  const out = Buffer.alloc(size);
  put(out, fields.bank, bank, 'bank');
  put(out, fields.len, token.length, 'len');
  putBytes(out, fields.bytes, token, 'bytes');
  return out;
}

/** `holders` ascending endpoint indices, all of them: the first QK_FAST_DESTS are stored, n counts all. */
export function encodeTokenValue(holders: readonly number[]): Buffer {
  const { size, fields } = FAST_STRUCTS.qk_fast_token_value;
  const out = Buffer.alloc(size);
  put(out, fields.n, holders.length, 'n');
  holders.slice(0, FAST.QK_FAST_DESTS).forEach((index, i) => put(out, { offset: fields.idx.offset + 2 * i, size: 2 }, index, `idx[${i}]`));
  return out;
}

export function encodeFirewallRule(rule: FastFirewallRule): Buffer {
  const { size, fields } = FAST_STRUCTS.qk_fast_fw_rule;
  const cidr = FAST_STRUCTS.qk_fast_cidr;
  const range = FAST_STRUCTS.qk_fast_port_range;
  if (rule.sources.length > FAST.QK_FAST_FW_CIDRS) throw new RangeError(`${rule.sources.length} sources: at most ${FAST.QK_FAST_FW_CIDRS}`);
  if (rule.ports.length > FAST.QK_FAST_FW_PORTS) throw new RangeError(`${rule.ports.length} port ranges: at most ${FAST.QK_FAST_FW_PORTS}`);
  const out = Buffer.alloc(size);
  put(out, fields.allow, rule.allow ? 1 : 0, 'allow');
  put(out, fields.n_sources, rule.sources.length, 'n_sources');
  put(out, fields.n_ports, rule.ports.length, 'n_ports');
  rule.sources.forEach((s, i) => {
    const at = fields.sources.offset + i * cidr.size;
    put(out, { offset: at + cidr.fields.family.offset, size: 1 }, s.family, `sources[${i}].family`);
    put(out, { offset: at + cidr.fields.prefix.offset, size: 1 }, s.prefix, `sources[${i}].prefix`);
    putBytes(out, { offset: at + cidr.fields.ip.offset, size: cidr.fields.ip.size }, s.ip, `sources[${i}].ip`);
  });
  rule.ports.forEach((p, i) => {
    const at = fields.ports.offset + i * range.size;
    put(out, { offset: at + range.fields.min.offset, size: 2 }, p.min, `ports[${i}].min`);
    put(out, { offset: at + range.fields.end.offset, size: 4 }, p.end, `ports[${i}].end`);
  });
  return out;
}

export function encodeFlowKey(k: FastFlowKey): Buffer {
  const { size, fields } = FAST_STRUCTS.qk_fast_flow_key;
  const out = Buffer.alloc(size);
  put(out, fields.dir, k.dir, 'dir');
  put(out, fields.family, k.family, 'family');
  put(out, fields.port_a, k.portA, 'port_a');
  put(out, fields.port_b, k.portB, 'port_b');
  putBytes(out, fields.addr_a, k.addrA, 'addr_a');
  putBytes(out, fields.addr_b, k.addrB, 'addr_b');
  return out;
}

export function encodeFlow(v: FastFlow): Buffer {
  const { size, fields } = FAST_STRUCTS.qk_fast_flow;
  const out = Buffer.alloc(size);
  putBytes(out, fields.src_addr, v.srcAddr, 'src_addr');
  putBytes(out, fields.dst_addr, v.dstAddr, 'dst_addr');
  put(out, fields.src_port, v.srcPort, 'src_port');
  put(out, fields.dst_port, v.dstPort, 'dst_port');
  put(out, fields.family, v.family, 'family');
  putBytes(out, fields.eth_src, v.ethSrc, 'eth_src');
  putBytes(out, fields.eth_dst, v.ethDst, 'eth_dst');
  put(out, fields.ifindex, v.ifindex, 'ifindex');
  put(out, fields.last_seen_ns, v.lastSeenNs, 'last_seen_ns');
  return out;
}

export function encodeCtl(ctl: FastCtl): Buffer {
  checkBank(ctl.bank);
  const { size, fields } = FAST_STRUCTS.qk_fast_ctl;
  const out = Buffer.alloc(size);
  put(out, fields.bank, ctl.bank, 'bank');
  put(out, fields.flags, ctl.flags, 'flags');
  put(out, fields.generation, ctl.generation, 'generation');
  return out;
}

/** `flags`: QK_FAST_BANK_F_PAYLOAD << dir for each direction whose chain reads the payload. */
export function encodeBank(endpointCount: number, flags = 0): Buffer {
  const { size, fields } = FAST_STRUCTS.qk_fast_bank;
  const out = Buffer.alloc(size);
  put(out, fields.endpoint_count, endpointCount, 'endpoint_count');
  put(out, fields.flags, flags, 'flags');
  return out;
}

// ---- decoders ----------------------------------------------------------------------------------

/** Every field of a step, value cut to its len. */
export function decodeStep(buf: Buffer): Required<FastStep> & { readonly len: number } {
  const { size, fields } = FAST_STRUCTS.qk_fast_step;
  checkSize(buf, size, 'step');
  const len = get(buf, fields.len);
  return {
    kind: get(buf, fields.kind),
    op: get(buf, fields.op),
    flags: get(buf, fields.flags),
    len,
    key: get(buf, fields.key),
    key2: get(buf, fields.key2),
    next: get(buf, fields.next),
    count: get(buf, fields.count),
    arg: get(buf, fields.arg),
    slot: get(buf, fields.slot),
    value: slice(buf, fields.value, Math.min(len, fields.value.size)),
  };
}

export function decodeBank(buf: Buffer): { endpointCount: number; flags: number } {
  const { size, fields } = FAST_STRUCTS.qk_fast_bank;
  checkSize(buf, size, 'bank header');
  return { endpointCount: get(buf, fields.endpoint_count), flags: get(buf, fields.flags) };
}

export function decodeEndpoint(buf: Buffer): FastEndpoint {
  const { size, fields } = FAST_STRUCTS.qk_fast_endpoint;
  checkSize(buf, size, 'endpoint');
  return { family: get(buf, fields.family), port: get(buf, fields.port), addr: slice(buf, fields.addr) };
}

export function decodeTokenKey(buf: Buffer): { bank: number; token: Buffer } {
  const { size, fields } = FAST_STRUCTS.qk_fast_token_key;
  checkSize(buf, size, 'token key');
  return { bank: get(buf, fields.bank), token: slice(buf, fields.bytes, Math.min(get(buf, fields.len), fields.bytes.size)) };
}

/** `n` holders in all; `holders` the stored first ones. */
export function decodeTokenValue(buf: Buffer): { n: number; holders: number[] } {
  const { size, fields } = FAST_STRUCTS.qk_fast_token_value;
  checkSize(buf, size, 'token value');
  const n = get(buf, fields.n);
  const holders = Array.from({ length: Math.min(n, FAST.QK_FAST_DESTS) }, (_, i) => buf.readUInt16LE(fields.idx.offset + 2 * i));
  return { n, holders };
}

export function decodeFirewallRule(buf: Buffer): FastFirewallRule {
  const { size, fields } = FAST_STRUCTS.qk_fast_fw_rule;
  const cidr = FAST_STRUCTS.qk_fast_cidr;
  const range = FAST_STRUCTS.qk_fast_port_range;
  checkSize(buf, size, 'firewall rule');
  const sources = Array.from({ length: Math.min(get(buf, fields.n_sources), FAST.QK_FAST_FW_CIDRS) }, (_, i): FastCidr => {
    const at = fields.sources.offset + i * cidr.size;
    return {
      family: buf[at + cidr.fields.family.offset] === 6 ? 6 : 4,
      prefix: buf[at + cidr.fields.prefix.offset],
      ip: slice(buf, { offset: at + 2, size: 16 }),
    };
  });
  const ports = Array.from({ length: Math.min(get(buf, fields.n_ports), FAST.QK_FAST_FW_PORTS) }, (_, i): FastPortRange => {
    const at = fields.ports.offset + i * range.size;
    return { min: buf.readUInt16LE(at + range.fields.min.offset), end: buf.readUInt32LE(at + range.fields.end.offset) };
  });
  return { allow: get(buf, fields.allow) !== 0, sources, ports };
}

function decodeMeta(buf: Buffer, offset: number): FastMeta {
  const { fields } = FAST_STRUCTS.qk_fast_meta;
  const tag = buf[offset + fields.tag.offset];
  const len = Math.min(buf[offset + fields.len.offset], fields.bytes.size);
  return { tag, bytes: slice(buf, { offset: offset + fields.bytes.offset, size: fields.bytes.size }, len) };
}

/** The trace record (qk_fast_trace) or a per-CPU state entry. */
export function decodeState(buf: Buffer): FastState {
  const { size, fields } = FAST_STRUCTS.qk_fast_state;
  checkSize(buf, size, 'state record');
  const allDests = get(buf, fields.all_dests) !== 0;
  const nDests = allDests ? 0 : Math.min(get(buf, fields.n_dests), FAST.QK_FAST_DESTS);
  const payloadLen = get(buf, fields.payload_len);
  const window = Math.min(payloadLen, FAST.QK_FAST_WINDOW);
  const metaSize = FAST_STRUCTS.qk_fast_meta.size;
  return {
    dir: get(buf, fields.dir),
    family: get(buf, fields.family),
    srcPort: get(buf, fields.src_port),
    srcAddr: slice(buf, fields.src_addr),
    payloadLen,
    cutFront: get(buf, fields.cut_front),
    cutBack: get(buf, fields.cut_back),
    pre: slice(buf, fields.pre, Math.min(get(buf, fields.pre_len), fields.pre.size)),
    post: slice(buf, fields.post, Math.min(get(buf, fields.post_len), fields.post.size)),
    pc: get(buf, fields.pc),
    steps: get(buf, fields.steps),
    verdict: get(buf, fields.verdict),
    reason: get(buf, fields.reason),
    endpointCount: get(buf, fields.endpoint_count),
    allDests,
    dests: Array.from({ length: nDests }, (_, i) => buf.readUInt16LE(fields.dests.offset + 2 * i)),
    meta: Array.from({ length: FAST.QK_FAST_KEYS }, (_, i) => decodeMeta(buf, fields.meta.offset + i * metaSize)),
    head: slice(buf, fields.head, window),
    // Both windows start at index 0: tail[i] is payload[payloadLen - window + i].
    tail: slice(buf, fields.tail, window),
    bank: get(buf, fields.bank),
    seq: buf.readBigUInt64LE(fields.seq.offset),
  };
}
