// SPDX-License-Identifier: Apache-2.0
// Endpoints named by DNS host: the native engine addresses frames by IP, so names are resolved
// here (and again every REFRESH_MS) and the config is recompiled with the addresses. Until a name
// resolves, its endpoint's packets drop as `no route`.
import * as dns from 'node:dns';
import * as net from 'node:net';
import type { EndpointAddress } from '../../../config/address';
import type { Config } from '../../../config/model';

export const REFRESH_MS = 30000;

export function hasNames(config: Config): boolean {
  return config.clusters.some((c) => c.endpoints.some((e) => e.address.kind === 'dns'));
}

function ipAddress(ip: string, port: number): EndpointAddress {
  const v6 = net.isIPv6(ip);
  return { host: ip, port, kind: v6 ? 'ipv6' : 'ipv4', key: v6 ? `[${ip}]:${port}` : `${ip}:${port}` };
}

/** The config with every resolvable name replaced by its first address; `failures` names the rest. */
export async function resolveNames(config: Config): Promise<{ config: Config; failures: Array<{ host: string; error: string }> }> {
  const failures: Array<{ host: string; error: string }> = [];
  const cache = new Map<string, Promise<string | undefined>>();
  const lookup = (host: string): Promise<string | undefined> => {
    let p = cache.get(host);
    if (!p) {
      p = dns.promises.lookup(host).then(
        (r) => r.address,
        (err: Error) => {
          failures.push({ host, error: err.message });
          return undefined;
        },
      );
      cache.set(host, p);
    }
    return p;
  };
  const clusters = await Promise.all(
    config.clusters.map(async (c) => ({
      ...c,
      endpoints: await Promise.all(
        c.endpoints.map(async (e) => {
          if (e.address.kind !== 'dns') return e;
          const ip = await lookup(e.address.host);
          return ip ? { ...e, address: ipAddress(ip, e.address.port) } : e;
        }),
      ),
    })),
  );
  return { config: { ...config, clusters }, failures };
}
