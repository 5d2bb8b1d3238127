// SPDX-License-Identifier: Apache-2.0
// The proxy's xDS client: one delta ADS stream at a time to the first management server that
// answers (others tried in order on failure), reconnecting with backoff and jitter. The store
// keeps the last good config whenever the stream is down, so routing never stops.
import * as grpc from '@grpc/grpc-js';
import type { FilterConfigValidator } from '../../config/model';
import type { ConfigStore } from '../../config/store';
import { combinedVersion } from '../../proto/codec';
import { type ApplyResult, DeltaSubscriber, SubscriptionState } from '../../proto/delta-subscriber';
import { subscriberChannelOptions } from '../../proto/grpc-limits';
import { openStream, waitConnected, xdsServices } from '../../proto/services';
import { writePaced } from '../../proto/stream-pacing';
import { channelCredentials } from '../../proto/tls';
import type { DeltaDiscoveryRequestInit, DeltaDiscoveryResponse } from '../../proto/messages';
import { quoted } from '../../proto/node-id';
import { grpcTarget, ReconnectBackoff } from '../../proto/reconnect-backoff';
import { isResourceType, PROXY_TYPES, shortType } from '../../proto/type-urls';
import { type XdsMetrics, xdsMetrics } from '../../proto/xds-metrics';
import { LogThrottle } from '../../runtime/log-throttle';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import { applyDeltaResponse } from './apply';

const log = logger('xds-client');
const CONNECT_TIMEOUT_MS = 5000;

export interface XdsClientOptions {
  /** Management server URLs (`http://host:port`), tried in order, cycling. */
  readonly servers: string[];
  readonly nodeId: string;
  readonly store: ConfigStore<unknown>;
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
  stream?: grpc.ClientDuplexStream<DeltaDiscoveryRequestInit, DeltaDiscoveryResponse>;
  subscriber?: DeltaSubscriber;
}

/** Management servers as given, with the gRPC target each one dials. */
interface Target {
  readonly url: string;
  readonly target: string;
  readonly secure: boolean;
}

class DeltaXdsClient implements XdsClient {
  private readonly targets: Target[];
  private readonly metrics: XdsMetrics;
  /** What we hold per type, kept across streams so a reconnect only gets differences. */
  private readonly state = new SubscriptionState();
  private readonly backoff = new ReconnectBackoff();
  private serverIndex = 0;
  private current: Connection | undefined;
  private gotResponse = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** A server can send responses as fast as it likes; their log lines are summarised past the first per interval. */
  private readonly applied = new LogThrottle(log, 'info');
  private readonly rejected = new LogThrottle(log, 'warn');

  constructor(private readonly options: XdsClientOptions) {
    if (options.servers.length === 0) throw new Error('xDS client needs at least one management server');
    this.targets = options.servers.map((url) => ({ url, ...grpcTarget(url) }));
    this.metrics = xdsMetrics(options.metrics);
  }

  ready(): boolean {
    return this.gotResponse;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.applied.flush();
    this.rejected.flush();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const conn = this.current;
    this.current = undefined;
    this.gotResponse = false;
    if (conn) {
      conn.stream?.cancel();
      conn.subscriber?.close();
      conn.client.close();
    }
  }

  connect(): void {
    this.retryTimer = undefined;
    if (this.closed) return;
    const { url, target, secure } = this.targets[this.serverIndex];
    const { ads } = xdsServices();
    const client = new ads(target, channelCredentials(secure), subscriberChannelOptions());
    const pending: Connection = { client };
    this.current = pending;
    waitConnected(client, CONNECT_TIMEOUT_MS, (err) => {
      if (this.current !== pending) return;
      if (err) return this.lost(pending, url, `connect: ${err.message}`);
      this.openDelta(pending, url);
    });
  }

  private openDelta(conn: Connection, url: string): void {
    const stream = openStream<DeltaDiscoveryRequestInit, DeltaDiscoveryResponse>(conn.client, xdsServices().ads, 'DeltaAggregatedResources');
    const source = `xds:${url}`;
    const subscriber = new DeltaSubscriber({
      nodeId: this.options.nodeId,
      types: PROXY_TYPES,
      state: this.state,
      probe: true,
      metrics: this.metrics,
      // A server flooding responses while not reading our ACKs is paused, not buffered for.
      send: (request) => writePaced(stream, request),
      apply: (type, response) => applyDeltaResponse(this.options.store, this.options.validator, source, type, response),
      onResponse: (response, result) => this.responded(url, response, result),
    });
    conn.stream = stream;
    conn.subscriber = subscriber;
    stream.on('data', (response: DeltaDiscoveryResponse) => {
      try {
        subscriber.handle(response);
      } catch (err) {
        // Remote input must never take the proxy down: drop the stream, keep the config, reconnect.
        log.error({ server: url, err: (err as Error).message }, 'handling an xDS response failed');
        stream.cancel();
        this.lost(conn, url, `response handling failed: ${(err as Error).message}`);
      }
    });
    stream.on('error', (err: grpc.ServiceError) => this.lost(conn, url, err.details || err.message));
    stream.on('end', () => this.lost(conn, url, 'stream ended by the server'));
    this.metrics.connected.set({ peer: url, role: 'client' }, 1);
    log.info({ server: url, node: this.options.nodeId }, 'connected to xDS management server');
    subscriber.subscribe();
    this.armIdle();
  }

  private responded(url: string, response: DeltaDiscoveryResponse, result: ApplyResult | undefined): void {
    this.gotResponse = true;
    this.backoff.reset();
    this.armIdle();
    const type = isResourceType(response.typeUrl) ? shortType(response.typeUrl) : quoted(response.typeUrl);
    if (!result) log.debug({ server: url }, 'xDS server answered the probe');
    else if (result.ok) {
      const version = isResourceType(response.typeUrl) ? combinedVersion(this.state.of(response.typeUrl)) : '';
      this.applied.note('applied xDS update', { server: url, type, version, resources: response.resources.length, removed: response.removedResources.length });
    } else this.rejected.note('rejected xDS update (NACK); keeping the last good config', { server: url, type, error: result.error });
  }

  /** Quilkin re-sends its subscriptions when a stream has been quiet for the idle interval. */
  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      log.debug({ secs: this.options.idleRequestIntervalSecs }, 'no xDS response for the idle interval, re-sending subscriptions');
      this.current?.subscriber?.subscribe(false);
      this.armIdle();
    }, this.options.idleRequestIntervalSecs * 1000);
    this.idleTimer.unref();
  }

  private lost(conn: Connection, url: string, reason: string): void {
    if (this.current !== conn) return;
    this.current = undefined;
    this.gotResponse = false;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    conn.subscriber?.close();
    conn.client.close();
    this.metrics.connected.set({ peer: url, role: 'client' }, 0);
    if (this.closed) return;
    this.serverIndex = (this.serverIndex + 1) % this.targets.length;
    const delay = this.backoff.next();
    log.warn({ server: url, reason, retryInMs: delay, attempt: this.backoff.attempts }, 'xDS stream lost; keeping the last good config. Retrying to connect');
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}

export function startXdsClient(options: XdsClientOptions): XdsClient {
  const client = new DeltaXdsClient(options);
  client.connect();
  return client;
}
