// SPDX-License-Identifier: Apache-2.0
// Pipeline rules around the filter chain, shared by every backend that runs TypeScript filters.
import type { EndpointAddress, SocketAddr } from '../config/address';
import type { ClusterMap } from './cluster-map';
import type { FilterChain } from './filters/chain';
import type { DropReason, ReadContext, WriteContext } from './filters/filter';
import type { Metadata } from './filters/metadata';

export const NO_UPSTREAM_ENDPOINTS: DropReason = 'no upstream endpoints';
export const DISALLOWED_SOURCE_IP: DropReason = 'disallowed source ip';

export type ReadOutcome =
  { dropped: false; contents: Buffer; destinations: readonly EndpointAddress[]; ctx: ReadContext } | { dropped: true; reason: DropReason; ctx?: ReadContext };

/** Multicast and broadcast sources can never be a real client; Quilkin drops them too. */
export function isDisallowedSource(source: SocketAddr): boolean {
  if (source.family === 4) {
    const first = Number(source.ip.slice(0, source.ip.indexOf('.')));
    return (first >= 224 && first <= 239) || source.ip === '255.255.255.255';
  }
  return source.ip.toLowerCase().startsWith('ff');
}

/**
 * Client -> server: no endpoints drops, the chain runs, an empty destination list means "all".
 * `metadata` is the packet's starting metadata (empty in production; tests preset it).
 */
export function processRead(chain: FilterChain, endpoints: ClusterMap, source: SocketAddr, contents: Buffer, metadata: Metadata = new Map()): ReadOutcome {
  if (endpoints.size === 0) return { dropped: true, reason: NO_UPSTREAM_ENDPOINTS };
  if (isDisallowedSource(source)) return { dropped: true, reason: DISALLOWED_SOURCE_IP };
  const ctx: ReadContext = { endpoints, destinations: [], source, contents, metadata };
  const reason = chain.read(ctx);
  if (reason !== undefined) return { dropped: true, reason, ctx };
  if (ctx.destinations.length === 0) ctx.destinations.push(...endpoints.addresses);
  return { dropped: false, contents: ctx.contents, destinations: ctx.destinations, ctx };
}

export type WriteOutcome = { dropped: false; contents: Buffer; ctx: WriteContext } | { dropped: true; reason: DropReason; ctx: WriteContext };

/** Server -> client: the chain runs in reverse. */
export function processWrite(chain: FilterChain, source: SocketAddr, dest: SocketAddr, contents: Buffer, metadata: Metadata = new Map()): WriteOutcome {
  const ctx: WriteContext = { source, dest, contents, metadata };
  const reason = chain.write(ctx);
  if (reason !== undefined) return { dropped: true, reason, ctx };
  return { dropped: false, contents: ctx.contents, ctx };
}
