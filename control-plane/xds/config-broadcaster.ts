// SPDX-License-Identifier: Apache-2.0
// Fans config changes out to every open stream: changes within `debounceMs` are merged into one
// push per changed type, so a burst of provider events costs each client one response.
import type { ConfigStore } from '../../config/store';
import { combinedVersion, resourcesOf } from '../../proto/codec';
import { CLUSTER_TYPE, DATACENTER_TYPE, FILTER_CHAIN_TYPE, type ResourceType } from '../../proto/type-urls';
import type { XdsMetrics } from '../../proto/xds-metrics';

export type PushListener = (types: ReadonlySet<ResourceType>) => void;

export class ConfigBroadcaster {
  private readonly listeners = new Set<PushListener>();
  private readonly changed = new Set<ResourceType>();
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ConfigStore,
    private readonly types: readonly ResourceType[],
    private readonly metrics: XdsMetrics,
    private readonly debounceMs = 50,
  ) {
    this.unsubscribe = store.onChange((change) => {
      if (change.clustersChanged) this.mark(CLUSTER_TYPE);
      if (change.filtersChanged) this.mark(FILTER_CHAIN_TYPE);
      if (change.datacentersChanged) this.mark(DATACENTER_TYPE);
    });
    this.publishVersions(new Set(types));
  }

  /** Adds a stream; returns its removal. */
  add(listener: PushListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get streams(): number {
    return this.listeners.size;
  }

  close(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.listeners.clear();
  }

  private mark(type: ResourceType): void {
    if (!this.types.includes(type)) return;
    this.changed.add(type);
    this.timer ??= setTimeout(() => this.flush(), this.debounceMs);
  }

  private flush(): void {
    this.timer = undefined;
    const types = new Set(this.changed);
    this.changed.clear();
    this.publishVersions(types);
    for (const listener of this.listeners) listener(types);
  }

  private publishVersions(types: ReadonlySet<ResourceType>): void {
    for (const type of types) {
      const versions = new Map([...resourcesOf(this.store.current, type).values()].map((r) => [r.name, r.version]));
      this.metrics.setVersion('server', type, combinedVersion(versions));
    }
  }
}
