// SPDX-License-Identifier: Apache-2.0
// Finds text in a repository file that names a path outside the checkout: a relative path that
// climbs above the repository root, a folder that only exists beside some checkouts (shared/), or
// an absolute path of the machine the project was written on.
import * as path from 'node:path';

export interface OutsideReference {
  readonly line: number;
  readonly text: string;
}

/** Names that only ever existed outside the checkout; any mention of them as a path is a leak. */
const KNOWN_OUTSIDE = /(?:\.\.\/shared\b|\bshared\/(?:conformance|reference|DESIGN\.md|STYLE\.md|hooks)\b|\/work\/[\w./-]+|\/tmp\/issues\b)/g;
/** `../../name` written with slashes. */
const SLASH_UPS = /((?:\.\.\/)+)([\w.-]+)/g;
/** `path.join(base, '..', '..', 'name')` written as arguments. */
const ARG_UPS = /(__dirname|repoRoot\(\))((?:\s*,\s*['"]\.\.['"])+)\s*,\s*['"]([^'"]+)['"]/g;

const ROOT = '/checkout';

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Where `ups` levels above `base` (relative to the root) lands, and whether that is still the
 * checkout. One level above the root is accepted when the next name is one of the root's own
 * entries: that is the checkout seen from one level deeper (compiled code in dist/, a generated
 * build directory).
 */
function escapes(base: string, ups: number, next: string, topLevel: ReadonlySet<string>): boolean {
  const landed = path.posix.resolve(ROOT, base, ...Array<string>(ups).fill('..'));
  if (landed === ROOT || landed.startsWith(`${ROOT}/`)) return false;
  return !(landed === path.posix.dirname(ROOT) && topLevel.has(next));
}

/** The directories a relative path in `file` may be meant from: its own, and for TypeScript its compiled twin in dist/. */
function baseDirs(file: string): string[] {
  const dir = path.posix.dirname(file);
  return file.endsWith('.ts') ? [dir, path.posix.join('dist', dir)] : [dir];
}

export function outsideReferences(file: string, text: string, topLevel: ReadonlySet<string>): OutsideReference[] {
  const spans: Array<{ start: number; end: number }> = [];
  const found: OutsideReference[] = [];
  const add = (index: number, match: string) => {
    const end = index + match.length;
    if (spans.some((s) => index < s.end && s.start < end)) return; // one report per place
    spans.push({ start: index, end });
    found.push({ line: lineOf(text, index), text: match });
  };
  for (const m of text.matchAll(SLASH_UPS)) {
    if (baseDirs(file).every((base) => escapes(base, m[1].length / 3, m[2], topLevel))) add(m.index, m[0]);
  }
  for (const m of text.matchAll(ARG_UPS)) {
    const ups = (m[2].match(/\.\./g) ?? []).length;
    const bases = m[1] === '__dirname' ? baseDirs(file) : ['.'];
    if (bases.every((base) => escapes(base, ups, m[3], topLevel))) add(m.index, m[0]);
  }
  for (const m of text.matchAll(KNOWN_OUTSIDE)) add(m.index, m[0]);
  return found.sort((a, b) => a.line - b.line);
}
