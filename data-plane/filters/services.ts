// SPDX-License-Identifier: Apache-2.0
// The services a production filter gets: real clock, real randomness, module logger, Quilkin metrics.
import type { JsonValue } from '../../config/model';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import { linearRegexEngine, type RegexEngine } from './capture/linear-regex';
import type { Filter, FilterServices } from './filter';
import type { FilterRegistry } from './registry';

/** One packet in this many is timed per filter (quilkin_filter_read/write_duration_seconds). */
export const DEFAULT_DURATION_SAMPLE_EVERY = 64;

let regexEngine: RegexEngine | undefined;

export function filterServices(registry: FilterRegistry, metrics: QuilkinMetrics, overrides: Partial<FilterServices> = {}): FilterServices {
  const services: FilterServices = {
    now: () => Date.now(),
    random: Math.random,
    log: logger('filters'),
    metrics: metrics.filters,
    createFilter: (name: string, config: JsonValue | undefined): Filter => registry.create(name, config, services),
    regex: (regexEngine ??= linearRegexEngine()),
    chainMetrics: {
      sampleEvery: Number(process.env.QUILKIN_FILTER_DURATION_SAMPLE_EVERY ?? DEFAULT_DURATION_SAMPLE_EVERY),
      readDuration: (filter) => metrics.filterReadDuration.labels({ filter }),
      writeDuration: (filter) => metrics.filterWriteDuration.labels({ filter }),
    },
    ...overrides,
  };
  return services;
}
