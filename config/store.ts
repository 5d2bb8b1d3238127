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

export interface ConfigChange<C = undefined> {
  readonly config: Config;
  /** What the store's compile step made of `config` (undefined for a store without one). */
  readonly compiled: C;
  readonly previous: Config;
  readonly generation: number;
  /** Who made the change: `file:/path`, `cli`, `xds:<server>`, `provider:k8s` ... */
  readonly source: string;
  readonly filtersChanged: boolean;
  readonly clustersChanged: boolean;
  readonly datacentersChanged: boolean;
}

/** Turns a config into what runs; throws (a CompileError) when it cannot run, and nothing is committed. */
export type CompileStep<C> = (config: Config) => C;

export interface StoreOptions<C> {
  readonly compile: CompileStep<C>;
  /** What `initial` compiled to (the caller compiled and started it before the store existed). */
  readonly initialCompiled: C;
}

/**
 * Holds the current config and, with a compile step, what it compiled to. Patches are already
 * validated (every source validates with the same model); the compile step runs before a change
 * is committed, so a config that validates but cannot run is refused (the caller rejects the file
 * or NACKs) and the store, `/config` and the data path all keep the previous one. Listeners see
 * each change once, in order.
 */
export class ConfigStore<C = undefined> {
  private config: Config;
  private compiledConfig: C;
  private generationCounter = 0;
  private readonly events = new EventEmitter();
  private readonly compileStep: CompileStep<C> | undefined;

  constructor(initial: Config = emptyConfig(), opts?: StoreOptions<C>) {
    this.config = initial;
    this.compileStep = opts?.compile;
    this.compiledConfig = opts?.initialCompiled as C;
  }

  get current(): Config {
    return this.config;
  }

  /** What the current config compiled to. */
  get compiled(): C {
    return this.compiledConfig;
  }

  get generation(): number {
    return this.generationCounter;
  }

  onChange(listener: (change: ConfigChange<C>) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  /** Every new compile result, from a change or from `recompile`: what the data path must run now. */
  onCompiled(listener: (compiled: C, source: string) => void): () => void {
    this.events.on('compiled', listener);
    return () => this.events.off('compiled', listener);
  }

  /**
   * Compiles the current config again (its inputs outside the config changed: a DNS answer) and
   * makes that the current compile result. Throws as `apply` does, keeping the previous result.
   */
  recompile(source: string): void {
    if (!this.compileStep) return;
    this.compiledConfig = this.compileStep(this.config);
    this.events.emit('compiled', this.compiledConfig, source);
  }

  /** Every accepted patch, also one that changed nothing (readiness needs to see arrivals). */
  onPatch(listener: (patch: ConfigPatch, source: string) => void): () => void {
    this.events.on('patch', listener);
    return () => this.events.off('patch', listener);
  }

  /** Throws what the compile step threw when the new config cannot run; nothing changes then. */
  apply(patch: ConfigPatch, source: string): ConfigChange<C> | undefined {
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
    if (!filtersChanged && !clustersChanged && !datacentersChanged && !otherChanged) {
      this.events.emit('patch', patch, source);
      return undefined;
    }
    const compiled = this.compileStep ? this.compileStep(next) : (undefined as C);
    this.config = next;
    this.compiledConfig = compiled;
    this.events.emit('patch', patch, source);
    const change: ConfigChange<C> = {
      config: next,
      compiled,
      previous,
      generation: ++this.generationCounter,
      source,
      filtersChanged,
      clustersChanged,
      datacentersChanged,
    };
    if (this.compileStep) this.events.emit('compiled', compiled, source);
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

/** Element by element, stopping at the first difference: no string of the whole cluster list is built (100k endpoints). */
function sameClusters(a: readonly ClusterConfig[], b: readonly ClusterConfig[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((c, i) => {
    const d = b[i];
    if (localityKey(c.locality) !== localityKey(d.locality) || c.endpoints.length !== d.endpoints.length) return false;
    return c.endpoints.every((e, j) => {
      const f = d.endpoints[j];
      if (e === f) return true;
      if (e.address.key !== f.address.key || e.tokens.length !== f.tokens.length) return false;
      if (!e.tokens.every((t, k) => t.equals(f.tokens[k]))) return false;
      return sameJson(e.userMetadata, f.userMetadata);
    });
  });
}
