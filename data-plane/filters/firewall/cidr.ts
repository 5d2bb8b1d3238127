// SPDX-License-Identifier: Apache-2.0
// CIDR parsing and matching for Firewall rules, without allocation on the IPv4 match path.
import * as net from 'node:net';

/** An IPv4 network as 32-bit integers, or an IPv6 network as eight 16-bit words. */
export type Cidr = { family: 4; base: number; mask: number } | { family: 6; words: number[]; prefix: number };

/** Parses dotted IPv4 text into an unsigned 32-bit integer; -1 if it is not IPv4. */
export function ipv4ToInt(ip: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** Expands IPv6 text (with `::` and an optional dotted IPv4 tail) into eight words. */
export function ipv6Words(ip: string): number[] | undefined {
  if (!net.isIPv6(ip)) return undefined;
  const text = ip.replace(/%.*$/, '');
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const toWords = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const v4 = ipv4ToInt(g);
      return [v4 >>> 16, v4 & 0xffff];
    });
  };
  const h = toWords(head);
  const t = tail === undefined ? [] : toWords(tail);
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a host route); returns an error message on failure. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const v4 = ipv4ToInt(ip);
  const max = v4 >= 0 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return `invalid prefix length \`${prefixText}\` in \`${text}\``;
    prefix = Number(prefixText);
  }
  if (v4 >= 0) {
    const mask = maskOf(prefix);
    return { family: 4, base: (v4 & mask) >>> 0, mask };
  }
  const words = ipv6Words(ip);
  if (!words) return `\`${text}\` is not an IP network (a.b.c.d/n, x::/n or a bare address)`;
  return { family: 6, words, prefix };
}

/** IPv4 embedded in an IPv6 address (::ffff:a.b.c.d or ::a.b.c.d), or -1. */
function embeddedIpv4(words: readonly number[]): number {
  for (let i = 0; i < 5; i++) if (words[i] !== 0) return -1;
  if (words[5] !== 0 && words[5] !== 0xffff) return -1;
  return ((words[6] << 16) | words[7]) >>> 0;
}

function v6Contains(cidr: { words: number[]; prefix: number }, words: readonly number[]): boolean {
  let remaining = cidr.prefix;
  for (let i = 0; i < 8 && remaining > 0; i++, remaining -= 16) {
    const bits = Math.min(16, remaining);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if ((cidr.words[i] & mask) !== (words[i] & mask)) return false;
  }
  return true;
}

/** An address ready for matching: parsed once per packet. */
export interface ParsedIp {
  v4: number;
  v6: number[] | undefined;
}

export function parseIp(ip: string): ParsedIp {
  const v4 = ipv4ToInt(ip);
  if (v4 >= 0) return { v4, v6: undefined };
  const v6 = ipv6Words(ip);
  return { v4: v6 ? embeddedIpv4(v6) : -1, v6 };
}

/** IPv4 networks also match IPv4-mapped and IPv4-compatible IPv6 addresses, as upstream. */
export function cidrContains(cidr: Cidr, ip: ParsedIp): boolean {
  return cidrContainsParts(cidr, ip.v4, ip.v6);
}

/** The same test on the parts of a ParsedIp, so the IPv4 hot path needs no object. */
export function cidrContainsParts(cidr: Cidr, v4: number, v6: readonly number[] | undefined): boolean {
  if (cidr.family === 4) return v4 >= 0 && (v4 & cidr.mask) >>> 0 === cidr.base;
  return v6 !== undefined && v6Contains(cidr, v6);
}
