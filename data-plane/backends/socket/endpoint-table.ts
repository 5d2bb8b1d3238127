// SPDX-License-Identifier: Apache-2.0
// The workers' endpoint list for a config: ClusterMap order (the order the native engine
// indexes endpoints by), host names replaced by their resolved IP once known.
import * as dns from 'node:dns';
import type { EndpointAddress } from '../../../config/address';
import type { Config } from '../../../config/model';
import type { NativeEndpoint } from '../../../native/socket/socket-addon';
import { ClusterMap } from '../../cluster-map';

/** Quilkin caches resolved names for 60 s. */
export const DNS_REFRESH_MS = 60_000;

export function endpointAddresses(config: Config): readonly EndpointAddress[] {
  return new ClusterMap(config.clusters).addresses;
}

/** IP literals as they are; names from `resolved`, or null while unknown. */
export function nativeEndpoints(addresses: readonly EndpointAddress[], resolved: ReadonlyMap<string, string>): NativeEndpoint[] {
  return addresses.map((a) => ({ ip: a.kind === 'dns' ? (resolved.get(a.host) ?? null) : a.host, port: a.port }));
}

/** Resolves every distinct host name, preferring IPv6 like Quilkin; failures are left out and reported. */
export async function resolveNames(
  addresses: readonly EndpointAddress[],
): Promise<{ resolved: Map<string, string>; failures: Array<{ host: string; error: string }> }> {
  const names = [...new Set(addresses.filter((a) => a.kind === 'dns').map((a) => a.host))];
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
