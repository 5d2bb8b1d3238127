// SPDX-License-Identifier: Apache-2.0
// Unicode data for regex translation, derived once from the JS engine's own Unicode tables.
import { MAX_SCALAR, normalise, type Ranges, rangesMatching } from './codepoint-set';

/**
 * Rust's Unicode-mode Perl classes: \d = Nd, \s = White_Space, \w = Alphabetic + M + Nd + Pc +
 * Join_Control. Node's ICU may be a different Unicode version than Rust's tables; the README says so.
 */
const PERL_TESTS = {
  d: /^\p{Nd}$/u,
  s: /^\p{White_Space}$/u,
  w: /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u,
} as const;

const perlCache = new Map<string, Ranges>();

export function unicodePerlClass(kind: 'd' | 's' | 'w'): Ranges {
  let ranges = perlCache.get(kind);
  if (!ranges) perlCache.set(kind, (ranges = rangesMatching(PERL_TESTS[kind])));
  return ranges;
}

export function asciiPerlClass(kind: 'd' | 's' | 'w'): Ranges {
  if (kind === 'd') return [[0x30, 0x39]];
  if (kind === 's')
    return [
      [0x09, 0x0d],
      [0x20, 0x20],
    ];
  return [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ];
}

/** Simple case folding classes: code point -> every code point that folds together with it. */
let foldClasses: Map<number, number[]> | undefined;

function singleCodePoint(s: string): number | undefined {
  const cp = s.codePointAt(0);
  return cp !== undefined && String.fromCodePoint(cp).length === s.length ? cp : undefined;
}

/**
 * Builds the equivalence classes from single-code-point lower/upper mappings (a union-find), which
 * reproduces simple case folding: K~k~KELVIN SIGN, s~S~LONG S, sigma's three forms, and so on.
 */
function buildFoldClasses(): Map<number, number[]> {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let root = x;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  for (let cp = 0; cp <= 0x1ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    for (const mapped of [ch.toLowerCase(), ch.toUpperCase()]) {
      const other = singleCodePoint(mapped);
      if (other !== undefined && other !== cp) union(cp, other);
    }
  }
  const classes = new Map<number, number[]>();
  for (const cp of parent.keys()) {
    const root = find(cp);
    const members = classes.get(root) ?? [];
    if (!classes.has(root)) classes.set(root, members);
    if (!members.includes(cp)) members.push(cp);
    if (!members.includes(root)) members.push(root);
  }
  const byMember = new Map<number, number[]>();
  for (const members of classes.values()) for (const m of members) byMember.set(m, members);
  return byMember;
}

/** Adds every case variant of every member. Unicode: simple folding; ASCII mode: A-Z/a-z only. */
export function caseFold(ranges: Ranges, unicode: boolean): Ranges {
  const extra: Ranges = [];
  if (!unicode) {
    for (const [lo, hi] of ranges) {
      const l = Math.max(lo, 0x41),
        h = Math.min(hi, 0x5a);
      if (l <= h) extra.push([l + 32, h + 32]);
      const l2 = Math.max(lo, 0x61),
        h2 = Math.min(hi, 0x7a);
      if (l2 <= h2) extra.push([l2 - 32, h2 - 32]);
    }
    return normalise([...ranges, ...extra]);
  }
  foldClasses ??= buildFoldClasses();
  for (const [lo, hi] of ranges) {
    // Case-bearing code points all sit below 0x20000; a huge range is folded only where it matters.
    for (let cp = lo; cp <= Math.min(hi, 0x1ffff, MAX_SCALAR); cp++) {
      const members = foldClasses.get(cp);
      if (members) for (const m of members) extra.push([m, m]);
    }
  }
  return normalise([...ranges, ...extra]);
}

const propertyCache = new Map<string, Ranges>();

/** A JS property expression, or undefined if the JS engine does not know it. */
function jsProperty(expr: string): RegExp | undefined {
  try {
    return new RegExp(`^\\p{${expr}}$`, 'u');
  } catch {
    return undefined;
  }
}

/**
 * Resolves a Rust `\p{...}` query (`Greek`, `L`, `Letter`, `sc=Greek`, `Script:Latin`, `gc=Lu`,
 * `White_Space`) with the JS engine's Unicode tables. Bare names are tried as a binary property or
 * general category first, then as a script, in Rust's order. Names must be spelled as Unicode
 * spells them (JS matches names exactly, Rust loosely); anything else returns undefined.
 */
export function unicodeProperty(query: string): Ranges | undefined {
  const cached = propertyCache.get(query);
  if (cached) return cached;
  const parts = /^([^=:]+)[=:](.+)$/.exec(query.replace(/\s+/g, ''));
  const candidates = parts ? [`${parts[1]}=${parts[2]}`] : [query, `Script=${query}`];
  for (const expr of candidates) {
    const test = jsProperty(expr);
    if (test) {
      const ranges = rangesMatching(test);
      propertyCache.set(query, ranges);
      return ranges;
    }
  }
  return undefined;
}
