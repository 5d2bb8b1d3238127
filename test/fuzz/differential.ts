// SPDX-License-Identifier: Apache-2.0
// Runs a batch of fuzz cases through the TypeScript reference and the native engine (one N-API
// call per batch) and returns every disagreement.
import { compileChain } from '../../data-plane/compiler/description';
import { ByteReader, ByteWriter } from '../../data-plane/compiler/wire';
import { filterRegistry } from '../../data-plane/filters/index';
import type { Metadata } from '../../data-plane/filters/metadata';
import type { EngineAddon } from '../../native/engine/engine-addon';
import { sameMetaValue, showMetaValue } from '../conformance/check';
import type { PacketOutput } from '../conformance/implementations';
import { decodeStepResult, encodeStep, type NativeStepResult, normaliseFilters } from '../conformance/native-implementation';
import { typescriptImplementation } from '../conformance/typescript-implementation';
import type { FuzzCase } from './arbitraries';

const T0_MS = 1_700_000_000_000;
const BATCH_MAGIC = 0x42544b51; // "QKTB"

interface Prepared {
  readonly c: FuzzCase;
  readonly endpoints: readonly string[];
  readonly expected: PacketOutput[];
  readonly nowMs: number[];
}

export interface BatchReport {
  readonly ran: number;
  readonly skipped: number;
  readonly mismatches: string[];
}

/** Runs the TS side, or returns undefined when the generated chain is not a valid config. */
function prepare(c: FuzzCase): (Prepared & { description: Buffer }) | undefined {
  let compiled;
  try {
    compiled = compileChain(normaliseFilters(c.filters), c.clusters, filterRegistry());
  } catch {
    return undefined;
  }
  let now = T0_MS;
  const clock = { now: () => now };
  const runner = typescriptImplementation.createChain({ filters: c.filters, clusters: c.clusters, clock });
  if (typeof runner === 'string') return undefined;
  const expected: PacketOutput[] = [];
  const nowMs: number[] = [];
  for (const s of c.steps) {
    now += s.advanceSeconds * 1000;
    nowMs.push(now);
    expected.push(runner.process({ direction: s.direction, source: s.source, dest: s.dest, contents: Buffer.from(s.contents), metadata: new Map(s.metadata) }));
  }
  return { c, endpoints: compiled.endpoints, expected, nowMs, description: compiled.description };
}

function metadataDiff(want: Metadata | undefined, got: Metadata): string | undefined {
  const keys = new Set([...(want?.keys() ?? []), ...got.keys()]);
  for (const k of keys) {
    const a = want?.get(k);
    const b = got.get(k);
    if (a === undefined || b === undefined || !sameMetaValue(a, b)) return `metadata ${k}: ts ${showMetaValue(a)} native ${showMetaValue(b)}`;
  }
  return undefined;
}

function compare(want: PacketOutput, got: NativeStepResult, endpoints: readonly string[], read: boolean): string | undefined {
  if (want.dropped !== (got.reason !== undefined) || (want.dropped && want.reason !== got.reason)) {
    return `verdict: ts ${want.dropped ? want.reason : 'pass'}, native ${got.reason ?? 'pass'}`;
  }
  const meta = metadataDiff(want.metadata, got.metadata);
  if (meta) return meta;
  if (want.timestampSamples.length !== got.samples) return `timestamp samples: ts ${want.timestampSamples.length} native ${got.samples}`;
  const tsSum = want.timestampSamples.reduce((a, b) => a + b, 0);
  if (Math.abs(tsSum - got.sampleSum) > 1e-6 * Math.max(1, Math.abs(tsSum))) return `timestamp sum: ts ${tsSum} native ${got.sampleSum}`;
  if (want.dropped) return undefined;
  if (!want.contents!.equals(got.contents)) return `contents: ts ${want.contents!.toString('hex')} native ${got.contents.toString('hex')}`;
  if (read) {
    const nat = got.destinations.map((i) => endpoints[i]).join(',');
    const ts = (want.destinations ?? []).join(',');
    if (nat !== ts) return `destinations: ts [${ts}] native [${nat}]`;
  }
  return undefined;
}

function describeCase(c: FuzzCase): string {
  return JSON.stringify({ filters: c.filters, endpoints: c.clusters.flatMap((g) => g.endpoints.map((e) => [e.address.key, e.tokens.map((t) => t.toString('hex'))])) });
}

export function runDifferentialBatch(engine: EngineAddon, cases: readonly FuzzCase[], seed: number): BatchReport {
  const prepared = cases.map(prepare).filter((p) => p !== undefined);
  const w = new ByteWriter();
  w.u32(BATCH_MAGIC).u32(prepared.length);
  for (const p of prepared) {
    w.bytes32(p.description).u64(seed).u16(p.c.steps.length);
    p.c.steps.forEach((s, i) => encodeStep(w, { ...s, nowMs: p.nowMs[i] }));
  }
  const r = new ByteReader(engine.runTestBatch(w.finish()));
  const mismatches: string[] = [];
  for (const p of prepared) {
    if (r.u8('run ok') !== 1) {
      mismatches.push(`native rejected a chain the TS validator accepted: ${r.str16()} in ${describeCase(p.c)}`);
      continue;
    }
    p.c.steps.forEach((s, i) => {
      const got = decodeStepResult(r);
      const diff = compare(p.expected[i], got, p.endpoints, s.direction === 'read');
      if (diff) mismatches.push(`step ${i} (${s.direction} from ${s.source.ip}:${s.source.port}, ${s.contents.toString('hex')}): ${diff} in ${describeCase(p.c)}`);
    });
  }
  if (r.remaining !== 0) mismatches.push(`native result has ${r.remaining} trailing bytes`);
  return { ran: prepared.length, skipped: cases.length - prepared.length, mismatches };
}
