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
  /** Every counter cell (Match: matched, fallthrough; Compress: read compressed, read decompressed, write compressed, write decompressed bytes). */
  readonly counters: readonly number[];
  readonly histogram: { readonly read: HistogramCells; readonly write: HistogramCells };
}

export interface PublishResult {
  readonly generation: number;
  readonly maxGrowth: number;
  readonly maxDestinations: number;
  /** The chain was byte-identical to the previous one, so filter state carried over. */
  readonly chainReused: boolean;
}

export interface NativeEngine {
  /** Compiles a description and swaps it in; throws with the engine's message when invalid. */
  publish(description: Buffer): PublishResult;
  counters(): EngineCounters;
  drainDebug(): { events: DebugEvent[]; lost: number };
  slotCells(): SlotCells[];
  freezeClock(atMs: number): void;
  advanceClock(deltaMs: number): void;
}

export interface EngineAddon {
  readonly Engine: new (maxWorkers?: number) => NativeEngine;
  histogramBounds(): number[];
  /** Bounds (seconds) of the socket and xdp workers' processing-time histograms. */
  processingBounds(): number[];
}

/** The engine part, or why the addon could not be loaded. */
export function loadEngine(): { engine?: EngineAddon; error?: Error } {
  const { addon, error } = loadNative();
  if (!addon) return { error };
  return { engine: addon.engine as unknown as EngineAddon };
}
