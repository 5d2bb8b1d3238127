// SPDX-License-Identifier: Apache-2.0
// The plug-in point of the conformance runner: every filter implementation (TypeScript, native,
// in-kernel) registers here and is run against the same vectors.
//
// To add one: implement `Implementation` in a file beside this one and append one line to
// IMPLEMENTATIONS. `unavailable()` explains why it cannot run on this machine (the whole suite is
// then reported as pending with that reason); `createChain` may return a string for a single case
// it cannot run, and `process` a PacketPending for a packet it cannot judge (both also reported as
// pending, never silently passed).
import type { SocketAddr } from '../../config/address';
import type { ClusterConfig, JsonValue } from '../../config/model';
import type { Metadata } from '../../data-plane/filters/metadata';
import { bpfImplementation } from './bpf-implementation';
import { nativeImplementation } from './native-implementation';
import { typescriptImplementation } from './typescript-implementation';

/** A filter exactly as written in a config file: raw (unvalidated) config. */
export interface RawFilterConfig {
  readonly name: string;
  readonly label?: string;
  readonly config?: unknown;
}

export type ValidationOutcome = { valid: true; normalized: Array<JsonValue | undefined> } | { valid: false; error: string };

/** The case's clock; sequence steps advance it. Milliseconds since the Unix epoch. */
export interface CaseClock {
  now(): number;
}

export interface ChainSetup {
  readonly filters: readonly RawFilterConfig[];
  /** The cluster as the config parser produced it (endpoints sorted, tokens decoded). */
  readonly clusters: readonly ClusterConfig[];
  readonly clock: CaseClock;
}

export interface PacketInput {
  readonly direction: 'read' | 'write';
  /** read: the client; write: the endpoint that sent the packet. */
  readonly source: SocketAddr;
  /** write only: the client the packet goes to. */
  readonly dest: SocketAddr;
  readonly contents: Buffer;
  /** Metadata present before the chain runs (the implementation must not keep a reference). */
  readonly metadata: Metadata;
}

export interface PacketOutput {
  readonly dropped: boolean;
  /** When dropped: the drop reason label (quilkin_packets_dropped_total `source`). */
  readonly reason?: string;
  /** When not dropped: the payload after the chain. */
  readonly contents?: Buffer;
  /** The metadata after the chain (also when dropped, if the implementation can show it). */
  readonly metadata?: Metadata;
  /** read, not dropped: endpoint keys (`ip:port`, `[ip6]:port`) after the broadcast rule. */
  readonly destinations?: readonly string[];
  /** Values Timestamp observed into quilkin_filter_histogram while processing this packet. */
  readonly timestampSamples: readonly number[];
}

/** A packet this implementation cannot judge (the in-kernel path handed it to another tier
 * before its chain finished): the case is reported pending with the reason, never passed. */
export interface PacketPending {
  readonly pending: string;
}

/** One built chain; a sequence case sends all its steps through the same instance. */
export interface ChainRunner {
  process(packet: PacketInput): PacketOutput | PacketPending;
  close(): void;
}

export interface Implementation {
  readonly name: string;
  /**
   * The reasons this implementation declines a case by design (e.g. the in-kernel tier's
   * documented non-lowerable filters, whose packets tier 1 serves). A case declined with one of
   * these passes as "declined as documented"; any other decline is reported pending.
   */
  readonly documentedDeclines?: readonly RegExp[];
  /** Why this implementation cannot run here (missing addon, no CAP_BPF, ...), or undefined. */
  unavailable(): string | undefined;
  /** Validates a whole chain as a config source would; normalized = each filter's config after defaults. */
  validateChain(filters: readonly RawFilterConfig[]): ValidationOutcome;
  /** Builds a chain, or returns why this implementation cannot run this chain (e.g. not lowerable). */
  createChain(setup: ChainSetup): ChainRunner | string;
}

/** Every implementation the conformance suite runs. Native and BPF engines append a line here. */
export const IMPLEMENTATIONS: readonly Implementation[] = [typescriptImplementation, nativeImplementation, bpfImplementation];
