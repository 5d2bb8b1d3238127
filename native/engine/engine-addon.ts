// SPDX-License-Identifier: Apache-2.0
// The TypeScript view of the engine part of the addon (native/engine/binding.cc). The test entry points
// (binding_test.cc) are in the test addon: test/support/native-test-addon.ts.
import { loadNative } from '../index';

export interface EngineCounters {
  readonly readPassed: number;
  readonly writePassed: number;
  /** Indexed by drop reason id (data-plane/drop_reasons.json). */
  readonly readDropped: readonly number[];
  readonly writeDropped: readonly number[];
}

export interface NativeAddress {
  readonly family: 4 | 6;
  readonly ip: Buffer;
  readonly port: number;
}

export interface DebugEvent {
  readonly slot: number;
  readonly direction: 'read' | 'write';
  readonly source: NativeAddress | null;
  readonly dest: NativeAddress | null;
  /** Full packet length; `contents` holds at most the first 256 bytes. */
  readonly length: number;
  readonly contents: Buffer;
}

export interface HistogramCells {
  /** Per bound of `histogramBounds()`, then +Inf; not cumulative. */
  readonly buckets: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export interface SlotCells {
  readonly slot: number;
  readonly matched: number;
  readonly fallthrough: number;
  /** Every counter cell, in the order the slot's filter declares them (`FilterFactory.native.cells`, e.g. Match: matched, fallthrough). */
  readonly counters: readonly number[];
  readonly histogram: { readonly read: HistogramCells; readonly write: HistogramCells };
}

/** One filter kind's sampled durations (native/engine/filter_durations.h), summed over workers. */
export interface FilterDurationCells extends HistogramCells {
  /** The description kind (native/engine/description.md; data-plane/filters/kinds.json). */
  readonly kind: number;
}

export interface PublishResult {
  readonly generation: number;
  readonly maxGrowth: number;
  readonly maxDestinations: number;
  /** The chain was byte-identical to the previous one, so the chain object (state and cells) carried over. */
  readonly chainReused: boolean;
  /**
   * Top-level filters that kept the state of an unchanged filter of the previous chain (same kind and
   * config; README.md "Across generations"). Every filter when `chainReused`.
   */
  readonly filtersKept: number;
}

/**
 * A description compiled by `prepare` (regexes, tables, inherited filter state all built), not yet
 * running. Publish it once, into the engine that prepared it.
 */
export interface PreparedGeneration {
  readonly maxGrowth: number;
  readonly maxDestinations: number;
}

export interface NativeEngine {
  /** Compiles a description without swapping anything in; throws with the engine's message when invalid. */
  prepare(description: Buffer): PreparedGeneration;
  /**
   * Swaps a prepared generation in (throws if another engine prepared it or it was published
   * already), or prepares and swaps a description in one go (throws with the engine's message when
   * invalid). If another generation went in since `prepare`, the description is recompiled against
   * it so filter state is inherited from what actually runs.
   */
  publish(prepared: PreparedGeneration | Buffer): PublishResult;
  counters(): EngineCounters;
  drainDebug(): { events: DebugEvent[]; lost: number };
  slotCells(): SlotCells[];
  /**
   * quilkin_filter_{read,write}_duration_seconds of every worker, one row per filter kind timed so
   * far: buckets per bound of `filterDurationBounds()` then +Inf, sum in seconds. Monotonic.
   */
  filterDurations(): { read: FilterDurationCells[]; write: FilterDurationCells[] };
  freezeClock(atMs: number): void;
  advanceClock(deltaMs: number): void;
}

export interface EngineAddon {
  readonly Engine: new (maxWorkers?: number) => NativeEngine;
  histogramBounds(): number[];
  /** Bounds (seconds) of the socket and xdp workers' processing-time histograms. */
  processingBounds(): number[];
  /** Bounds (seconds) of the workers' sampled per-filter durations. */
  filterDurationBounds(): number[];
}

/** The engine part, or why the addon could not be loaded. */
export function loadEngine(): { engine?: EngineAddon; error?: Error } {
  const { addon, error } = loadNative();
  if (!addon) return { error };
  return { engine: addon.engine as unknown as EngineAddon };
}
