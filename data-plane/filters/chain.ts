// SPDX-License-Identifier: Apache-2.0
// A filter chain: reads run first to last, writes last to first; the first drop stops the packet.
import type { FilterConfig } from '../../config/model';
import type { Filter, FilterResult, FilterServices, ReadContext, WriteContext } from './filter';
import type { FilterRegistry } from './registry';

interface ChainEntry {
  readonly name: string;
  readonly filter: Filter;
}

export class FilterChain {
  private readonly readers: ChainEntry[];
  private readonly writers: ChainEntry[];

  constructor(
    readonly configs: readonly FilterConfig[],
    entries: readonly ChainEntry[],
  ) {
    this.readers = entries.filter((e) => e.filter.read !== undefined);
    this.writers = entries.filter((e) => e.filter.write !== undefined).reverse();
  }

  static empty(): FilterChain {
    return new FilterChain([], []);
  }

  /** Builds every filter; throws (naming the filter index) if any one fails, so a chain is all or nothing. */
  static build(configs: readonly FilterConfig[], registry: FilterRegistry, services: FilterServices): FilterChain {
    const entries = configs.map((c, i) => {
      try {
        return { name: c.name, filter: registry.create(c.name, c.config, services) };
      } catch (err) {
        throw new Error(`filters[${i}] (${c.name}): ${(err as Error).message}`);
      }
    });
    return new FilterChain(configs, entries);
  }

  get length(): number {
    return this.configs.length;
  }

  read(ctx: ReadContext): FilterResult {
    const readers = this.readers;
    for (let i = 0; i < readers.length; i++) {
      const reason = readers[i].filter.read!(ctx);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  write(ctx: WriteContext): FilterResult {
    const writers = this.writers;
    for (let i = 0; i < writers.length; i++) {
      const reason = writers[i].filter.write!(ctx);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }
}
