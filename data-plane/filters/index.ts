// SPDX-License-Identifier: Apache-2.0
// Registers every filter once; no import-time side effects elsewhere.
import { dropFactory } from './drop/drop';
import { passFactory } from './pass/pass';
import { FilterRegistry } from './registry';

export function registerAll(registry: FilterRegistry): FilterRegistry {
  registry.register(passFactory);
  registry.register(dropFactory);
  return registry;
}

let defaultRegistry: FilterRegistry | undefined;

/** The registry with every production filter. */
export function filterRegistry(): FilterRegistry {
  defaultRegistry ??= registerAll(new FilterRegistry());
  return defaultRegistry;
}
