// SPDX-License-Identifier: Apache-2.0
// The Capture regex as the native engine compiles it (RE2, Latin-1): the byte-level translation
// of byte-regex.ts with its multi-line anchors rewritten, since RE2 has no look-around.
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
  return src;
}
