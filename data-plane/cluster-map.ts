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
  private readonly byToken: Map<string, EndpointAddress[]>;

  constructor(clusters: readonly ClusterConfig[]) {
    const localities = new Map<string, EndpointConfig[]>();
    for (const cluster of clusters) localities.set(localityKey(cluster.locality), [...cluster.endpoints]);
    this.localities = localities;
    this.endpoints = [...localities.values()].flat();
    this.addresses = this.endpoints.map((e) => e.address);
    this.byToken = new Map();
    for (const endpoint of this.endpoints) {
      for (const token of endpoint.tokens) {
        const key = token.toString('latin1');
        const list = this.byToken.get(key);
        if (list) list.push(endpoint.address);
        else this.byToken.set(key, [endpoint.address]);
      }
    }
  }

  get size(): number {
    return this.endpoints.length;
  }

  /** Every endpoint holding exactly this token (bytes compared exactly). */
  endpointsWithToken(token: Buffer): readonly EndpointAddress[] {
    return this.byToken.get(token.toString('latin1')) ?? EMPTY;
  }
}

const EMPTY: readonly EndpointAddress[] = Object.freeze([]);
