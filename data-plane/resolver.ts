// SPDX-License-Identifier: Apache-2.0
// Resolves endpoint host names at send time, preferring IPv6 like Quilkin, with a 60 s cache.
import * as dns from 'node:dns';
import type { EndpointAddress } from '../config/address';

const TTL_MS = 60_000;

interface CacheEntry {
  readonly ip: string;
  readonly expires: number;
}

export class EndpointResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<string>>();

  /** Synchronous answer for IP literals and fresh cache entries; undefined means "resolve first". */
  cached(endpoint: EndpointAddress, now = Date.now()): string | undefined {
    if (endpoint.kind !== 'dns') return endpoint.host;
    const hit = this.cache.get(endpoint.host);
    return hit && hit.expires > now ? hit.ip : undefined;
  }

  resolve(endpoint: EndpointAddress): Promise<string> {
    const hit = this.cached(endpoint);
    if (hit !== undefined) return Promise.resolve(hit);
    let inflight = this.pending.get(endpoint.host);
    if (!inflight) {
      inflight = dns.promises
        .lookup(endpoint.host, { all: true })
        .then((answers) => {
          if (answers.length === 0) throw new Error(`no addresses for ${endpoint.host}`);
          const ip = (answers.find((a) => a.family === 6) ?? answers[0]).address;
          this.cache.set(endpoint.host, { ip, expires: Date.now() + TTL_MS });
          return ip;
        })
        .finally(() => this.pending.delete(endpoint.host));
      this.pending.set(endpoint.host, inflight);
    }
    return inflight;
  }
}
