// SPDX-License-Identifier: Apache-2.0
// The native half of a filter's contract, declared by its factory next to the TS implementation:
// how its normalised config becomes the payload its native twin parses (the kind comes from
// kinds.json; payloads in native/engine/description.md), and what that twin reports on the side.
import type { JsonValue } from '../../config/model';
import type { ByteWriter } from '../compiler/wire';

/** What an encoder may use: the chain's writer, its metadata key table, and nested filters. */
export interface EncodeContext {
  readonly w: ByteWriter;
  /** Interns a metadata key, returning its index. */
  key(name: string): number;
  /** Encodes a nested filter (kind, slot, payload), as Match does for its branches. */
  filter(name: string, config: JsonValue | undefined, path: string): void;
}

export type CellEvent = 'read' | 'write';

/** One quilkin_filter_int_counter series an engine counter cell feeds. */
export interface CounterCell {
  readonly label: string;
  readonly help: string;
  readonly event: CellEvent;
}

/** The quilkin_filter_histogram series the slot's read and write histogram cells feed. */
export interface HistogramCell {
  readonly label: string;
  readonly help: string;
  readonly sharedMetadata: string;
}

/** The per-slot cells a native filter writes (native/engine/filter.h, SlotCell). */
export interface EngineCells {
  /** In the order of the native filter's counter indices. */
  readonly counters?: readonly CounterCell[];
  readonly histogram?: HistogramCell;
}

/** The `id` a slot's Debug events are logged with. */
export interface DebugEvents {
  readonly id: string | undefined;
}

export interface NativeEncoding<C> {
  /** Writes the payload after the kind and slot; throws (the compiler adds the path) on what the engine cannot take. */
  encode(ctx: EncodeContext, config: C, path: string): void;
  /** Present when the native filter keeps cells (has_cells()). */
  cells?(config: C): EngineCells;
  /** Present when the native filter queues Debug events for the JS thread to log. */
  debugEvents?(config: C): DebugEvents;
}
