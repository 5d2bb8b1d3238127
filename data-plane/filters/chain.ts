// SPDX-License-Identifier: Apache-2.0
// A filter chain: reads run first to last, writes last to first; the first drop stops the packet.
import { performance } from 'node:perf_hooks';
import type { FilterConfig } from '../../config/model';
import type { ChainMetrics, Filter, FilterResult, FilterServices, ReadContext, WriteContext } from './filter';
import type { FilterRegistry } from './registry';

interface ChainEntry {
  readonly name: string;
  readonly filter: Filter;
  /** name + normalised config JSON: what decides whether a rebuild may keep this instance. */
  readonly identity?: string;
}

type Observer = { observe(seconds: number): void };

interface TimedEntry {
  readonly entry: ChainEntry;
  readonly duration: Observer;
}

export class FilterChain {
  private readonly readers: ChainEntry[];
  private readonly writers: ChainEntry[];
  private readonly timedReaders: TimedEntry[] | undefined;
  private readonly timedWriters: TimedEntry[] | undefined;
  private readonly sampleEvery: number;
  private readCountdown: number;
  private writeCountdown: number;

  constructor(
    readonly configs: readonly FilterConfig[],
    private readonly entries: readonly ChainEntry[],
    metrics?: ChainMetrics,
  ) {
    this.readers = entries.filter((e) => e.filter.read !== undefined);
    this.writers = entries.filter((e) => e.filter.write !== undefined).reverse();
    this.sampleEvery = metrics && metrics.sampleEvery > 0 ? Math.floor(metrics.sampleEvery) : 0;
    if (metrics && this.sampleEvery > 0) {
      // Every filter, also one without a read or write of its own: Quilkin's chain times each
      // filter's (default, empty) read and write, so each filter has both series.
      this.timedReaders = entries.map((entry) => ({ entry, duration: metrics.readDuration(entry.name) }));
      this.timedWriters = [...entries].reverse().map((entry) => ({ entry, duration: metrics.writeDuration(entry.name) }));
    }
    this.readCountdown = this.sampleEvery;
    this.writeCountdown = this.sampleEvery;
  }

  static empty(): FilterChain {
    return new FilterChain([], []);
  }

  /**
   * Builds every filter; throws (naming the filter index) if any one fails, so a chain is all or nothing.
   * With `previous`, a filter whose name and normalised config are unchanged keeps its instance, and so
   * its state (rate-limit buckets, round-robin position); see README.md "State across rebuilds".
   */
  static build(configs: readonly FilterConfig[], registry: FilterRegistry, services: FilterServices, previous?: FilterChain): FilterChain {
    const reusable = new Map<string, ChainEntry[]>();
    for (const e of previous?.entries ?? []) {
      if (e.identity === undefined) continue;
      const list = reusable.get(e.identity) ?? [];
      if (list.length === 0) reusable.set(e.identity, list);
      list.push(e);
    }
    const entries = configs.map((c, i): ChainEntry => {
      try {
        const factory = registry.get(c.name);
        const config = factory.validate(c.config);
        const identity = `${c.name}\u0000${JSON.stringify(config) ?? ''}`;
        const kept = reusable.get(identity)?.shift();
        return kept ?? { name: c.name, filter: factory.create(config, services), identity };
      } catch (err) {
        throw new Error(`filters[${i}] (${c.name}): ${(err as Error).message}`, { cause: err });
      }
    });
    return new FilterChain(configs, entries, services.chainMetrics);
  }

  get length(): number {
    return this.configs.length;
  }

  /** The filter instances in config order (tests check which ones a rebuild kept). */
  get filters(): readonly Filter[] {
    return this.entries.map((e) => e.filter);
  }

  read(ctx: ReadContext): FilterResult {
    if (this.timedReaders !== undefined && --this.readCountdown <= 0) {
      this.readCountdown = this.sampleEvery;
      return timedRun(this.timedReaders, (f) => f.read?.(ctx));
    }
    const readers = this.readers;
    for (let i = 0; i < readers.length; i++) {
      const reason = readers[i].filter.read!(ctx);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  write(ctx: WriteContext): FilterResult {
    if (this.timedWriters !== undefined && --this.writeCountdown <= 0) {
      this.writeCountdown = this.sampleEvery;
      return timedRun(this.timedWriters, (f) => f.write?.(ctx));
    }
    const writers = this.writers;
    for (let i = 0; i < writers.length; i++) {
      const reason = writers[i].filter.write!(ctx);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }
}

/** The sampled path: times each filter with performance.now() (a double, no allocation). */
function timedRun(entries: readonly TimedEntry[], run: (f: Filter) => FilterResult): FilterResult {
  for (let i = 0; i < entries.length; i++) {
    const start = performance.now();
    const reason = run(entries[i].entry.filter);
    entries[i].duration.observe((performance.now() - start) / 1000);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
