// SPDX-License-Identifier: Apache-2.0
// The TypeScript view of the socket part of the addon (native/socket/binding.cc).
import type { HistogramCells } from '../engine/engine-addon';

/** The part of an `engine.Engine` (native/engine) the socket backend drives: config goes in as a compiled description. */
export interface EngineHandle {
  publish(description: Buffer): unknown;
}

export interface SocketBackendOptions {
  /** 0 lets the kernel choose; every worker then shares the chosen port. */
  readonly port: number;
  readonly workers: number;
  readonly sessionTimeoutMs: number;
  /** Idle timeout of sessions no endpoint has answered. */
  readonly unrepliedTimeoutMs: number;
  readonly maxSessions: number;
  /** 0 = no per-IP cap. */
  readonly maxSessionsPerSource: number;
  /** The engine whose generations the workers run; it must allow at least `workers` workers. */
  readonly engine: EngineHandle;
}

/** Sums over every worker. Index 0 of each pair is `read` (to endpoints), 1 is `write` (to clients). */
export interface SocketTotals {
  readonly packets: readonly [number, number];
  readonly bytes: readonly [number, number];
  /** Every drop, chain or socket: [direction][drop reason id from data-plane/drop_reasons.json] */
  readonly drops: readonly [readonly number[], readonly number[]];
  readonly errors: readonly [readonly number[], readonly number[]];
  /** Packets the filter chain let through. */
  readonly passed: readonly [number, number];
  readonly sessionsCreated: number;
  readonly sessionsClosed: number;
  /** Unanswered sessions closed early to make room for new ones. */
  readonly sessionsEvicted: number;
  /** Session lifetimes the workers could not queue because JS drained too slowly. */
  readonly durationsLost: number;
  readonly endpointSockets: number;
}

export interface SocketBackendDescription {
  readonly port: number;
  readonly workers: number;
  readonly batch: number;
  readonly running: boolean;
  /** RLIMIT_NOFILE after raising the soft limit to the hard one. */
  readonly fileLimit: number;
  /** Descriptors kept back for admin, config and xDS. */
  readonly filesReserved: number;
  /** The session bound in force: --max-sessions, lowered to what the descriptors allow. */
  readonly sessionLimit: number;
}

export interface NativeSocketBackend {
  totals(): SocketTotals;
  /** Lifetimes (whole seconds) of sessions closed since the last call. */
  drainDurations(): number[];
  /**
   * quilkin_packets_processing_duration_seconds of every worker, [read, write]: buckets per bound of
   * engine.processingBounds() then +Inf, sum in seconds. Monotonic; readable after stop().
   */
  processing(): [HistogramCells, HistogramCells];
  /** quilkin_packet_jitter [read, write] in nanoseconds, as a worker set it last; null until then. */
  jitter(): [number | null, number | null];
  sessionCount(): number;
  describe(): SocketBackendDescription;
  /** Joins the worker threads and closes every socket; idempotent. */
  stop(): void;
}

export interface SocketAddon {
  readonly SocketBackend: new (options: SocketBackendOptions) => NativeSocketBackend;
}
