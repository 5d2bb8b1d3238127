// SPDX-License-Identifier: Apache-2.0
// Compares an implementation's output with a vector's expectation; returns every mismatch.
import type { MetadataValue } from '../../data-plane/filters/metadata';
import type { PacketOutput } from './implementations';
import type { PacketExpect } from './vectors';

/** Strict variant-aware equality: the vectors say which variant (Bytes, String, ...) must be stored. */
export function sameMetaValue(a: MetadataValue, b: MetadataValue): boolean {
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameMetaValue(v, b[i]));
  return a === b;
}

export function showMetaValue(v: MetadataValue | undefined | null): string {
  if (v === undefined || v === null) return String(v);
  if (Buffer.isBuffer(v)) return `bytes(hex ${v.toString('hex')})`;
  if (Array.isArray(v)) return `[${v.map(showMetaValue).join(', ')}]`;
  return `${typeof v}(${JSON.stringify(v)})`;
}

function sortedEqual(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function checkMetadata(expect: PacketExpect, out: PacketOutput, problems: string[]): void {
  if (!expect.metadata) return;
  if (!out.metadata) {
    problems.push('implementation returned no metadata but the case checks it');
    return;
  }
  for (const [key, want] of expect.metadata) {
    const got = out.metadata.get(key);
    if (want === null) {
      if (got !== undefined) problems.push(`metadata ${key}: expected absent, got ${showMetaValue(got)}`);
    } else if (got === undefined || !sameMetaValue(got, want)) {
      problems.push(`metadata ${key}: expected ${showMetaValue(want)}, got ${showMetaValue(got)}`);
    }
  }
}

function checkDestinations(expect: PacketExpect, out: PacketOutput, earlier: ReadonlyArray<readonly string[] | undefined>, problems: string[]): void {
  const got = out.destinations ?? [];
  if (expect.destinations) {
    const ok = expect.destinationsOrdered ? got.join(',') === expect.destinations.join(',') : sortedEqual(got, expect.destinations);
    if (!ok) problems.push(`destinations: expected [${expect.destinations.join(', ')}], got [${got.join(', ')}]`);
  }
  if (expect.destinationsOneOf && (got.length !== 1 || !expect.destinationsOneOf.includes(got[0]))) {
    problems.push(`destinations: expected exactly one of [${expect.destinationsOneOf.join(', ')}], got [${got.join(', ')}]`);
  }
  if (expect.sameAsStep !== undefined) {
    const before = earlier[expect.sameAsStep] ?? [];
    if (before.join(',') !== got.join(','))
      problems.push(`destinations: expected the same as step ${expect.sameAsStep} [${before.join(', ')}], got [${got.join(', ')}]`);
  }
}

export function checkPacket(expect: PacketExpect, out: PacketOutput, earlier: ReadonlyArray<readonly string[] | undefined>): string[] {
  const problems: string[] = [];
  if (out.dropped !== expect.dropped) {
    problems.push(`expected ${expect.dropped ? 'a drop' : 'no drop'}, got ${out.dropped ? `a drop (${out.reason})` : 'no drop'}`);
    return problems;
  }
  if (expect.dropped) {
    if (expect.reason !== undefined && out.reason !== expect.reason) problems.push(`reason: expected \`${expect.reason}\`, got \`${out.reason}\``);
    return problems;
  }
  if (expect.output && !(out.contents && out.contents.equals(expect.output))) {
    problems.push(`output: expected hex ${expect.output.toString('hex')}, got hex ${out.contents?.toString('hex')}`);
  }
  checkMetadata(expect, out, problems);
  checkDestinations(expect, out, earlier, problems);
  if (expect.observed !== undefined && (out.timestampSamples.length === 1) !== expect.observed) {
    problems.push(`timestamp: expected ${expect.observed ? 'one sample' : 'no sample'}, got ${out.timestampSamples.length}`);
  }
  return problems;
}
