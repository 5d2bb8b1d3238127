// SPDX-License-Identifier: Apache-2.0
// Tests that drive a backend directly go through the same compile stage as the proxy: a config is
// compiled (host names answered by `names`, none by default), prepared by the backend, published.
import type { Config } from '../../config/model';
import type { ProxyBackend } from '../../data-plane/backends/backend';
import { type Compiled, compile, type NameAnswers } from '../../data-plane/compiler/compile';
import { filterRegistry } from '../../data-plane/filters/index';
import type { FilterRegistry } from '../../data-plane/filters/registry';

const NO_NAMES: NameAnswers = { address: () => undefined };

export function compiled(config: Config, registry: FilterRegistry = filterRegistry(), names: NameAnswers = NO_NAMES): Compiled {
  return compile(config, { registry, names });
}

/** What the proxy does with a committed change: prepare (throws when the backend cannot run it), then publish. */
export function applyConfig(backend: ProxyBackend, config: Config, registry: FilterRegistry = filterRegistry()): void {
  backend.publish(backend.prepare(compiled(config, registry)));
}
