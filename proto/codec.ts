// SPDX-License-Identifier: Apache-2.0
// The codec both planes use: a Config becomes named, versioned xDS resources per type, and a
// received set of resources becomes a validated ConfigPatch (or the reason to NACK it).
import { formatIssue, IssueCollector } from '../config/issues';
import type { ClusterConfig, Config, Datacenter, FilterConfigValidator } from '../config/model';
import type { ConfigPatch } from '../config/store';
import { decodeCluster, type EncodedResource, encodeCluster } from './cluster-resource';
import { decodeDatacenter, encodeDatacenter } from './datacenter-resource';
import { decodeFilterChain, encodeFilterChain } from './filter-chain-resource';
import type { XdsResource } from './messages';
import { quoted } from './node-id';
import { CLUSTER_TYPE, FILTER_CHAIN_NAME, FILTER_CHAIN_TYPE, type ResourceType, shortType } from './type-urls';

export type { EncodedResource } from './cluster-resource';

/** name -> encoded resource, for one type. */
export type ResourceSet = ReadonlyMap<string, EncodedResource>;

const snapshots = new WeakMap<Config, Map<ResourceType, ResourceSet>>();

/** The resources of one type that `config` holds; cached per config object (configs are immutable). */
export function resourcesOf(config: Config, type: ResourceType): ResourceSet {
  let perType = snapshots.get(config);
  if (!perType) snapshots.set(config, (perType = new Map()));
  let set = perType.get(type);
  if (!set) perType.set(type, (set = buildResources(config, type)));
  return set;
}

function buildResources(config: Config, type: ResourceType): ResourceSet {
  const out = new Map<string, EncodedResource>();
  const add = (r: EncodedResource): void => void out.set(r.name, r);
  if (type === CLUSTER_TYPE) config.clusters.forEach((c) => add(encodeCluster(c)));
  else if (type === FILTER_CHAIN_TYPE) add(encodeFilterChain(config.filters));
  else (config.datacenters ?? []).forEach((d) => add(encodeDatacenter(d)));
  return out;
}

/** One digest per type over every name=version, for logs and the config-version metric. */
export function combinedVersion(versions: ReadonlyMap<string, string> | Record<string, string>): string {
  const entries = versions instanceof Map ? [...versions.entries()] : Object.entries(versions);
  if (entries.length === 0) return '0';
  return entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join(',')
    .split('')
    .reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7)
    .toString(16);
}

export interface DecodeContext {
  readonly validator: FilterConfigValidator;
  /** Datacenters the receiver holds now; datacenter updates are merged into them by host. */
  readonly currentDatacenters: readonly Datacenter[];
  /** A relay sets this to the agent's address: agents advertise no host of their own. */
  readonly datacenterHost?: string;
}

export type DecodeResult = { ok: true; patch: ConfigPatch } | { ok: false; error: string };

function checkEnvelope(typeUrl: string, resources: readonly XdsResource[], issues: IssueCollector): Uint8Array[] {
  return resources.map((r, i) => {
    const at = [`${shortType(typeUrl)} ${quoted(r.name, 128)}`];
    if (!r.resource) issues.add(at, `resource ${i} has no body`);
    else if (r.resource.typeUrl !== typeUrl) issues.add(at, `resource type \`${r.resource.typeUrl}\` does not match the response type \`${typeUrl}\``);
    return r.resource?.value ?? new Uint8Array(0);
  });
}

/** Validates a delta response's resources of one type into a patch; any problem rejects all of it. */
export function decodeDelta(typeUrl: ResourceType, resources: readonly XdsResource[], removed: readonly string[], ctx: DecodeContext): DecodeResult {
  const issues = new IssueCollector();
  const bodies = checkEnvelope(typeUrl, resources, issues);
  if (!issues.ok) return fail(issues);
  const label = (i: number): string[] => [`${shortType(typeUrl)} ${quoted(resources[i].name, 128)}`];
  let patch: ConfigPatch;
  if (typeUrl === CLUSTER_TYPE) {
    const clusters = bodies.map((b, i) => decodeCluster(b, label(i), issues)).filter((c): c is ClusterConfig => c !== undefined);
    patch = { clusters, removeLocalities: [...removed] };
  } else if (typeUrl === FILTER_CHAIN_TYPE) {
    if (resources.length !== 1 || resources[0].name !== FILTER_CHAIN_NAME) {
      if (resources.length === 0 && removed.length === 0) return { ok: true, patch: {} };
      issues.add(
        ['FilterChain'],
        `expected exactly one resource named \`${FILTER_CHAIN_NAME}\`, got ${resources.length} (${resources
          .slice(0, 8)
          .map((r) => quoted(r.name))
          .join(', ')}${resources.length > 8 ? ', …' : ''})`,
      );
      return fail(issues);
    }
    const filters = decodeFilterChain(bodies[0], ctx.validator, label(0), issues);
    patch = filters ? { filters } : {};
  } else {
    const byHost = new Map(ctx.currentDatacenters.map((d) => [d.host, d]));
    for (const name of removed) byHost.delete(name);
    bodies.forEach((b, i) => {
      const dc = decodeDatacenter(b, label(i), issues, ctx.datacenterHost);
      if (dc) byHost.set(dc.host, dc);
    });
    patch = { datacenters: [...byHost.values()] };
  }
  return issues.ok ? { ok: true, patch } : fail(issues);
}

function fail(issues: IssueCollector): DecodeResult {
  return { ok: false, error: issues.issues.map(formatIssue).join('; ') };
}
