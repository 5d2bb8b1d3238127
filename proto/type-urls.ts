// SPDX-License-Identifier: Apache-2.0
// The xDS resource types Quilkin v0.9 serves (reference runtime.md §6.2).

export const CLUSTER_TYPE = 'type.googleapis.com/quilkin.config.v1alpha1.Cluster';
export const FILTER_CHAIN_TYPE = 'type.googleapis.com/quilkin.config.v1alpha1.FilterChain';
export const DATACENTER_TYPE = 'type.googleapis.com/quilkin.config.v1alpha1.Datacenter';

export type ResourceType = typeof CLUSTER_TYPE | typeof FILTER_CHAIN_TYPE | typeof DATACENTER_TYPE;

/** Every type this implementation knows. */
export const KNOWN_TYPES: readonly ResourceType[] = [CLUSTER_TYPE, DATACENTER_TYPE, FILTER_CHAIN_TYPE];

/** The order a proxy subscribes in, as Quilkin's client does. */
export const PROXY_TYPES: readonly ResourceType[] = [CLUSTER_TYPE, DATACENTER_TYPE, FILTER_CHAIN_TYPE];

/** What a relay asks of an agent: endpoints and datacenters, never the filter chain. */
export const AGENT_TYPES: readonly ResourceType[] = [CLUSTER_TYPE, DATACENTER_TYPE];

/** The one filter chain resource's name. */
export const FILTER_CHAIN_NAME = 'filter_chain';

export function isResourceType(typeUrl: string): typeUrl is ResourceType {
  return typeUrl === CLUSTER_TYPE || typeUrl === FILTER_CHAIN_TYPE || typeUrl === DATACENTER_TYPE;
}

/** Short name for logs and metric labels: `Cluster`, `FilterChain`, `Datacenter`. */
export function shortType(typeUrl: string): string {
  const dot = typeUrl.lastIndexOf('.');
  return dot >= 0 ? typeUrl.slice(dot + 1) : typeUrl;
}
