// SPDX-License-Identifier: Apache-2.0
// The one typed config model. Every source (file, CLI flags, xDS, providers) produces it.
import type { EndpointAddress } from './address';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** `region[:zone[:subzone]]`; absent on the unlocated group. */
export interface Locality {
  readonly region: string;
  readonly zone?: string;
  readonly subZone?: string;
}

export interface EndpointConfig {
  readonly address: EndpointAddress;
  /** Decoded `quilkin.dev.tokens`: raw bytes, unique per endpoint. */
  readonly tokens: readonly Buffer[];
  /** Every metadata key except `quilkin.dev`, kept verbatim. */
  readonly userMetadata: Readonly<Record<string, JsonValue>>;
}

export interface ClusterConfig {
  readonly locality?: Locality;
  /** Sorted by address, duplicates collapsed (first kept). */
  readonly endpoints: readonly EndpointConfig[];
}

/** A filter as configured: the name, an informational label and its validated, normalised config. */
export interface FilterConfig {
  readonly name: string;
  readonly label?: string;
  /** The filter's config after validation and defaults (JSON), or undefined for "no config". */
  readonly config?: JsonValue;
}

/** A datacenter a proxy can measure with QCMP (arrives over xDS from agents and relays). */
export interface Datacenter {
  readonly host: string;
  readonly qcmpPort: number;
  readonly icaoCode: string;
}

export interface Config {
  readonly version: 'v1alpha1';
  readonly id?: string;
  readonly clusters: readonly ClusterConfig[];
  readonly filters: readonly FilterConfig[];
  readonly icaoCode: string;
  readonly qcmpPort?: number;
  /** Only meaningful from xDS; ignored in files, as in Quilkin. */
  readonly datacenters?: readonly Datacenter[];
}

export const DEFAULT_ICAO_CODE = 'XXXX';

export function emptyConfig(): Config {
  return { version: 'v1alpha1', clusters: [], filters: [], icaoCode: DEFAULT_ICAO_CODE };
}

export function localityKey(locality: Locality | undefined): string {
  if (!locality) return '';
  const parts = [locality.region, locality.zone ?? '', locality.subZone ?? ''];
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts.join(':');
}

export function endpointCount(config: Config): number {
  return config.clusters.reduce((n, c) => n + c.endpoints.length, 0);
}

/** Validates one filter's raw config; implemented by the filter registry (data-plane/filters). */
export interface FilterConfigValidator {
  /**
   * Returns the normalised config, or throws an Error whose message says what is wrong
   * (unknown filter name, missing config, bad field).
   */
  validate(name: string, rawConfig: unknown): JsonValue | undefined;
}

/** Serialises the model back to Quilkin's file/JSON form (tokens base64), for /config and xDS. */
export function toQuilkinJson(config: Config): { [key: string]: JsonValue } {
  return {
    version: config.version,
    ...(config.id !== undefined ? { id: config.id } : {}),
    clusters: config.clusters.map((c) => ({
      ...(c.locality ? { locality: localityKey(c.locality) } : {}),
      endpoints: c.endpoints.map((e) => ({
        address: e.address.key,
        metadata: {
          ...e.userMetadata,
          'quilkin.dev': { tokens: e.tokens.map((t) => t.toString('base64')) },
        },
      })),
    })),
    filters: config.filters.map((f) => ({
      name: f.name,
      ...(f.label !== undefined ? { label: f.label } : {}),
      ...(f.config !== undefined ? { config: f.config } : {}),
    })),
    icao_code: config.icaoCode,
    ...(config.qcmpPort !== undefined ? { qcmp_port: config.qcmpPort } : {}),
  };
}
