// SPDX-License-Identifier: Apache-2.0
// The Prometheus registry and Quilkin's metric names and labels (README.md, "Admin server and metrics").
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { FilterMetrics } from './filter-metrics';
import { type HistogramCells, type LabelledCells, MergedHistogram } from './merged-histogram';

export type Direction = 'read' | 'write';

/** prom-client's default buckets, spelled out: the native engine's filter cells use the same
 *  bounds (native/engine/generation.cc kHistogramBounds). */
export const FILTER_HISTOGRAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Client labels; empty without a MaxMind database, which this proxy does not load. */
const NO_GEO = { asn: '', ip_prefix: '' } as const;

/** Upper bounds of quilkin_packets_processing_duration_seconds, Quilkin v0.9's (metrics.rs: a
 *  quarter millisecond doubling 13 times, to just over a second); the native workers use the same
 *  (native/engine/processing_time.h). */
export const PROCESSING_BOUNDS: readonly number[] = exponentialBuckets(0.00025, 2, 13);

/** Upper bounds of quilkin_filter_{read,write}_duration_seconds, Quilkin v0.9's (filters/chain.rs):
 *  finer than the whole packet's, an eighth of a millisecond times 2.5, 11 times (to ~1.19 s). */
export const FILTER_DURATION_BOUNDS: readonly number[] = exponentialBuckets(0.000125, 2.5, 11);

/** Upper bounds of quilkin_session_duration_secs, Quilkin v0.9's (sessions/inner_metrics.rs). */
export const SESSION_DURATION_BOUNDS: readonly number[] = [1, 5, 10, 25, 60, 300, 900, 1800, 3600];

export interface QuilkinMetricsOptions {
  /** prom-client's process and Node.js runtime series (process_*, nodejs_*); default on. */
  readonly processMetrics?: boolean;
}

export class QuilkinMetrics {
  readonly registry = new Registry();
  private readonly scrapeHooks: Array<() => void | Promise<void>> = [];

  readonly packetsTotal = new Counter({
    name: 'quilkin_packets_total',
    help: 'Total number of packets sent (read: to an endpoint, write: to a client)',
    labelNames: ['event', 'asn', 'ip_prefix'],
    registers: [this.registry],
  });
  readonly bytesTotal = new Counter({
    name: 'quilkin_bytes_total',
    help: 'Total number of bytes sent',
    labelNames: ['event', 'asn', 'ip_prefix'],
    registers: [this.registry],
  });
  readonly packetsDropped = new Counter({
    name: 'quilkin_packets_dropped_total',
    help: 'Total number of packets dropped, by reason (source)',
    labelNames: ['event', 'source', 'asn', 'ip_prefix'],
    registers: [this.registry],
  });
  readonly errorsTotal = new Counter({
    name: 'quilkin_errors_total',
    help: 'Total number of errors encountered while processing packets',
    labelNames: ['event', 'display', 'asn', 'ip_prefix'],
    registers: [this.registry],
  });
  /** JS observations plus the native backends' per-packet totals (addNativeProcessing). */
  readonly processingDuration = new MergedHistogram({
    name: 'quilkin_packets_processing_duration_seconds',
    help: 'Time taken to process one packet through the filters and dispatch',
    labelNames: ['event'],
    buckets: [...PROCESSING_BOUNDS],
    registers: [this.registry],
  });
  readonly packetJitter = new Gauge({
    name: 'quilkin_packet_jitter',
    help: 'Nanoseconds between the last two packets received in this direction',
    labelNames: ['event', 'asn', 'ip_prefix'],
    registers: [this.registry],
  });
  readonly sessionActive = new Gauge({
    name: 'quilkin_session_active',
    help: 'Number of sessions currently active',
    labelNames: ['asn', 'organization', 'country_code', 'ip_prefix', 'prefix_entity', 'prefix_name'],
    registers: [this.registry],
  });
  readonly sessionTotal = new Counter({ name: 'quilkin_session_total', help: 'Total number of sessions created', registers: [this.registry] });
  readonly sessionDuration = new Histogram({
    name: 'quilkin_session_duration_secs',
    help: 'Lifetime of closed sessions in seconds',
    buckets: [...SESSION_DURATION_BOUNDS],
    registers: [this.registry],
  });
  readonly clusterActive = new Gauge({
    name: 'quilkin_cluster_active',
    help: 'Number of localities (clusters) in the cluster map',
    registers: [this.registry],
  });
  readonly clusterActiveEndpoints = new Gauge({
    name: 'quilkin_cluster_active_endpoints',
    help: 'Number of endpoints across all clusters',
    registers: [this.registry],
  });
  readonly activeEndpoints = new Gauge({
    name: 'quilkin_active_endpoints',
    help: 'Number of endpoints per locality (cluster label: the locality, empty when unlocated)',
    labelNames: ['cluster'],
    registers: [this.registry],
  });
  /** The js backend's sampled observations plus the native engines' (addNativeFilterDurations). */
  readonly filterReadDuration = new MergedHistogram<'filter'>({
    name: 'quilkin_filter_read_duration_seconds',
    help: 'Time taken by a filter to process a read',
    labelNames: ['filter'],
    buckets: [...FILTER_DURATION_BOUNDS],
    registers: [this.registry],
  });
  readonly filterWriteDuration = new MergedHistogram<'filter'>({
    name: 'quilkin_filter_write_duration_seconds',
    help: 'Time taken by a filter to process a write',
    labelNames: ['filter'],
    buckets: [...FILTER_DURATION_BOUNDS],
    registers: [this.registry],
  });
  readonly filterIntCounter = new Counter({
    name: 'quilkin_filter_int_counter',
    help: 'Generic per-filter counter (see the label and help labels)',
    labelNames: ['id', 'label', 'help', 'event'],
    registers: [this.registry],
  });
  /** JS filters observe into it; native engines add their filter cells as sources. */
  readonly filterHistogram = new MergedHistogram<'id' | 'label' | 'help' | 'event' | 'shared_metadata_1'>({
    name: 'quilkin_filter_histogram',
    help: 'Generic per-filter histogram (see the label and help labels)',
    labelNames: ['id', 'label', 'help', 'event', 'shared_metadata_1'],
    buckets: FILTER_HISTOGRAM_BUCKETS,
    registers: [this.registry],
  });
  readonly configVersion = new Gauge({
    name: 'quilkin_config_generation',
    help: 'Number of configs applied since start (increments on every accepted change)',
    registers: [this.registry],
  });
  readonly configRejected = new Counter({
    name: 'quilkin_config_rejected_total',
    help: 'Configs rejected by validation (the last good one stayed live)',
    labelNames: ['source'],
    registers: [this.registry],
  });

  constructor(options: QuilkinMetricsOptions = {}) {
    // Sampled at scrape time (event loop delay and GC through perf_hooks observers); Quilkin v0.9
    // registers no process collector, so these series are this proxy's addition.
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Filter-facing view of the generic filter metrics. */
  readonly filters: FilterMetrics = {
    counter: (id, label, help, event) => this.filterIntCounter.labels({ id, label, help, event }),
    histogram: (id, label, help, event, shared) => this.filterHistogram.labels({ id, label, help, event, shared_metadata_1: shared }),
  };

  packetSent(event: Direction, bytes: number): void {
    this.packetsTotal.inc({ event, ...NO_GEO });
    this.bytesTotal.inc({ event, ...NO_GEO }, bytes);
  }

  packetDropped(event: Direction, source: string, count = 1): void {
    this.packetsDropped.inc({ event, source, ...NO_GEO }, count);
  }

  error(event: Direction, display: string, count = 1): void {
    this.errorsTotal.inc({ event, display, ...NO_GEO }, count);
  }

  /**
   * Feeds quilkin_packets_processing_duration_seconds from a native backend's workers: `read`
   * returns their monotonic [read, write] totals. Returns the removal, to call once the workers
   * stopped (their last totals stay counted).
   */
  addNativeProcessing(read: () => readonly [HistogramCells, HistogramCells]): () => void {
    return this.processingDuration.addSource(() => {
      const [r, w] = read();
      return [
        { labels: { event: 'read' }, cells: r },
        { labels: { event: 'write' }, cells: w },
      ];
    });
  }

  /**
   * Feeds quilkin_filter_{read,write}_duration_seconds{filter} from a native engine: `read`
   * returns its monotonic totals per filter name. Returns the removal (last totals stay counted).
   */
  addNativeFilterDurations(read: () => { read: readonly LabelledCells<'filter'>[]; write: readonly LabelledCells<'filter'>[] }): () => void {
    const removeRead = this.filterReadDuration.addSource(() => read().read);
    const removeWrite = this.filterWriteDuration.addSource(() => read().write);
    return () => {
      removeRead();
      removeWrite();
    };
  }

  /**
   * Feeds quilkin_packet_jitter{event} from a native backend at each scrape: `read` returns the
   * [read, write] nanoseconds its workers set last (null: no worker has yet). Returns the removal.
   */
  addNativeJitter(read: () => readonly [number | null, number | null]): () => void {
    return this.onScrape(() => {
      const [r, w] = read();
      if (r !== null) this.packetJitter.set({ event: 'read', ...NO_GEO }, r);
      if (w !== null) this.packetJitter.set({ event: 'write', ...NO_GEO }, w);
    });
  }

  /** Registers work to run before each scrape (native counters are pulled here); returns its removal. */
  onScrape(hook: () => void | Promise<void>): () => void {
    this.scrapeHooks.push(hook);
    return () => {
      const at = this.scrapeHooks.indexOf(hook);
      if (at >= 0) this.scrapeHooks.splice(at, 1);
    };
  }

  async render(): Promise<string> {
    for (const hook of this.scrapeHooks) await hook();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

export const GEO_LABELS_EMPTY = NO_GEO;
