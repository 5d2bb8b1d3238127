// SPDX-License-Identifier: Apache-2.0
// Moves the native engine's per-filter cells into Quilkin's generic filter metrics, as the
// TypeScript filters feed them: counter cells into quilkin_filter_int_counter, histogram cells into
// quilkin_filter_histogram. Which series a slot's cells feed is the filter's own declaration
// (`FilterFactory.native.cells`, resolved per slot by the compiler). Cells belong to the engine's
// chain: they carry over when a publish reuses the chain (only endpoints changed) and start from
// zero with a new one, so the last totals of a replaced chain are kept here and the exported series
// never go backwards. Counts a worker adds to the old chain after the last read before a swap are lost.
// The workers' sampled per-filter durations feed quilkin_filter_{read,write}_duration_seconds (per
// filter kind, so they need no retiring).
import type { FilterDurationCells, HistogramCells, NativeEngine, PublishResult, SlotCells } from '../../native/engine/engine-addon';
import type { QuilkinMetrics } from '../../runtime/metrics';
import type { LabelledCells } from '../../runtime/merged-histogram';
import type { SlotInfo } from '../compiler/description';
import { FILTER_KINDS } from '../filters/kinds';

type HistogramLabel = 'id' | 'label' | 'help' | 'event' | 'shared_metadata_1';
type HistogramLabels = Record<HistogramLabel, string>;

/** The quilkin_filter_histogram labels of a slot's histogram cells in one direction, if it has them. */
function histogramLabels(slot: SlotInfo | undefined, event: 'read' | 'write'): HistogramLabels | undefined {
  const histogram = slot?.cells?.histogram;
  if (!slot || !histogram) return undefined;
  return { id: slot.name, label: histogram.label, help: histogram.help, event, shared_metadata_1: histogram.sharedMetadata };
}

/** Slots with equal labels feed one series, so their cells are summed under this key. */
function seriesKey(labels: HistogramLabels): string {
  return [labels.id, labels.label, labels.help, labels.event, labels.shared_metadata_1].join('\u0000');
}

/** Adds a slot's read and write histogram cells to their series' totals (nothing if it has none). */
function addHistograms(totals: Map<string, { labels: HistogramLabels; cells: HistogramCells }>, slot: SlotInfo | undefined, cells: SlotCells): void {
  for (const event of ['read', 'write'] as const) {
    const labels = histogramLabels(slot, event);
    if (!labels) continue;
    const key = seriesKey(labels);
    totals.set(key, { labels, cells: addCells(totals.get(key)?.cells, cells.histogram[event]) });
  }
}

/** Description kind -> Quilkin filter name, the `filter` label. */
const NAME_OF_KIND: ReadonlyMap<number, string> = new Map([...FILTER_KINDS].map(([name, kind]) => [kind, name]));

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
  /** Histogram totals of replaced chains, by series. */
  private retired = new Map<string, { labels: HistogramLabels; cells: HistogramCells }>();
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
      for (const cells of old) this.retireHistograms(cells);
      this.counted.clear();
    }
    this.follow(slots);
  }

  /** Adds the counter cells' counts since the last call to quilkin_filter_int_counter. */
  sync(): void {
    for (const cells of this.engine.slotCells()) {
      const slot = this.slots.get(cells.slot);
      const series = slot?.cells?.counters;
      if (!slot || !series) continue;
      const before = this.counted.get(cells.slot) ?? [];
      series.forEach(({ label, help, event }, i) => {
        const delta = (cells.counters[i] ?? 0) - (before[i] ?? 0);
        if (delta > 0) this.metrics.filterIntCounter.inc({ id: slot.name, label, help, event }, delta);
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

  private retireHistograms(cells: SlotCells): void {
    addHistograms(this.retired, this.slots.get(cells.slot), cells);
  }

  private histogramRows(): LabelledCells<HistogramLabel>[] {
    const totals = new Map(this.retired);
    for (const cells of this.engine.slotCells()) addHistograms(totals, this.slots.get(cells.slot), cells);
    return [...totals.values()];
  }
}
