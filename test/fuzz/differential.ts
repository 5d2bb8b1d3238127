// SPDX-License-Identifier: Apache-2.0
// Runs a batch of fuzz cases through the TypeScript reference and the native engine (one N-API
// call per batch) and returns every disagreement.
import type { ClusterConfig, FilterConfig } from '../../config/model';
import { ClusterMap } from '../../data-plane/cluster-map';
import { compileChain } from '../../data-plane/compiler/description';
import { ByteReader, ByteWriter } from '../../data-plane/compiler/wire';
import { FilterChain } from '../../data-plane/filters/chain';
import type { FilterServices } from '../../data-plane/filters/filter';
import { filterRegistry } from '../../data-plane/filters/index';
import type { Metadata } from '../../data-plane/filters/metadata';
import { processRead, processWrite } from '../../data-plane/pipeline';
import type { TestEngineAddon } from '../support/native-test-addon';
import { sameMetaValue, showMetaValue } from '../conformance/check';
import { decodeStepResult, encodeStep, type NativeStepResult, normaliseFilters } from '../conformance/native-implementation';
import type { FuzzConfig, FuzzStep } from './arbitraries';

const T0_MS = 1_700_000_000_000;
const BATCH_MAGIC = 0x42544b51; // "QKTB"

/** What the TS reference produced for one step. */
interface Expected {
  readonly reason?: string;
  readonly contents?: Buffer;
  readonly destinations?: string;
  readonly metadata: Metadata;
  readonly samples: number[];
}

interface Prepared {
  readonly config: FuzzConfig;
  readonly description: Buffer;
  readonly endpoints: readonly string[];
  /** [sequence][step] */
  readonly expected: Expected[][];
  readonly nowMs: number[][];
}

export interface BatchReport {
  readonly cases: number;
  readonly packets: number;
  readonly skipped: number;
  readonly mismatches: string[];
}

/**
 * The TS reference on one sequence, on a fresh chain. Built from the already-normalised configs
 * (the same FilterChain and pipeline rules the js backend runs), so zod runs once per config.
 */
function runReference(
  configs: readonly FilterConfig[],
  clusters: readonly ClusterConfig[],
  steps: readonly FuzzStep[],
): { expected: Expected[]; nowMs: number[] } {
  const registry = filterRegistry();
  let now = T0_MS;
  const samples: number[] = [];
  const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
  const services: FilterServices = {
    now: () => now,
    random: Math.random,
    log: quiet,
    metrics: { counter: () => ({ inc: () => undefined }), histogram: () => ({ observe: (v: number) => samples.push(v) }) },
    createFilter: (name, config) => registry.create(name, config, services),
  };
  const chain = new FilterChain(
    configs,
    configs.map((c) => ({ name: c.name, filter: registry.get(c.name).create(c.config, services) })),
  );
  const endpoints = new ClusterMap(clusters);
  const expected: Expected[] = [];
  const nowMs: number[] = [];
  for (const s of steps) {
    now += s.advanceSeconds * 1000;
    nowMs.push(now);
    samples.length = 0;
    const metadata = new Map(s.metadata);
    const contents = Buffer.from(s.contents);
    if (s.direction === 'read') {
      const out = processRead(chain, endpoints, s.source, contents, metadata);
      expected.push(
        out.dropped
          ? { reason: out.reason, metadata, samples: [...samples] }
          : { contents: out.contents, destinations: out.destinations.map((d) => d.key).join(','), metadata, samples: [...samples] },
      );
    } else {
      const out = processWrite(chain, s.source, s.dest, contents, metadata);
      expected.push(out.dropped ? { reason: out.reason, metadata, samples: [...samples] } : { contents: out.contents, metadata, samples: [...samples] });
    }
  }
  return { expected, nowMs };
}

/** Runs the TS side, or returns undefined when the generated chain is not a valid config. */
function prepare(config: FuzzConfig): Prepared | undefined {
  let normalised: FilterConfig[];
  let compiled;
  try {
    normalised = normaliseFilters(config.filters);
    compiled = compileChain(normalised, config.clusters, filterRegistry());
  } catch {
    return undefined;
  }
  const runs = config.sequences.map((steps) => runReference(normalised, config.clusters, steps));
  return { config, description: compiled.description, endpoints: compiled.endpoints, expected: runs.map((r) => r.expected), nowMs: runs.map((r) => r.nowMs) };
}

function metadataDiff(want: Metadata, got: Metadata): string | undefined {
  for (const k of new Set([...want.keys(), ...got.keys()])) {
    const a = want.get(k);
    const b = got.get(k);
    if (a === undefined || b === undefined || !sameMetaValue(a, b)) return `metadata ${k}: ts ${showMetaValue(a)} native ${showMetaValue(b)}`;
  }
  return undefined;
}

function compare(want: Expected, got: NativeStepResult, endpoints: readonly string[]): string | undefined {
  if (want.reason !== got.reason) return `verdict: ts ${want.reason ?? 'pass'}, native ${got.reason ?? 'pass'}`;
  const meta = metadataDiff(want.metadata, got.metadata);
  if (meta) return meta;
  if (want.samples.length !== got.samples) return `timestamp samples: ts ${want.samples.length} native ${got.samples}`;
  const tsSum = want.samples.reduce((a, b) => a + b, 0);
  if (Math.abs(tsSum - got.sampleSum) > 1e-6 * Math.max(1, Math.abs(tsSum))) return `timestamp sum: ts ${tsSum} native ${got.sampleSum}`;
  if (want.reason !== undefined) return undefined;
  if (!want.contents!.equals(got.contents)) return `contents: ts ${want.contents!.toString('hex')} native ${got.contents.toString('hex')}`;
  if (want.destinations !== undefined) {
    const nat = got.destinations.map((i) => endpoints[i]).join(',');
    if (nat !== want.destinations) return `destinations: ts [${want.destinations}] native [${nat}]`;
  }
  return undefined;
}

function describeConfig(c: FuzzConfig): string {
  return JSON.stringify({
    filters: c.filters,
    endpoints: c.clusters.flatMap((g) => g.endpoints.map((e) => [e.address.key, e.tokens.map((t) => t.toString('hex'))])),
  });
}

function encodeBatch(prepared: readonly Prepared[], seed: number): Buffer {
  const w = new ByteWriter();
  w.u32(BATCH_MAGIC).u32(prepared.reduce((n, p) => n + p.config.sequences.length, 0));
  for (const p of prepared) {
    p.config.sequences.forEach((steps, q) => {
      w.bytes32(p.description).u64(seed).u16(steps.length);
      steps.forEach((s, i) => encodeStep(w, { ...s, nowMs: p.nowMs[q][i] }));
    });
  }
  return w.finish();
}

export function runDifferentialBatch(engine: TestEngineAddon, configs: readonly FuzzConfig[], seed: number): BatchReport {
  const prepared = configs.map(prepare).filter((p) => p !== undefined);
  const r = new ByteReader(engine.runTestBatch(encodeBatch(prepared, seed)));
  const mismatches: string[] = [];
  let cases = 0;
  let packets = 0;
  for (const p of prepared) {
    p.config.sequences.forEach((steps, q) => {
      cases++;
      if (r.u8('run ok') !== 1) {
        mismatches.push(`native rejected a chain the TS validator accepted: ${r.str16()} in ${describeConfig(p.config)}`);
        return;
      }
      steps.forEach((s, i) => {
        packets++;
        const diff = compare(p.expected[q][i], decodeStepResult(r), p.endpoints);
        if (diff)
          mismatches.push(
            `sequence ${q} step ${i} (${s.direction} from ${s.source.ip}:${s.source.port}, ${s.contents.toString('hex')}): ${diff} in ${describeConfig(p.config)}`,
          );
      });
    });
  }
  if (r.remaining !== 0) mismatches.push(`native result has ${r.remaining} trailing bytes`);
  return { cases, packets, skipped: configs.length - prepared.length, mismatches };
}
