// SPDX-License-Identifier: Apache-2.0
// The bounds an xDS server holds against many, large or silent clients, and the grpc-js server
// options that carry the connection-level ones.
import type * as grpc from '@grpc/grpc-js';
import { DEFAULT_MAX_REQUEST_BYTES, maxGrpcMessageBytes, messageLimitOptions } from '../../proto/grpc-limits';
import type { ConnectionLimits } from './guarded-listener';
import { DEFAULT_MAX_NODE_LABELS } from './node-labels';

export interface XdsServerLimits {
  /** Streams open at once, over all clients; more are refused with RESOURCE_EXHAUSTED. */
  readonly maxStreams: number;
  /** Streams one remote IP may hold at once (a proxy needs one; NAT may put several behind one IP). */
  readonly maxStreamsPerPeer: number;
  /** Largest message a client may send (a request: subscription, ACK, NACK). */
  readonly maxRequestBytes: number;
  /** Distinct node ids with metric series of their own; more count as `other`. */
  readonly maxNodeLabels: number;
  /** The server pings a connection this often to find peers that vanished without a FIN. */
  readonly keepaliveTimeMs: number;
  /** A ping unanswered for this long closes the connection. */
  readonly keepaliveTimeoutMs: number;
  /** A connection without any stream for this long is closed. */
  readonly maxConnectionIdleMs: number;
}

export const DEFAULT_XDS_SERVER_LIMITS: XdsServerLimits = {
  maxStreams: 10_000,
  maxStreamsPerPeer: 64,
  maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
  maxNodeLabels: DEFAULT_MAX_NODE_LABELS,
  keepaliveTimeMs: 60_000,
  keepaliveTimeoutMs: 20_000,
  maxConnectionIdleMs: 300_000,
};

/** TCP connection caps follow the stream caps: a connection is needed per stream, and one without a stream is idle. */
export function connectionLimits(limits: XdsServerLimits): ConnectionLimits {
  return { maxConnections: limits.maxStreams, maxConnectionsPerPeer: limits.maxStreamsPerPeer };
}

/**
 * grpc-js server options for `limits`; responses may be as large as the process's message limit.
 * HTTP/2's per-connection stream limit sits above the per-peer cap, so a peer past that cap is
 * refused (and counted) rather than queued by its own client.
 */
export function serverOptions(limits: XdsServerLimits, receiveBytes = limits.maxRequestBytes): grpc.ServerOptions {
  return {
    ...messageLimitOptions(receiveBytes, maxGrpcMessageBytes()),
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    'grpc.max_connection_idle_ms': limits.maxConnectionIdleMs,
    'grpc.max_concurrent_streams': Math.max(100, 2 * limits.maxStreamsPerPeer),
  };
}
