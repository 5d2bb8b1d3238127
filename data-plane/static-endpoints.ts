// SPDX-License-Identifier: Apache-2.0
// Endpoints from the command line (`--to`, `--to-tokens`), merged into the config model.
import { AddressError, compareEndpointAddress, parseEndpointAddress } from '../config/address';
import type { ClusterConfig, Config, EndpointConfig, FilterConfig } from '../config/model';
import { CAPTURE_KEY } from './filters/metadata';

export class StaticEndpointError extends Error {}

export function parseToAddresses(to: readonly string[]): EndpointConfig[] {
  return to.map((text) => {
    try {
      return { address: parseEndpointAddress(text), tokens: [], userMetadata: {} };
    } catch (err) {
      throw new StaticEndpointError(`--to ${(err as AddressError).message}`);
    }
  });
}

/**
 * `--to-tokens COUNT:LEN`: endpoint i gets tokens k = i*COUNT .. i*COUNT+COUNT-1, each the first
 * LEN bytes of k as little-endian u64; the chain becomes suffix Capture(LEN, remove) + TokenRouter.
 */
export function applyToTokens(endpoints: EndpointConfig[], spec: string): { endpoints: EndpointConfig[]; filters: FilterConfig[] } {
  const match = /^(\d+):(\d+)$/.exec(spec);
  if (!match) throw new StaticEndpointError(`--to-tokens \`${spec}\` must be COUNT:LEN`);
  const count = Number(match[1]);
  const len = Number(match[2]);
  if (endpoints.length === 0) throw new StaticEndpointError('--to-tokens requires at least one --to');
  if (len < 1 || len > 8) throw new StaticEndpointError(`--to-tokens token length ${len} must be 1 to 8 bytes`);
  if (2 ** (8 * len) < endpoints.length * count) {
    throw new StaticEndpointError(`--to-tokens ${len}-byte tokens cannot give ${count} distinct tokens to ${endpoints.length} endpoints`);
  }
  const withTokens = endpoints.map((e, i) => {
    const tokens: Buffer[] = [];
    for (let k = i * count; k < i * count + count; k++) {
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64LE(BigInt(k));
      tokens.push(bytes.subarray(0, len));
    }
    return { ...e, tokens };
  });
  const filters: FilterConfig[] = [
    { name: 'quilkin.filters.capture.v1alpha1.Capture', config: { metadataKey: CAPTURE_KEY, suffix: { size: len, remove: true } } },
    { name: 'quilkin.filters.token_router.v1alpha1.TokenRouter', config: { metadataKey: CAPTURE_KEY } },
  ];
  return { endpoints: withTokens, filters };
}

/** Adds CLI endpoints to the unlocated cluster of a config (file endpoints first, duplicates collapse). */
export function withStaticEndpoints(config: Config, extra: readonly EndpointConfig[]): Config {
  if (extra.length === 0) return config;
  const unlocated = config.clusters.find((c) => !c.locality);
  const merged = new Map<string, EndpointConfig>();
  for (const e of [...(unlocated?.endpoints ?? []), ...extra]) if (!merged.has(e.address.key)) merged.set(e.address.key, e);
  const cluster: ClusterConfig = { endpoints: [...merged.values()].sort((a, b) => compareEndpointAddress(a.address, b.address)) };
  return { ...config, clusters: [...config.clusters.filter((c) => c.locality), cluster] };
}
