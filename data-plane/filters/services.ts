// SPDX-License-Identifier: Apache-2.0
// The services a production filter gets: real clock, real randomness, module logger, Quilkin metrics.
import type { JsonValue } from '../../config/model';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import type { Filter, FilterServices } from './filter';
import type { FilterRegistry } from './registry';

export function filterServices(registry: FilterRegistry, metrics: QuilkinMetrics, overrides: Partial<FilterServices> = {}): FilterServices {
  const services: FilterServices = {
    now: () => Date.now(),
    random: Math.random,
    log: logger('filters'),
    metrics: metrics.filters,
    createFilter: (name: string, config: JsonValue | undefined): Filter => registry.create(name, config, services),
    ...overrides,
  };
  return services;
}
