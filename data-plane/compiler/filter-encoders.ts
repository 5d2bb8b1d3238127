// SPDX-License-Identifier: Apache-2.0
// One encoder per filter: normalised TS config -> the payload the native filter parses
// (native/engine/description.md). Nested filters (Match) recurse through `EncodeContext.filter`.
import type { JsonValue } from '../../config/model';
import { translatePattern } from '../filters/capture/byte-regex';
import { decodeBase64 } from '../filters/config-schema';
import { ipv4ToInt, ipv6Words, parseCidr } from '../filters/firewall/cidr';
import { parsePortRange } from '../filters/firewall/firewall';
import { metadataFromJson } from '../filters/metadata';
import { writeValue } from './values';
import type { ByteWriter } from './wire';

export interface EncodeContext {
  readonly w: ByteWriter;
  /** Interns a metadata key, returning its index. */
  key(name: string): number;
  /** Encodes a nested filter (kind, slot, payload). */
  filter(name: string, config: JsonValue | undefined, path: string): void;
}

type Obj = { [key: string]: JsonValue };
export type Encoder = (ctx: EncodeContext, config: Obj, path: string) => void;

const CONCAT: Record<string, number> = { DO_NOTHING: 0, APPEND: 1, PREPEND: 2 };
const COMPRESS_MODE: Record<string, number> = { SNAPPY: 0, LZ4: 1 };
const COMPRESS_ACTION: Record<string, number> = { DO_NOTHING: 0, COMPRESS: 1, DECOMPRESS: 2 };
const POLICY: Record<string, number> = { ROUND_ROBIN: 0, RANDOM: 1, HASH: 2 };

const translated = new Map<string, string>();

/**
 * Rewrites the translator's multi-line anchors (JS look-around) into RE2's `(?m:^)` / `(?m:$)`.
 * Memoised: Unicode classes make translation costly and configs repeat patterns.
 */
export function regexForEngine(pattern: string): string {
  let src = translated.get(pattern);
  if (src === undefined) {
    src = translateForEngine(pattern);
    if (translated.size > 1024) translated.clear();
    translated.set(pattern, src);
  }
  return src;
}

function translateForEngine(pattern: string): string {
  const src = translatePattern(pattern).split('(?:^|(?<=\\n))').join('(?m:^)').split('(?:$|(?=\\n))').join('(?m:$)');
  if (/\(\?<?[=!]/.test(src)) throw new Error(`regex \`${pattern}\`: its translation needs look-around, which the native engine lacks`);
  return src;
}

const capture: Encoder = ({ w, key }, c) => {
  const metadataKey = c.metadataKey as string;
  w.u16(key(metadataKey)).u16(key(`${metadataKey}/is_present`));
  if (c.regex) {
    const pattern = (c.regex as Obj).pattern as string;
    w.u8(2).u32(0).u8(0).bytes32(Buffer.from(regexForEngine(pattern), 'latin1'));
    return;
  }
  const affix = (c.prefix ?? c.suffix) as Obj;
  w.u8(c.prefix ? 0 : 1).u32(affix.size as number).u8(affix.remove ? 1 : 0).bytes32(Buffer.alloc(0));
};

const concatenate: Encoder = ({ w }, c) => {
  w.u8(CONCAT[c.on_read as string]).u8(CONCAT[c.on_write as string]).bytes32(decodeBase64(c.bytes as string));
};

const compress: Encoder = ({ w }, c) => {
  w.u8(COMPRESS_MODE[c.mode as string]).u8(COMPRESS_ACTION[c.on_read as string]).u8(COMPRESS_ACTION[c.on_write as string]);
};

const debug: Encoder = ({ w }, c) => {
  w.u8(c.id !== undefined ? 1 : 0).str16((c.id as string | undefined) ?? '');
};

function ipBytes(ip: string): { family: number; bytes: Buffer } {
  const v4 = ipv4ToInt(ip);
  const bytes = Buffer.alloc(16);
  if (v4 >= 0) {
    bytes.writeUInt32BE(v4, 0);
    return { family: 4, bytes };
  }
  const words = ipv6Words(ip);
  if (!words) return { family: 0, bytes };
  words.forEach((word, i) => bytes.writeUInt16BE(word, i * 2));
  return { family: 6, bytes };
}

function writeRules(w: ByteWriter, rules: JsonValue, path: string): void {
  const list = rules as Obj[];
  w.u16(list.length);
  for (const rule of list) {
    w.u8(rule.action === 'ALLOW' ? 0 : 1);
    const sources = rule.sources as string[];
    w.u16(sources.length);
    for (const text of sources) {
      const cidr = parseCidr(text);
      if (typeof cidr === 'string') throw new Error(`${path}: ${cidr}`);
      const slash = text.indexOf('/');
      const { family, bytes } = ipBytes(slash < 0 ? text : text.slice(0, slash));
      w.u8(family).raw(bytes).u8(cidr.family === 4 ? prefixOfMask(cidr.mask) : cidr.prefix);
    }
    const ports = rule.ports as Array<string | number>;
    w.u16(ports.length);
    for (const p of ports) {
      const range = parsePortRange(p);
      if (typeof range === 'string') throw new Error(`${path}: ${range}`);
      w.u16(range.min).u32(range.max);
    }
  }
}

function prefixOfMask(mask: number): number {
  let n = 0;
  while (n < 32 && (mask >>> (31 - n)) & 1) n++;
  return n;
}

const firewall: Encoder = ({ w }, c, path) => {
  writeRules(w, c.on_read, `${path}.on_read`);
  writeRules(w, c.on_write, `${path}.on_write`);
};

const loadBalancer: Encoder = ({ w }, c) => {
  w.u8(POLICY[c.policy as string]);
};

const localRateLimit: Encoder = ({ w }, c) => {
  w.u64(c.max_packets as number).u32(c.period as number);
};

const match: Encoder = (ctx, c, path) => {
  for (const dir of ['on_read', 'on_write'] as const) {
    const d = c[dir] as Obj | undefined;
    ctx.w.u8(d ? 1 : 0);
    if (!d) continue;
    ctx.w.u16(ctx.key(d.metadataKey as string));
    const branches = d.branches as Obj[];
    ctx.w.u16(branches.length);
    branches.forEach((b, i) => {
      const value = metadataFromJson(b.value);
      if (value === undefined) throw new Error(`${path}.${dir}.branches[${i}].value: not a metadata value`);
      writeValue(ctx.w, value);
      ctx.filter(b.name as string, b.config, `${path}.${dir}.branches[${i}]`);
    });
    const fall = d.fallthrough as Obj;
    ctx.filter(fall.name as string, fall.config, `${path}.${dir}.fallthrough`);
  }
};

const keyOnly: Encoder = ({ w, key }, c) => {
  w.u16(key(c.metadataKey as string));
};

const none: Encoder = () => undefined;

/** Filter name -> description kind and encoder (kinds as in native/engine/description.md). */
export const ENCODERS: ReadonlyMap<string, { kind: number; encode: Encoder }> = new Map([
  ['quilkin.filters.capture.v1alpha1.Capture', { kind: 1, encode: capture }],
  ['quilkin.filters.concatenate.v1alpha1.Concatenate', { kind: 2, encode: concatenate }],
  ['quilkin.filters.debug.v1alpha1.Debug', { kind: 3, encode: debug }],
  ['quilkin.filters.drop.v1alpha1.Drop', { kind: 4, encode: none }],
  ['quilkin.filters.firewall.v1alpha1.Firewall', { kind: 5, encode: firewall }],
  ['quilkin.filters.load_balancer.v1alpha1.LoadBalancer', { kind: 6, encode: loadBalancer }],
  ['quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit', { kind: 7, encode: localRateLimit }],
  ['quilkin.filters.match.v1alpha1.Match', { kind: 8, encode: match }],
  ['quilkin.filters.pass.v1alpha1.Pass', { kind: 9, encode: none }],
  ['quilkin.filters.timestamp.v1alpha1.Timestamp', { kind: 10, encode: keyOnly }],
  ['quilkin.filters.token_router.v1alpha1.TokenRouter', { kind: 11, encode: keyOnly }],
  ['quilkin.filters.token_router.v1alpha1.HashedTokenRouter', { kind: 12, encode: keyOnly }],
  ['quilkin.filters.compress.v1alpha1.Compress', { kind: 13, encode: compress }],
]);

export { ipBytes };
