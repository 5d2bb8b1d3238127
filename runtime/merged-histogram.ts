// SPDX-License-Identifier: Apache-2.0
// A prom-client Histogram that also exports histograms kept elsewhere: the native workers'
// per-packet processing times. prom-client has no bulk observe and one observe() per packet from
// JS is out of the question, so each read adds the sources' totals to the exported buckets, _sum
// and _count of the matching label set. JS observations work as in any Histogram.
// Sources report monotonic totals. A removed source's last totals stay counted, so the exported
// series never go backwards (also across a backend restart). reset() clears only the JS side.
import { Histogram, type HistogramConfiguration, type LabelValues } from 'prom-client';

/** One label set's totals: per bucket (one per bound, then +Inf; not cumulative), their count and the sum. */
export interface HistogramCells {
  readonly buckets: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export interface LabelledCells<T extends string> {
  readonly labels: LabelValues<T>;
  readonly cells: HistogramCells;
}

/** Called on every read of the histogram; returns the current totals of each label set it feeds. */
export type HistogramSource<T extends string> = () => readonly LabelledCells<T>[];

type Labels = Record<string, string | number | undefined>;

/** prom-client's internal export row (lib/histogram.js): `labels` holds `le`, `sharedLabels` the label set. */
interface ExportRow {
  labels: Labels;
  sharedLabels: Labels;
  value: number;
  metricName: string;
  exemplar?: unknown;
}

interface ExportData {
  values: ExportRow[];
}

interface Totals {
  labels: Labels;
  buckets: number[];
  count: number;
  sum: number;
}

// Histogram.get() splays what getForPromString() returns, and Registry.metrics() calls the latter:
// overriding it covers both.
const base = Histogram.prototype as unknown as { getForPromString(this: unknown): Promise<ExportData> };

export class MergedHistogram<T extends string = string> extends Histogram<T> {
  private readonly metric: string;
  private readonly bounds: readonly number[];
  private readonly keyLabels: readonly string[];
  private readonly sources = new Set<HistogramSource<T>>();
  /** Last totals of removed sources, by label key. */
  private readonly retired = new Map<string, Totals>();

  constructor(config: HistogramConfiguration<T>) {
    super(config);
    this.metric = config.name;
    // prom-client keeps the bounds in the given order and requires them sorted.
    this.bounds = [...(config.buckets ?? [])];
    if (this.bounds.length === 0) throw new Error(`${config.name}: MergedHistogram needs explicit buckets`);
    this.keyLabels = [...(config.labelNames ?? [])].sort();
  }

  /** Adds a source; returns its removal, which keeps the source's last totals counted. */
  addSource(source: HistogramSource<T>): () => void {
    this.check(source());
    this.sources.add(source);
    return () => {
      if (!this.sources.delete(source)) return;
      for (const { labels, cells } of source()) this.accumulate(this.retired, labels, cells);
    };
  }

  async getForPromString(): Promise<ExportData> {
    const data = await base.getForPromString.call(this);
    this.addTotals(data.values);
    return data;
  }

  private check(rows: readonly LabelledCells<T>[]): void {
    for (const { cells } of rows) {
      if (cells.buckets.length !== this.bounds.length + 1)
        throw new Error(`histogram source has ${cells.buckets.length} buckets, expected ${this.bounds.length + 1} (bounds then +Inf)`);
    }
  }

  private key(labels: Labels): string {
    return this.keyLabels.map((name) => `${name}=${String(labels[name] ?? '')}`).join('\u0000');
  }

  private accumulate(into: Map<string, Totals>, labels: Labels, cells: HistogramCells): void {
    const key = this.key(labels);
    let t = into.get(key);
    if (!t) {
      t = { labels: { ...labels }, buckets: new Array<number>(this.bounds.length + 1).fill(0), count: 0, sum: 0 };
      into.set(key, t);
    }
    cells.buckets.forEach((n, i) => (t.buckets[i] += n));
    t.count += cells.count;
    t.sum += cells.sum;
  }

  private totals(): Map<string, Totals> {
    const all = new Map<string, Totals>();
    for (const t of this.retired.values()) this.accumulate(all, t.labels, t);
    for (const source of this.sources) {
      const rows = source();
      this.check(rows);
      for (const { labels, cells } of rows) this.accumulate(all, labels, cells);
    }
    return all;
  }

  private addTotals(values: ExportRow[]): void {
    const bucketName = `${this.metric}_bucket`;
    for (const [key, t] of this.totals()) {
      const cumulative: number[] = [];
      t.buckets.reduce((acc, n, i) => (cumulative[i] = acc + n), 0);
      cumulative[this.bounds.length] = t.count; // +Inf is the count, as prom-client exports it
      const rows = values.filter((row) => this.key(row.sharedLabels) === key);
      if (rows.length === 0) {
        values.push(...this.emptyRows(t.labels));
        rows.push(...values.slice(values.length - (this.bounds.length + 3)));
      }
      for (const row of rows) {
        if (row.metricName === bucketName) {
          const le = row.labels.le;
          row.value += cumulative[le === '+Inf' ? this.bounds.length : this.bounds.indexOf(Number(le))] ?? 0;
        } else if (row.metricName === `${this.metric}_sum`) row.value += t.sum;
        else if (row.metricName === `${this.metric}_count`) row.value += t.count;
      }
    }
  }

  /** The rows prom-client exports for a label set nobody observed in JS. */
  private emptyRows(labels: Labels): ExportRow[] {
    const bucketName = `${this.metric}_bucket`;
    const row = (le: Labels, value: number, metricName: string): ExportRow => ({ labels: le, sharedLabels: { ...labels }, value, metricName });
    return [
      ...this.bounds.map((le) => row({ le }, 0, bucketName)),
      row({ le: '+Inf' }, 0, bucketName),
      row({}, 0, `${this.metric}_sum`),
      row({}, 0, `${this.metric}_count`),
    ];
  }
}
