// SPDX-License-Identifier: Apache-2.0
// The AggregatedDiscoveryService that manage and relay serve to proxies: delta streams (what
// Quilkin speaks) and state-of-the-world streams, many clients at once, pushing on every
// (debounced) config change. Streams are capped in total and per remote IP, requests are
// size-bounded, and a client that does not read its responses is not buffered for without end.
import * as grpc from '@grpc/grpc-js';
import type { ConfigStore } from '../../config/store';
import { xdsServices } from '../../proto/services';
import { writePaced } from '../../proto/stream-pacing';
import { tlsServing } from '../../proto/tls';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponseInit, DiscoveryRequest, DiscoveryResponseInit } from '../../proto/messages';
import type { ResourceType } from '../../proto/type-urls';
import { type XdsMetrics, xdsMetrics } from '../../proto/xds-metrics';
import { LogThrottle } from '../../runtime/log-throttle';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import { ConfigBroadcaster } from './config-broadcaster';
import { DeltaPublisher } from './delta-publisher';
import { NodeLabels } from './node-labels';
import { peerIp } from './peer-ip';
import { listenGuarded } from './guarded-listener';
import { connectionLimits, DEFAULT_XDS_SERVER_LIMITS, serverOptions, type XdsServerLimits } from './server-limits';
import { SotwPublisher } from './sotw-publisher';
import { StreamError } from './stream-error';
import { StreamLimiter } from './stream-limiter';

const log = logger('xds-server');

/**
 * Responses queued on one stream before the client counts as not reading. Pushes are debounced
 * (one per change burst), so a live client never gets near this.
 */
export const MAX_QUEUED_RESPONSES = 128;

export interface XdsServerOptions {
  /** TCP port (0 = any free port). */
  readonly port: number;
  /** Bind host; `::` (dual stack) as Quilkin binds. */
  readonly host?: string;
  readonly serverId: string;
  readonly store: ConfigStore;
  readonly types: readonly ResourceType[];
  readonly metrics: QuilkinMetrics;
  readonly debounceMs?: number;
  readonly limits?: Partial<XdsServerLimits>;
}

export interface XdsServer {
  readonly port: number;
  /** Open client streams. */
  streams(): number;
  close(): Promise<void>;
}

/** Ends a server stream with a gRPC status, the way grpc-js expects from a handler. */
export function failStream(call: grpc.ServerDuplexStream<unknown, unknown>, err: unknown): void {
  const code = err instanceof StreamError ? err.code : grpc.status.INTERNAL;
  const details = err instanceof Error ? err.message : String(err);
  call.emit('error', { code, details, name: 'StreamError', message: details, metadata: new grpc.Metadata() });
}

/**
 * Writes a response, pausing the client's requests while the response queue is full (HTTP/2
 * flow control then holds the client), and ends a stream whose client has stopped reading.
 */
export function writeBounded<Res>(call: grpc.ServerDuplexStream<unknown, Res>, response: Res, metrics: XdsMetrics): void {
  if (call.writableLength >= MAX_QUEUED_RESPONSES) {
    metrics.streamsRefused.inc({ reason: 'client not reading' });
    failStream(
      call as grpc.ServerDuplexStream<unknown, unknown>,
      new StreamError(grpc.status.RESOURCE_EXHAUSTED, `client is not reading: ${call.writableLength} responses queued`),
    );
    return;
  }
  writePaced(call, response);
}

/** Per-server state every stream handler shares. */
interface Shared {
  readonly broadcaster: ConfigBroadcaster;
  readonly limiter: StreamLimiter;
  readonly metrics: XdsMetrics;
  /** Refusals and rejections a flood can trigger, logged a few lines per interval. */
  readonly refusals: LogThrottle;
  /** Stream ends: one line each would let a connect-disconnect loop fill the log. */
  readonly closes: LogThrottle;
}

interface Publisher<Req> {
  handle(request: Req): void;
  push(type: ResourceType): void;
  close(): void;
  readonly node?: string;
}

/** Takes a stream slot for the caller's IP, or refuses the stream (counted) and returns undefined. */
function admit(call: grpc.ServerDuplexStream<unknown, unknown>, shared: Shared): (() => void) | undefined {
  const ip = peerIp(call.getPeer());
  const admission = shared.limiter.admit(ip);
  if (admission.ok) return admission.release;
  const reason = admission.hit === 'total' ? 'stream limit' : 'peer stream limit';
  shared.metrics.streamsRefused.inc({ reason });
  const limit = admission.hit === 'total' ? shared.limiter.maxStreams : shared.limiter.maxStreamsPerPeer;
  shared.refusals.note('refusing xDS stream: too many streams', { peer: ip, reason, limit });
  failStream(call, new StreamError(grpc.status.RESOURCE_EXHAUSTED, `${reason} reached (${limit} streams)`));
  return undefined;
}

/** Runs one publisher over one call until either side ends it. */
function serve<Req, Res>(call: grpc.ServerDuplexStream<Req, Res>, shared: Shared, publisher: Publisher<Req>, kind: string, release: () => void): void {
  // Taken now: once the connection is gone grpc-js reports the peer as `unknown`.
  const peer = call.getPeer();
  const remove = shared.broadcaster.add((types) => types.forEach((t) => publisher.push(t)));
  let ended = false;
  const end = (reason: string): void => {
    if (ended) return;
    ended = true;
    shared.closes.note('xDS client stream closed', { peer, node: publisher.node, kind, reason });
    remove();
    release();
    publisher.close();
  };
  call.on('data', (request: Req) => {
    if (ended) return;
    try {
      publisher.handle(request);
    } catch (err) {
      if (err instanceof StreamError && err.reason) shared.metrics.streamsRefused.inc({ reason: err.reason });
      shared.refusals.note('rejecting xDS stream', { peer, node: publisher.node, err: (err as Error).message });
      end((err as Error).message);
      failStream(call as grpc.ServerDuplexStream<unknown, unknown>, err);
    }
  });
  call.on('end', () => {
    end('client ended the stream');
    call.end();
  });
  call.on('error', (err: Error) => end(err.message));
  call.on('cancelled', () => end('cancelled'));
  call.on('close', () => end('closed'));
}

export async function startXdsServer(options: XdsServerOptions): Promise<XdsServer> {
  const limits: XdsServerLimits = { ...DEFAULT_XDS_SERVER_LIMITS, ...options.limits };
  const metrics = xdsMetrics(options.metrics);
  const broadcaster = new ConfigBroadcaster(options.store, options.types, metrics, options.debounceMs);
  const shared: Shared = {
    broadcaster,
    metrics,
    limiter: new StreamLimiter(limits.maxStreams, limits.maxStreamsPerPeer),
    refusals: new LogThrottle(log, 'warn'),
    closes: new LogThrottle(log, 'info'),
  };
  const nodeLabels = new NodeLabels(metrics, limits.maxNodeLabels);
  const common = { serverId: options.serverId, types: options.types, config: () => options.store.current, metrics, nodeLabels };
  const server = new grpc.Server(serverOptions(limits));
  server.addService(xdsServices().ads.service, {
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponseInit>) => {
      const release = admit(call as grpc.ServerDuplexStream<unknown, unknown>, shared);
      if (release) serve(call, shared, new DeltaPublisher({ ...common, send: (r) => writeBounded(call, r, metrics) }), 'delta', release);
    },
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponseInit>) => {
      const release = admit(call as grpc.ServerDuplexStream<unknown, unknown>, shared);
      if (release) serve(call, shared, new SotwPublisher({ ...common, send: (r) => writeBounded(call, r, metrics) }), 'sotw', release);
    },
  });
  const host = options.host ?? '::';
  const address = host.includes(':') ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  const listener = await listenGuarded(server, host, options.port, connectionLimits(limits), metrics, shared.refusals).catch((err: Error) => {
    throw new Error(`cannot bind xDS server on ${address}: ${err.message}`);
  });
  log.info({ address, port: listener.port, id: options.serverId, tls: tlsServing(), limits }, 'xDS server listening');
  return {
    port: listener.port,
    streams: () => broadcaster.streams,
    close: async () => {
      broadcaster.close();
      shared.refusals.flush();
      shared.closes.flush();
      listener.close();
      server.forceShutdown();
    },
  };
}
