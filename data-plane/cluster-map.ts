// SPDX-License-Identifier: Apache-2.0
// The endpoints a packet can be routed to, indexed for the hot path.
import type { EndpointAddress } from '../config/address';
import { type ClusterConfig, type EndpointConfig, localityKey } from '../config/model';

/**
 * An immutable snapshot of every endpoint in every locality, with a token index so that
 * routing by token is one hash lookup. Built once per config change, shared by all packets.
 */
export class ClusterMap {
  /** All endpoints, locality groups in config order, endpoints sorted by address within a group. */
  readonly endpoints: readonly EndpointConfig[];
  /** Addresses of `endpoints`, same order (what the broadcast rule and LoadBalancer index). */
  readonly addresses: readonly EndpointAddress[];
  readonly localities: ReadonlyMap<string, readonly EndpointConfig[]>;
  /** FNV-1a of the token bytes -> tokens with that hash and their holders (collisions compared by bytes). */
  private readonly byToken: Map<number, TokenEntry[]>;

  constructor(clusters: readonly ClusterConfig[]) {
    const localities = localityGroups(clusters);
    this.localities = localities;
    this.endpoints = [...localities.values()].flat();
    this.addresses = this.endpoints.map((e) => e.address);
    this.byToken = new Map();
    for (const endpoint of this.endpoints) {
      for (const token of endpoint.tokens) {
        const hash = tokenHash(token);
        const bucket = this.byToken.get(hash) ?? [];
        if (bucket.length === 0) this.byToken.set(hash, bucket);
        const entry = bucket.find((e) => sameBytes(e.token, token));
        if (entry) entry.addresses.push(endpoint.address);
        else bucket.push({ token, addresses: [endpoint.address] });
      }
    }
  }

  get size(): number {
    return this.endpoints.length;
  }

  /** Every endpoint holding exactly this token (bytes compared exactly). */
  endpointsWithToken(token: Buffer): readonly EndpointAddress[] {
    // A numeric hash computed in JS: no string is built per packet (toString('latin1') cost ~4x more).
    const bucket = this.byToken.get(tokenHash(token));
    if (bucket !== undefined) {
      for (let i = 0; i < bucket.length; i++) if (sameBytes(bucket[i].token, token)) return bucket[i].addresses;
    }
    return EMPTY;
  }
}

/** One group per locality, in config order (a later cluster with the same locality replaces it). */
function localityGroups(clusters: readonly ClusterConfig[]): Map<string, EndpointConfig[]> {
  const localities = new Map<string, EndpointConfig[]>();
  for (const cluster of clusters) localities.set(localityKey(cluster.locality), [...cluster.endpoints]);
  return localities;
}

/** The endpoints in ClusterMap order (the engine's endpoint indices), without building the token index. */
export function endpointOrder(clusters: readonly ClusterConfig[]): readonly EndpointConfig[] {
  return [...localityGroups(clusters).values()].flat();
}

interface TokenEntry {
  readonly token: Buffer;
  readonly addresses: EndpointAddress[];
}

/** The token index hash (exported so tests can build colliding tokens). */
export function tokenHash(token: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token[i], 0x01000193);
  return h >>> 0;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const EMPTY: readonly EndpointAddress[] = Object.freeze([]);
