// SPDX-License-Identifier: Apache-2.0
// The Capture regex as the native engine compiles it (RE2, Latin-1): the byte-level translation
// of byte-regex.ts with its multi-line anchors rewritten, since RE2 has no look-around, and its
// high-byte literals shielded from RE2's prefix factoring (see shieldHighBytes).
import { translatePattern } from './byte-regex';

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
  return shieldHighBytes(src);
}

const HIGH_BYTE = /^\\x[89a-f][0-9a-f]$/;

/**
 * RE2 in Latin-1 loses bytes >= 0x80 when it factors a literal prefix shared by alternatives:
 * `\xff|\xffc` or `\xa5\xd1|\xa5\x64` then match nothing (google/re2#477, seen with Debian's
 * 20220601). Byte translations are full of such prefixes (every UTF-8 class shares lead bytes), so
 * every high-byte literal, bare or as a one-byte class, becomes `(?:\xHH{1})`: a repeat is not a
 * literal to the parser's factoring, and RE2 simplifies it back to the byte before compiling.
 */
export function shieldHighBytes(src: string): string {
  let out = '';
  for (let i = 0; i < src.length;) {
    if (src[i] === '\\') {
      const escape = src.slice(i, src[i + 1] === 'x' ? i + 4 : i + 2);
      out += HIGH_BYTE.test(escape) ? `(?:${escape}{1})` : escape;
      i += escape.length;
    } else if (src[i] === '[') {
      let j = i + 1;
      while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? (src[j + 1] === 'x' ? 4 : 2) : 1;
      const cls = src.slice(i, j + 1);
      const single = cls.slice(1, -1);
      out += HIGH_BYTE.test(single) ? `(?:${single}{1})` : cls;
      i = j + 1;
    } else {
      out += src[i++];
    }
  }
  return out;
}
