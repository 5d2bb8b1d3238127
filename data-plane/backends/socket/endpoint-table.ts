// SPDX-License-Identifier: Apache-2.0
// Endpoint host names for the native workers: the engine only routes to IP addresses, so
// names are resolved here and the resolved address replaces the name in place (positions,
// and so the engine's endpoint indices, stay as in the config).
import * as dns from 'node:dns';
import * as net from 'node:net';
import { type EndpointAddress, formatHostPort } from '../../../config/address';
import type { ClusterConfig } from '../../../config/model';

/** Quilkin caches resolved names for 60 s. */
export const DNS_REFRESH_MS = 60_000;

export function hostNames(clusters: readonly ClusterConfig[]): string[] {
  const names = clusters.flatMap((c) => c.endpoints.filter((e) => e.address.kind === 'dns').map((e) => e.address.host));
  return [...new Set(names)];
}

function resolvedAddress(address: EndpointAddress, resolved: ReadonlyMap<string, string>): EndpointAddress {
  const ip = address.kind === 'dns' ? resolved.get(address.host) : undefined;
  if (ip === undefined) return address;
  const kind = net.isIPv4(ip) ? 'ipv4' : 'ipv6';
  return { host: ip, port: address.port, kind, key: formatHostPort(ip, address.port, kind) };
}

/** The clusters with every resolved name replaced by its IP; unresolved names stay (the engine drops their sends as `no route`). */
export function withResolvedNames(clusters: readonly ClusterConfig[], resolved: ReadonlyMap<string, string>): ClusterConfig[] {
  if (resolved.size === 0) return [...clusters];
  return clusters.map((c) => ({ ...c, endpoints: c.endpoints.map((e) => ({ ...e, address: resolvedAddress(e.address, resolved) })) }));
}

/** Resolves each name, preferring IPv6 like Quilkin; failures are left out and reported. */
export async function resolveNames(names: readonly string[]): Promise<{ resolved: Map<string, string>; failures: Array<{ host: string; error: string }> }> {
  const resolved = new Map<string, string>();
  const failures: Array<{ host: string; error: string }> = [];
  await Promise.all(
    names.map(async (host) => {
      try {
        const answers = await dns.promises.lookup(host, { all: true });
        const pick = answers.find((a) => a.family === 6) ?? answers[0];
        if (pick) resolved.set(host, pick.address);
        else failures.push({ host, error: 'no addresses' });
      } catch (err) {
        failures.push({ host, error: (err as Error).message });
      }
    }),
  );
  return { resolved, failures };
}
