// SPDX-License-Identifier: Apache-2.0
// `--region/--zone/--sub-zone`: endpoints a provider found without a locality are filed under
// the configured one (Quilkin does this after every load), merging with what is already there.
import { compareEndpointAddress } from '../../config/address';
import { type ClusterConfig, type EndpointConfig, type Locality, localityKey } from '../../config/model';

export function localityFromFlags(region?: string, zone?: string, subZone?: string): Locality | undefined {
  if (!region) return undefined;
  return { region, ...(zone ? { zone } : {}), ...(subZone ? { subZone } : {}) };
}

export function withDefaultLocality(clusters: readonly ClusterConfig[], locality: Locality | undefined): ClusterConfig[] {
  const unlocated = clusters.find((c) => !c.locality);
  if (!locality || !unlocated) return [...clusters];
  const key = localityKey(locality);
  const target = clusters.find((c) => localityKey(c.locality) === key);
  const byAddress = new Map<string, EndpointConfig>();
  for (const e of [...(target?.endpoints ?? []), ...unlocated.endpoints]) if (!byAddress.has(e.address.key)) byAddress.set(e.address.key, e);
  const merged: ClusterConfig = { locality, endpoints: [...byAddress.values()].sort((a, b) => compareEndpointAddress(a.address, b.address)) };
  return [...clusters.filter((c) => c !== unlocated && c !== target), merged];
}
