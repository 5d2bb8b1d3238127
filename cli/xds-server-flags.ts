// SPDX-License-Identifier: Apache-2.0
// The flags bounding what an xDS/mDS server (manage, relay) holds for its clients. Quilkin v0.9
// has none of them (its servers take tonic's defaults: 4 MiB requests, no stream caps).
import type { XdsServerLimits } from '../control-plane/xds/server-limits';
import { DEFAULT_XDS_SERVER_LIMITS } from '../control-plane/xds/server-limits';
import { type OptionSpec, parseMessageSize, parsePositiveInt } from './options';

const d = DEFAULT_XDS_SERVER_LIMITS;

export const XDS_SERVER_LIMIT_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--max-streams <n>',
    help: 'xDS streams open at once over all clients; more are refused with RESOURCE_EXHAUSTED',
    env: 'QUILKIN_MAX_STREAMS',
    default: d.maxStreams,
    parse: parsePositiveInt,
  },
  {
    flags: '--max-streams-per-peer <n>',
    help: 'xDS streams one client IP may hold at once; more are refused with RESOURCE_EXHAUSTED',
    env: 'QUILKIN_MAX_STREAMS_PER_PEER',
    default: d.maxStreamsPerPeer,
    parse: parsePositiveInt,
  },
  {
    flags: '--max-grpc-request-size <bytes>',
    help: 'largest request (subscription, ACK) a client may send',
    env: 'QUILKIN_MAX_GRPC_REQUEST_SIZE',
    default: d.maxRequestBytes,
    defaultText: '4194304 (4 MiB)',
    parse: parseMessageSize,
  },
  {
    flags: '--max-node-labels <n>',
    help: 'client node ids with metric series of their own at once; more count as node="other"',
    env: 'QUILKIN_MAX_NODE_LABELS',
    default: d.maxNodeLabels,
    parse: parsePositiveInt,
  },
  {
    flags: '--keepalive-secs <secs>',
    help: 'the server pings each client connection this often',
    env: 'QUILKIN_KEEPALIVE_SECS',
    default: d.keepaliveTimeMs / 1000,
    parse: parsePositiveInt,
  },
  {
    flags: '--keepalive-timeout-secs <secs>',
    help: 'a ping unanswered this long closes the connection',
    env: 'QUILKIN_KEEPALIVE_TIMEOUT_SECS',
    default: d.keepaliveTimeoutMs / 1000,
    parse: parsePositiveInt,
  },
  {
    flags: '--max-connection-idle-secs <secs>',
    help: 'a client connection without any stream for this long is closed',
    env: 'QUILKIN_MAX_CONNECTION_IDLE_SECS',
    default: d.maxConnectionIdleMs / 1000,
    parse: parsePositiveInt,
  },
];

export interface XdsServerLimitValues {
  maxStreams: number;
  maxStreamsPerPeer: number;
  maxGrpcRequestSize: number;
  maxNodeLabels: number;
  keepaliveSecs: number;
  keepaliveTimeoutSecs: number;
  maxConnectionIdleSecs: number;
}

export function serverLimitsFromCli(values: XdsServerLimitValues): XdsServerLimits {
  return {
    maxStreams: values.maxStreams,
    maxStreamsPerPeer: values.maxStreamsPerPeer,
    maxRequestBytes: values.maxGrpcRequestSize,
    maxNodeLabels: values.maxNodeLabels,
    keepaliveTimeMs: values.keepaliveSecs * 1000,
    keepaliveTimeoutMs: values.keepaliveTimeoutSecs * 1000,
    maxConnectionIdleMs: values.maxConnectionIdleSecs * 1000,
  };
}
