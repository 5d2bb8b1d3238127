// SPDX-License-Identifier: Apache-2.0
// The native engine as a conformance implementation: the TS registry validates, the compiler
// emits the chain description, and the addon's TestChain runs each step in C++.
import { type SocketAddr } from '../../config/address';
import type { ClusterConfig, FilterConfig } from '../../config/model';
import { compileChain } from '../../data-plane/compiler/description';
import { ipBytes } from '../../data-plane/compiler/ip-bytes';
import { readValue, writeValue } from '../../data-plane/compiler/values';
import { ByteReader, ByteWriter } from '../../data-plane/compiler/wire';
import dropReasons from '../../data-plane/drop_reasons.json';
import { filterRegistry } from '../../data-plane/filters/index';
import type { Metadata } from '../../data-plane/filters/metadata';
import { loadTestEngine, type TestEngineAddon } from '../support/native-test-addon';
import type { ChainRunner, ChainSetup, Implementation, PacketInput, PacketOutput, RawFilterConfig, ValidationOutcome } from './implementations';

const REASON_LABELS: readonly string[] = dropReasons.reasons.map((r) => r.label);

/** One step in the engine's test format (native/engine/test_entry.cc). */
export interface NativeStep {
  readonly direction: 'read' | 'write';
  readonly nowMs: number;
  readonly source: SocketAddr;
  readonly dest: SocketAddr;
  readonly contents: Buffer;
  readonly metadata: Metadata;
}

/** What the engine returned for one step. */
export interface NativeStepResult {
  /** Drop reason label, or undefined when forwarded. */
  readonly reason?: string;
  readonly contents: Buffer;
  /** Endpoint indices (into CompiledChain.endpoints), after the broadcast rule. */
  readonly destinations: readonly number[];
  readonly metadata: Metadata;
  readonly samples: number;
  readonly sampleSum: number;
}

function writeAddr(w: ByteWriter, a: SocketAddr): void {
  const { family, bytes } = ipBytes(a.ip);
  w.u8(family).raw(bytes).u16(a.port);
}

export function encodeStep(w: ByteWriter, s: NativeStep): void {
  w.u8(s.direction === 'read' ? 0 : 1).i64(s.nowMs);
  writeAddr(w, s.source);
  writeAddr(w, s.dest);
  w.bytes32(s.contents);
  w.u16(s.metadata.size);
  for (const [key, value] of s.metadata) {
    w.str16(key);
    writeValue(w, value);
  }
}

export function decodeStepResult(r: ByteReader): NativeStepResult {
  const id = r.u8('reason');
  const contents = r.bytes32('output');
  const destinations: number[] = [];
  for (let n = r.u16('destination count'); n > 0; n--) destinations.push(r.u32('destination'));
  const metadata: Metadata = new Map();
  for (let n = r.u16('metadata count'); n > 0; n--) {
    const key = r.str16('metadata key');
    metadata.set(key, readValue(r));
  }
  const samples = r.u32('samples');
  const sampleSum = r.f64('sample sum');
  const reason = id === 0 ? undefined : (REASON_LABELS[id] ?? `unknown drop reason ${id}`);
  return { reason, contents, destinations, metadata, samples, sampleSum };
}

/** Validates through the TS registry (the one config validator) into normalised filter configs. */
export function normaliseFilters(filters: readonly RawFilterConfig[]): FilterConfig[] {
  const registry = filterRegistry();
  return filters.map((f) => ({ name: f.name, config: registry.validate(f.name, f.config ?? undefined) ?? undefined }));
}

function engineOrThrow(): TestEngineAddon {
  const { engine, error } = loadTestEngine();
  if (!engine) throw error ?? new Error('native addon not loaded');
  return engine;
}

function validateChain(filters: readonly RawFilterConfig[]): ValidationOutcome {
  let normalized: FilterConfig[];
  try {
    normalized = normaliseFilters(filters);
  } catch (err) {
    return { valid: false, error: (err as Error).message };
  }
  try {
    // The engine must accept every chain the validator accepts.
    const compiled = compileChain(normalized, [], filterRegistry());
    new (engineOrThrow().TestChain)(compiled.description, 1);
  } catch (err) {
    return { valid: false, error: `native engine rejected a valid chain: ${(err as Error).message}` };
  }
  return { valid: true, normalized: normalized.map((f) => f.config) };
}

function toOutput(res: NativeStepResult, direction: 'read' | 'write', endpoints: readonly string[]): PacketOutput {
  const timestampSamples = Array.from({ length: res.samples }, () => res.sampleSum / res.samples);
  if (res.reason !== undefined) return { dropped: true, reason: res.reason, metadata: res.metadata, timestampSamples };
  const destinations = direction === 'read' ? res.destinations.map((i) => endpoints[i]) : undefined;
  return { dropped: false, contents: res.contents, metadata: res.metadata, ...(destinations ? { destinations } : {}), timestampSamples };
}

function createChain(setup: ChainSetup): ChainRunner {
  const clusters: readonly ClusterConfig[] = setup.clusters;
  const compiled = compileChain(normaliseFilters(setup.filters), clusters, filterRegistry());
  const chain = new (engineOrThrow().TestChain)(compiled.description, 0x5eed);
  return {
    process(packet: PacketInput): PacketOutput {
      const w = new ByteWriter();
      encodeStep(w, { ...packet, nowMs: setup.clock.now() });
      const res = decodeStepResult(new ByteReader(chain.run(w.finish(), 1)));
      return toOutput(res, packet.direction, compiled.endpoints);
    },
    close: () => undefined,
  };
}

export const nativeImplementation: Implementation = {
  name: 'native',
  unavailable: () => {
    const { error } = loadTestEngine();
    return error ? `native addon not built (npm run build:native): ${error.message}` : undefined;
  },
  validateChain,
  createChain,
};
