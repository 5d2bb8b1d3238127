// SPDX-License-Identifier: Apache-2.0
// The live config: one validated model, changed only by whole, validated patches.
import { EventEmitter } from 'node:events';
import type { ClusterConfig, Config, Datacenter, FilterConfig } from './model';
import { emptyConfig, localityKey } from './model';

/** A change from one source. Absent fields are left as they are. */
export interface ConfigPatch {
  readonly id?: string;
  /** Replaces the whole filter chain. */
  readonly filters?: readonly FilterConfig[];
  /** Replaces the endpoint set of each listed locality. */
  readonly clusters?: readonly ClusterConfig[];
  /** With `clusters`: remove every locality not listed (a full replacement, as a file reload is). */
  readonly replaceClusters?: boolean;
  /** Localities (by `region:zone:subzone` key, '' = unlocated) to delete. */
  readonly removeLocalities?: readonly string[];
  readonly datacenters?: readonly Datacenter[];
  readonly icaoCode?: string;
  readonly qcmpPort?: number;
}

export interface ConfigChange {
  readonly config: Config;
  readonly previous: Config;
  readonly generation: number;
  /** Who made the change: `file:/path`, `cli`, `xds:<server>`, `provider:k8s` ... */
  readonly source: string;
  readonly filtersChanged: boolean;
  readonly clustersChanged: boolean;
  readonly datacentersChanged: boolean;
}

/**
 * Holds the current config. Patches are already validated (every source validates with the same
 * model), so applying one cannot fail; listeners see each change once, in order.
 */
export class ConfigStore {
  private config: Config;
  private generationCounter = 0;
  private readonly events = new EventEmitter();

  constructor(initial: Config = emptyConfig()) {
    this.config = initial;
  }

  get current(): Config {
    return this.config;
  }

  get generation(): number {
    return this.generationCounter;
  }

  onChange(listener: (change: ConfigChange) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  /** Every accepted patch, also one that changed nothing (readiness needs to see arrivals). */
  onPatch(listener: (patch: ConfigPatch, source: string) => void): () => void {
    this.events.on('patch', listener);
    return () => this.events.off('patch', listener);
  }

  apply(patch: ConfigPatch, source: string): ConfigChange | undefined {
    this.events.emit('patch', patch, source);
    const previous = this.config;
    const next: Config = {
      ...previous,
      ...(patch.id !== undefined ? { id: patch.id } : {}),
      ...(patch.filters !== undefined ? { filters: patch.filters } : {}),
      ...(patch.icaoCode !== undefined ? { icaoCode: patch.icaoCode } : {}),
      ...(patch.qcmpPort !== undefined ? { qcmpPort: patch.qcmpPort } : {}),
      ...(patch.datacenters !== undefined ? { datacenters: patch.datacenters } : {}),
      clusters: mergeClusters(previous.clusters, patch),
    };
    const filtersChanged = patch.filters !== undefined && !sameJson(previous.filters, next.filters);
    const clustersChanged = !sameClusters(previous.clusters, next.clusters);
    const datacentersChanged = patch.datacenters !== undefined && !sameJson(previous.datacenters ?? [], next.datacenters ?? []);
    const otherChanged = next.id !== previous.id || next.icaoCode !== previous.icaoCode || next.qcmpPort !== previous.qcmpPort;
    if (!filtersChanged && !clustersChanged && !datacentersChanged && !otherChanged) return undefined;
    this.config = next;
    const change: ConfigChange = { config: next, previous, generation: ++this.generationCounter, source, filtersChanged, clustersChanged, datacentersChanged };
    this.events.emit('change', change);
    return change;
  }
}

function mergeClusters(current: readonly ClusterConfig[], patch: ConfigPatch): readonly ClusterConfig[] {
  if (patch.clusters === undefined && patch.removeLocalities === undefined) return current;
  const byLocality = new Map<string, ClusterConfig>();
  if (!patch.replaceClusters) for (const c of current) byLocality.set(localityKey(c.locality), c);
  for (const key of patch.removeLocalities ?? []) byLocality.delete(key);
  for (const c of patch.clusters ?? []) byLocality.set(localityKey(c.locality), c);
  return [...byLocality.values()];
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function clusterFingerprint(clusters: readonly ClusterConfig[]): string {
  return JSON.stringify(
    clusters.map((c) => [localityKey(c.locality), c.endpoints.map((e) => [e.address.key, e.tokens.map((t) => t.toString('base64')), e.userMetadata])]),
  );
}

function sameClusters(a: readonly ClusterConfig[], b: readonly ClusterConfig[]): boolean {
  return a === b || clusterFingerprint(a) === clusterFingerprint(b);
}
