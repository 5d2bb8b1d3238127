// SPDX-License-Identifier: Apache-2.0
// Generated from data-plane/filters/kinds.json by scripts/gen-filter-kinds.js: do not edit.
// Registers every filter once, in the table's order; no import-time side effects elsewhere.
import { captureFactory } from './capture/capture';
import { compressFactory } from './compress/compress';
import { concatenateFactory } from './concatenate/concatenate';
import { debugFactory } from './debug/debug';
import { dropFactory } from './drop/drop';
import { firewallFactory } from './firewall/firewall';
import { hashedTokenRouter } from './hashed_token_router/hashed_token_router';
import { loadBalancerFactory } from './load_balancer/load_balancer';
import { localRateLimitFactory } from './local_rate_limit/local_rate_limit';
import { matchFactory } from './match/match';
import { passFactory } from './pass/pass';
import { FilterRegistry } from './registry';
import { timestampFactory } from './timestamp/timestamp';
import { tokenRouter } from './token_router/token_router';

export function registerAll(registry: FilterRegistry): FilterRegistry {
  registry.register(captureFactory);
  registry.register(compressFactory);
  registry.register(concatenateFactory);
  registry.register(debugFactory);
  registry.register(dropFactory);
  registry.register(firewallFactory);
  registry.register(loadBalancerFactory);
  registry.register(localRateLimitFactory);
  registry.register(matchFactory(registry));
  registry.register(passFactory);
  registry.register(timestampFactory);
  registry.register(tokenRouter);
  registry.register(hashedTokenRouter);
  return registry;
}

let defaultRegistry: FilterRegistry | undefined;

/** The registry with every production filter. */
export function filterRegistry(): FilterRegistry {
  defaultRegistry ??= registerAll(new FilterRegistry());
  return defaultRegistry;
}
