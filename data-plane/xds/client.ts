// SPDX-License-Identifier: Apache-2.0
// The proxy's xDS client: one delta ADS stream at a time to the first management server that
// answers (others tried in order on failure), reconnecting with backoff and jitter. The store
// keeps the last good config whenever the stream is down, so routing never stops.
import * as grpc from '@grpc/grpc-js';
import type { FilterConfigValidator } from '../../config/model';
import type { ConfigStore } from '../../config/store';
import { DeltaSubscriber, SubscriptionState } from '../../proto/delta-subscriber';
import { GRPC_CHANNEL_OPTIONS, openStream, waitConnected, xdsServices } from '../../proto/loader';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../../proto/messages';
import { grpcTarget, ReconnectBackoff } from '../../proto/reconnect-backoff';
import { PROXY_TYPES, shortType } from '../../proto/type-urls';
import { xdsMetrics } from '../../proto/xds-metrics';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import { applyDeltaResponse } from './apply';

const log = logger('xds-client');
const CONNECT_TIMEOUT_MS = 5000;

export interface XdsClientOptions {
  /** Management server URLs (`http://host:port`), tried in order, cycling. */
  readonly servers: string[];
  readonly nodeId: string;
  readonly store: ConfigStore;
  readonly validator: FilterConfigValidator;
  readonly metrics: QuilkinMetrics;
  /** Re-send the subscriptions after this long without a response (Quilkin: 30 s). */
  readonly idleRequestIntervalSecs: number;
}

export interface XdsClient {
  /** True once a response arrived on the current stream; false while disconnected. */
  ready(): boolean;
  close(): Promise<void>;
}

/** One attempt: the channel, then (once connected) its stream and protocol state. */
interface Connection {
  readonly client: grpc.Client;
  stream?: grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
  subscriber?: DeltaSubscriber;
}

export function startXdsClient(options: XdsClientOptions): XdsClient {
  if (options.servers.length === 0) throw new Error('xDS client needs at least one management server');
  const targets = options.servers.map((url) => ({ url, ...grpcTarget(url) }));
  const metrics = xdsMetrics(options.metrics);
  const state = new SubscriptionState();
  const backoff = new ReconnectBackoff();
  let serverIndex = 0;
  let current: Connection | undefined;
  let gotResponse = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  const armIdle = (): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      log.debug({ secs: options.idleRequestIntervalSecs }, 'no xDS response for the idle interval, re-sending subscriptions');
      current?.subscriber?.subscribe(false);
      armIdle();
    }, options.idleRequestIntervalSecs * 1000);
    idleTimer.unref();
  };

  const lost = (conn: Connection, url: string, reason: string): void => {
    if (current !== conn) return;
    current = undefined;
    gotResponse = false;
    if (idleTimer) clearTimeout(idleTimer);
    conn.subscriber?.close();
    conn.client.close();
    metrics.connected.set({ peer: url, role: 'client' }, 0);
    if (closed) return;
    serverIndex = (serverIndex + 1) % targets.length;
    const delay = backoff.next();
    log.warn({ server: url, reason, retryInMs: delay, attempt: backoff.attempts }, 'xDS stream lost; keeping the last good config. Retrying to connect');
    retryTimer = setTimeout(connect, delay);
  };

  const connect = (): void => {
    retryTimer = undefined;
    if (closed) return;
    const { url, target, secure } = targets[serverIndex];
    const { ads } = xdsServices();
    const client = new ads(target, secure ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(), GRPC_CHANNEL_OPTIONS);
    const pending: Connection = { client };
    current = pending;
    waitConnected(client, CONNECT_TIMEOUT_MS, (err) => {
      if (current !== pending) return;
      if (err) return lost(pending, url, `connect: ${err.message}`);
      openDelta(pending, url);
    });
  };

  const openDelta = (conn: Connection, url: string): void => {
    const stream = openStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(conn.client, xdsServices().ads, 'DeltaAggregatedResources');
    const source = `xds:${url}`;
    const subscriber = new DeltaSubscriber({
      nodeId: options.nodeId,
      types: PROXY_TYPES,
      state,
      probe: true,
      metrics,
      send: (request) => void stream.write(request),
      apply: (type, response) => applyDeltaResponse(options.store, options.validator, source, type, response),
      onResponse: (response, result) => {
        gotResponse = true;
        backoff.reset();
        armIdle();
        if (!result) log.debug({ server: url }, 'xDS server answered the probe');
        else if (result.ok) log.info({ server: url, type: shortType(response.type_url), resources: response.resources.length, removed: response.removed_resources.length }, 'applied xDS update');
        else log.warn({ server: url, type: shortType(response.type_url), error: result.error }, 'rejected xDS update (NACK); keeping the last good config');
      },
    });
    conn.stream = stream;
    conn.subscriber = subscriber;
    stream.on('data', (response: DeltaDiscoveryResponse) => subscriber.handle(response));
    stream.on('error', (err: grpc.ServiceError) => lost(conn, url, err.details || err.message));
    stream.on('end', () => lost(conn, url, 'stream ended by the server'));
    metrics.connected.set({ peer: url, role: 'client' }, 1);
    log.info({ server: url, node: options.nodeId }, 'connected to xDS management server');
    subscriber.subscribe();
    armIdle();
  };

  connect();
  return {
    ready: () => gotResponse,
    close: async () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (idleTimer) clearTimeout(idleTimer);
      const conn = current;
      current = undefined;
      gotResponse = false;
      if (conn) {
        conn.stream?.cancel();
        conn.subscriber?.close();
        conn.client.close();
      }
    },
  };
}
