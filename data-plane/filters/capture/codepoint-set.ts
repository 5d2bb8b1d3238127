// SPDX-License-Identifier: Apache-2.0
// Sets of code points (or bytes) as sorted ranges, and their UTF-8 encoding as byte-level regex source.

/** Inclusive [lo, hi] ranges, sorted and non-overlapping after normalise(). */
export type Ranges = Array<[number, number]>;

export const MAX_SCALAR = 0x10ffff;
const SURROGATES: [number, number] = [0xd800, 0xdfff];

export function normalise(ranges: Ranges): Ranges {
  const sorted = ranges.filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** Complement within [0, max]; for Unicode (max 0x10FFFF) surrogates are never members. */
export function complement(ranges: Ranges, max: number): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of normalise(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= max) out.push([next, max]);
  return max === MAX_SCALAR ? withoutSurrogates(out) : out;
}

export function withoutSurrogates(ranges: Ranges): Ranges {
  const out: Ranges = [];
  for (const [lo, hi] of normalise(ranges)) {
    if (hi < SURROGATES[0] || lo > SURROGATES[1]) out.push([lo, hi]);
    else {
      if (lo < SURROGATES[0]) out.push([lo, SURROGATES[0] - 1]);
      if (hi > SURROGATES[1]) out.push([SURROGATES[1] + 1, hi]);
    }
  }
  return out;
}

/** Every member of a code point set built by testing a JS Unicode regex (used for \d \s \w). */
export function rangesMatching(test: RegExp): Ranges {
  const out: Ranges = [];
  let start = -1;
  for (let cp = 0; cp <= MAX_SCALAR + 1; cp++) {
    const inside = cp <= MAX_SCALAR && (cp < SURROGATES[0] || cp > SURROGATES[1]) && test.test(String.fromCodePoint(cp));
    if (inside && start < 0) start = cp;
    else if (!inside && start >= 0) {
      out.push([start, cp - 1]);
      start = -1;
    }
  }
  return out;
}

export function hexByte(b: number): string {
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

/** A JS character class over single bytes (the haystack is bytes mapped 1:1 to latin1 chars). */
export function byteClass(ranges: Ranges): string {
  const parts = normalise(ranges).map(([lo, hi]) => (lo === hi ? hexByte(lo) : `${hexByte(lo)}-${hexByte(hi)}`));
  return parts.length === 0 ? '[^\\x00-\\xff]' : `[${parts.join('')}]`;
}

function utf8Length(cp: number): number {
  return cp <= 0x7f ? 1 : cp <= 0x7ff ? 2 : cp <= 0xffff ? 3 : 4;
}

function encode(cp: number): number[] {
  return [...Buffer.from(String.fromCodePoint(cp), 'utf8')];
}

/**
 * Splits a code point range into ranges whose UTF-8 encodings differ only in a per-byte range, so
 * each becomes a sequence of byte classes (the classic construction used by UTF-8 automata).
 */
function sequences(lo: number, hi: number, out: Array<Array<[number, number]>>): void {
  for (const boundary of [0x7f, 0x7ff, 0xffff]) {
    if (lo <= boundary && hi > boundary) {
      sequences(lo, boundary, out);
      sequences(boundary + 1, hi, out);
      return;
    }
  }
  const n = utf8Length(lo);
  for (let i = 1; i < n; i++) {
    const m = (1 << (6 * i)) - 1;
    if ((lo & ~m) !== (hi & ~m)) {
      if ((lo & m) !== 0) {
        sequences(lo, lo | m, out);
        sequences((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) !== m) {
        sequences(lo, (hi & ~m) - 1, out);
        sequences(hi & ~m, hi, out);
        return;
      }
    }
  }
  const a = encode(lo);
  const b = encode(hi);
  out.push(a.map((byte, i) => [byte, b[i]]));
}

/** Regex source matching exactly the UTF-8 encoding of one member of the set. */
export function utf8Alternation(ranges: Ranges): string {
  const seqs: Array<Array<[number, number]>> = [];
  for (const [lo, hi] of withoutSurrogates(ranges)) sequences(lo, hi, seqs);
  if (seqs.length === 0) return '[^\\x00-\\xff]';
  const alternatives = seqs.map((seq) => seq.map(([l, h]) => (l === h ? hexByte(l) : `[${hexByte(l)}-${hexByte(h)}]`)).join(''));
  return alternatives.length === 1 ? alternatives[0] : `(?:${alternatives.join('|')})`;
}
