// SPDX-License-Identifier: Apache-2.0
// The AggregatedDiscoveryService that manage and relay serve to proxies: delta streams (what
// Quilkin speaks) and state-of-the-world streams, many clients at once, pushing on every
// (debounced) config change.
import * as grpc from '@grpc/grpc-js';
import type { ConfigStore } from '../../config/store';
import { GRPC_CHANNEL_OPTIONS, xdsServices } from '../../proto/services';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponseInit, DiscoveryRequest, DiscoveryResponseInit } from '../../proto/messages';
import type { ResourceType } from '../../proto/type-urls';
import { xdsMetrics } from '../../proto/xds-metrics';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import { ConfigBroadcaster } from './config-broadcaster';
import { DeltaPublisher, StreamError } from './delta-publisher';
import { SotwPublisher } from './sotw-publisher';

const log = logger('xds-server');

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

/** Runs one publisher over one call until either side ends it. */
function serve<Req, Res>(
  call: grpc.ServerDuplexStream<Req, Res>,
  broadcaster: ConfigBroadcaster,
  publisher: { handle(request: Req): void; push(type: ResourceType): void; node?: string },
  kind: string,
): void {
  const remove = broadcaster.add((types) => types.forEach((t) => publisher.push(t)));
  let ended = false;
  const end = (reason: string): void => {
    if (ended) return;
    ended = true;
    remove();
    log.info({ peer: call.getPeer(), node: publisher.node, kind, reason }, 'xDS client stream closed');
  };
  call.on('data', (request: Req) => {
    if (ended) return;
    try {
      publisher.handle(request);
    } catch (err) {
      log.warn({ peer: call.getPeer(), node: publisher.node, err: (err as Error).message }, 'rejecting xDS stream');
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
}

export async function startXdsServer(options: XdsServerOptions): Promise<XdsServer> {
  const metrics = xdsMetrics(options.metrics);
  const broadcaster = new ConfigBroadcaster(options.store, options.types, metrics, options.debounceMs);
  const common = { serverId: options.serverId, types: options.types, config: () => options.store.current, metrics };
  const server = new grpc.Server(GRPC_CHANNEL_OPTIONS);
  server.addService(xdsServices().ads.service, {
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponseInit>) =>
      serve(call, broadcaster, new DeltaPublisher({ ...common, send: (r) => void call.write(r) }), 'delta'),
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponseInit>) =>
      serve(call, broadcaster, new SotwPublisher({ ...common, send: (r) => void call.write(r) }), 'sotw'),
  });
  const host = options.host ?? '::';
  const address = host.includes(':') ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(new Error(`cannot bind xDS server on ${address}: ${err.message}`)) : resolve(bound))),
  );
  log.info({ address, port, id: options.serverId }, 'xDS server listening');
  return {
    port,
    streams: () => broadcaster.streams,
    close: async () => {
      broadcaster.close();
      server.forceShutdown();
    },
  };
}
