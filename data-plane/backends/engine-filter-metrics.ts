// SPDX-License-Identifier: Apache-2.0
// Moves the native engine's per-filter cells into Quilkin's generic filter metrics, as the
// TypeScript filters feed them: Match's matched/fallthrough counts and Compress's byte counts into
// quilkin_filter_int_counter,
// Timestamp's samples into quilkin_filter_histogram; the workers' sampled per-filter durations
// into quilkin_filter_{read,write}_duration_seconds (per filter kind, so they need no retiring).
// Cells belong to the engine's chain: they
// carry over when a publish reuses the chain (only endpoints changed) and start from zero with a
// new one, so the last totals of a replaced chain are kept here and the exported series never go
// backwards. Counts a worker adds to the old chain after the last read before a swap are lost.
import type { FilterDurationCells, HistogramCells, NativeEngine, PublishResult, SlotCells } from '../../native/engine/engine-addon';
import type { QuilkinMetrics } from '../../runtime/metrics';
import type { LabelledCells } from '../../runtime/merged-histogram';
import type { SlotInfo } from '../compiler/description';
import { ENCODERS } from '../compiler/filter-encoders';
import { COMPRESS_COUNTERS, COMPRESS_NAME } from '../filters/compress/compress';
import { MATCH_COUNTERS, MATCH_NAME } from '../filters/match/match';
import { TIMESTAMP_HELP, TIMESTAMP_NAME } from '../filters/timestamp/timestamp';

type HistogramLabel = 'id' | 'label' | 'help' | 'event' | 'shared_metadata_1';
type Direction = 'read' | 'write';
type CounterSeries = { label: string; help: string; event: Direction };

/** Per filter name: the quilkin_filter_int_counter series of each engine counter cell, by index. */
const COUNTER_CELLS: ReadonlyMap<string, readonly CounterSeries[]> = new Map<string, readonly CounterSeries[]>([
  [MATCH_NAME, [{ ...MATCH_COUNTERS.matched, event: 'read' as const }, { ...MATCH_COUNTERS.fallthrough, event: 'read' as const }]],
  [
    COMPRESS_NAME,
    (['read', 'write'] as const).flatMap((event) => [
      { ...COMPRESS_COUNTERS.compressed, event },
      { ...COMPRESS_COUNTERS.decompressed, event },
    ]),
  ],
]);

/** The metadata key a Timestamp slot reads, from its normalised config. */
function timestampKey(slot: SlotInfo): string {
  const config = slot.config as { metadataKey?: unknown } | undefined;
  return typeof config?.metadataKey === 'string' ? config.metadataKey : '';
}

/** Description kind -> Quilkin filter name, the `filter` label. */
const NAME_OF_KIND: ReadonlyMap<number, string> = new Map([...ENCODERS].map(([name, { kind }]) => [kind, name]));

function durationRows(rows: readonly FilterDurationCells[]): LabelledCells<'filter'>[] {
  return rows.flatMap(({ kind, buckets, count, sum }) => {
    const filter = NAME_OF_KIND.get(kind);
    return filter === undefined ? [] : [{ labels: { filter }, cells: { buckets, count, sum } }];
  });
}

function addCells(into: HistogramCells | undefined, cells: HistogramCells): HistogramCells {
  if (!into) return { buckets: [...cells.buckets], count: cells.count, sum: cells.sum };
  return { buckets: into.buckets.map((n, i) => n + (cells.buckets[i] ?? 0)), count: into.count + cells.count, sum: into.sum + cells.sum };
}

export class EngineFilterMetrics {
  private slots = new Map<number, SlotInfo>();
  /** Counter cells already added to the counters, per slot of the current chain. */
  private counted = new Map<number, readonly number[]>();
  /** Timestamp totals of replaced chains, by metadata key and direction. */
  private retired = new Map<string, HistogramCells>();
  private snapshot: SlotCells[] | undefined;
  private readonly removeSource: () => void;
  private readonly removeDurations: () => void;

  constructor(
    private readonly engine: NativeEngine,
    private readonly metrics: QuilkinMetrics,
    slots: readonly SlotInfo[],
  ) {
    this.follow(slots);
    this.removeSource = metrics.filterHistogram.addSource(() => this.histogramRows());
    this.removeDurations = metrics.addNativeFilterDurations(() => {
      const { read, write } = engine.filterDurations();
      return { read: durationRows(read), write: durationRows(write) };
    });
  }

  /** Call right before engine.publish: counts what the current chain holds now. */
  beforePublish(): void {
    this.sync();
    this.snapshot = this.engine.slotCells();
  }

  /** Call after a successful publish, with its result and the new chain's slots. */
  afterPublish(result: PublishResult, slots: readonly SlotInfo[]): void {
    const old = this.snapshot;
    this.snapshot = undefined;
    if (!result.chainReused && old) {
      for (const cells of old) this.retireTimestamp(cells);
      this.counted.clear();
    }
    this.follow(slots);
  }

  /** Adds the Match and Compress counts since the last call to quilkin_filter_int_counter. */
  sync(): void {
    for (const cells of this.engine.slotCells()) {
      const id = this.slots.get(cells.slot)?.name;
      const series = id === undefined ? undefined : COUNTER_CELLS.get(id);
      if (!series) continue;
      const before = this.counted.get(cells.slot) ?? [];
      series.forEach(({ label, help, event }, i) => {
        const delta = (cells.counters[i] ?? 0) - (before[i] ?? 0);
        if (delta > 0) this.metrics.filterIntCounter.inc({ id: id!, label, help, event }, delta);
      });
      this.counted.set(cells.slot, cells.counters);
    }
  }

  /** The backend stopped: its last counts are taken in and the engine is no longer read. */
  stop(): void {
    this.sync();
    this.removeSource();
    this.removeDurations();
  }

  private follow(slots: readonly SlotInfo[]): void {
    this.slots = new Map(slots.map((s) => [s.slot, s]));
  }

  private retireTimestamp(cells: SlotCells): void {
    const slot = this.slots.get(cells.slot);
    if (slot?.name !== TIMESTAMP_NAME) return;
    for (const event of ['read', 'write'] as const) {
      const key = `${timestampKey(slot)}\u0000${event}`;
      this.retired.set(key, addCells(this.retired.get(key), cells.histogram[event]));
    }
  }

  private histogramRows(): LabelledCells<HistogramLabel>[] {
    const totals = new Map(this.retired);
    for (const cells of this.engine.slotCells()) {
      const slot = this.slots.get(cells.slot);
      if (slot?.name !== TIMESTAMP_NAME) continue;
      for (const event of ['read', 'write'] as const) {
        const key = `${timestampKey(slot)}\u0000${event}`;
        totals.set(key, addCells(totals.get(key), cells.histogram[event]));
      }
    }
    return [...totals].map(([key, cells]) => {
      const [metadataKey, event] = key.split('\u0000') as [string, Direction];
      return { labels: { id: TIMESTAMP_NAME, label: 'duration', help: TIMESTAMP_HELP, event, shared_metadata_1: metadataKey }, cells };
    });
  }
}
