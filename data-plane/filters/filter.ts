// SPDX-License-Identifier: Apache-2.0
// The filter interface every implementation (TypeScript here; native and BPF elsewhere) follows.
import type { EndpointAddress, SocketAddr } from '../../config/address';
import type { JsonValue } from '../../config/model';
import type { FilterMetrics } from '../../runtime/filter-metrics';
import type { RegexEngine } from './capture/linear-regex';
import type { Metadata } from './metadata';
import type { KernelLowering } from './kernel';
import type { NativeEncoding } from './native';

/** A drop reason: the `source` label of quilkin_packets_dropped_total (see data-plane/drop_reasons.json). */
export type DropReason = string;

/** A filter step's result: undefined to continue, or the reason the packet is dropped. */
export type FilterResult = DropReason | undefined;

export type { FilterMetrics } from '../../runtime/filter-metrics';

/**
 * What a filter may ask of the endpoints a read can go to. The filters own this view; the data
 * plane's ClusterMap (data-plane/cluster-map.ts) is one implementation.
 */
export interface ReadEndpoints {
  /** Every endpoint, in the cluster map's order. */
  readonly addresses: readonly EndpointAddress[];
  /** The endpoints holding `token` (exact bytes), empty if none. */
  endpointsWithToken(token: Buffer): readonly EndpointAddress[];
}

/** A read: client -> endpoint. */
export interface ReadContext {
  readonly endpoints: ReadEndpoints;
  /** Starts empty; a routing filter replaces it (Quilkin v0.9). Empty after the chain means "every endpoint". */
  readonly destinations: EndpointAddress[];
  readonly source: SocketAddr;
  /** The packet payload; filters replace it to trim or extend it. */
  contents: Buffer;
  readonly metadata: Metadata;
}

/** A write: endpoint -> client. */
export interface WriteContext {
  /** The endpoint that sent the packet. */
  readonly source: SocketAddr;
  /** The client it goes to. */
  readonly dest: SocketAddr;
  contents: Buffer;
  readonly metadata: Metadata;
}

export interface Filter {
  /** Absent: the filter passes reads through unchanged. */
  read?(ctx: ReadContext): FilterResult;
  /** Absent: the filter passes writes through unchanged. */
  write?(ctx: WriteContext): FilterResult;
}

/** What a filter may use besides its config; injected so tests control time and randomness. */
export interface FilterServices {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
  log: {
    info(fields: Record<string, unknown>, message: string): void;
    warn(fields: Record<string, unknown>, message: string): void;
    debug(fields: Record<string, unknown>, message: string): void;
  };
  /** Per-filter metrics with Quilkin's generic names (quilkin_filter_int_counter / _histogram). */
  metrics: FilterMetrics;
  /** Builds a nested filter (Match branches). */
  createFilter(name: string, config: JsonValue | undefined): Filter;
  /** Capture's regex engine (production: RE2, linear time); absent = the reference ByteRegex. */
  regex?: RegexEngine;
  /** Per-filter chain timing (quilkin_filter_read/write_duration_seconds); absent = not measured. */
  chainMetrics?: ChainMetrics;
}

/**
 * Chain timing is sampled: one packet in `sampleEvery` is timed filter by filter, so the hot path
 * pays one counter decrement per packet. 1 times every packet; 0 disables timing.
 */
export interface ChainMetrics {
  readonly sampleEvery: number;
  readDuration(filter: string): { observe(seconds: number): void };
  writeDuration(filter: string): { observe(seconds: number): void };
}

/** Raised for bad filter config; the message is the user-facing reason. */
export class FilterConfigError extends Error {
  override name = 'FilterConfigError';
}

/** One filter kind: its Quilkin name, config validation and construction. */
export interface FilterFactory<C extends JsonValue | undefined = JsonValue | undefined> {
  /** Versioned name, e.g. quilkin.filters.capture.v1alpha1.Capture. */
  readonly name: string;
  /** JSON Schema of the config (for `quilkin generate-config-schema` and docs). */
  readonly schema: JsonValue;
  /**
   * Validates raw config (undefined = none given) and returns it normalised with defaults applied,
   * or throws FilterConfigError.
   */
  validate(raw: unknown): C;
  /** Builds an instance from a config that `validate` returned. */
  create(config: C, services: FilterServices): Filter;
  /** The native engine's side (./native.ts); absent only for test-only filters, which the compiler refuses. */
  readonly native?: NativeEncoding<C>;
  /** The in-kernel fast path's side (./kernel.ts); absent: a chain holding the filter is not lowered. */
  readonly kernel?: KernelLowering<C>;
}

export function missingConfig(name: string): FilterConfigError {
  return new FilterConfigError(`filter \`${name}\` requires configuration, but none provided`);
}
