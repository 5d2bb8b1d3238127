// SPDX-License-Identifier: Apache-2.0
// The agent's (and `manage --relay`'s) side of mDS: dial the relay, announce our control plane
// id, then serve our clusters and datacenters over the reversed stream with the same delta
// server logic proxies get. Reconnects with the xDS backoff, cycling through the relays.
import * as grpc from '@grpc/grpc-js';
import type { ConfigStore } from '../../config/store';
import { DEFAULT_MAX_REQUEST_BYTES, maxGrpcMessageBytes, messageLimitOptions } from '../../proto/grpc-limits';
import { openStream, waitConnected, xdsServices } from '../../proto/services';
import { writePaced } from '../../proto/stream-pacing';
import { channelCredentials } from '../../proto/tls';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponseInit } from '../../proto/messages';
import { grpcTarget, ReconnectBackoff } from '../../proto/reconnect-backoff';
import { AGENT_TYPES } from '../../proto/type-urls';
import { type XdsMetrics, xdsMetrics } from '../../proto/xds-metrics';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import { ConfigBroadcaster } from '../xds/config-broadcaster';
import { DeltaPublisher } from '../xds/delta-publisher';
import { NodeLabels } from '../xds/node-labels';

const log = logger('mds-push');
const CONNECT_TIMEOUT_MS = 5000;

export interface MdsPushOptions {
  readonly relays: readonly string[];
  /** Our control plane identifier (the relay uses it as this agent's node id). */
  readonly id: string;
  readonly store: ConfigStore;
  readonly metrics: QuilkinMetrics;
  readonly debounceMs?: number;
}

export interface MdsPush {
  /** True while the stream to a relay is up (the agent's relay health). */
  connected(): boolean;
  close(): Promise<void>;
}

interface Target {
  readonly url: string;
  readonly target: string;
  readonly secure: boolean;
}

class MdsPushClient implements MdsPush {
  private readonly targets: Target[];
  private readonly metrics: XdsMetrics;
  private readonly broadcaster: ConfigBroadcaster;
  /** The relay's node label (one stream at a time, so a handful of values). */
  private readonly nodeLabels: NodeLabels;
  private readonly backoff = new ReconnectBackoff();
  private index = 0;
  private up = false;
  private closed = false;
  private client: grpc.Client | undefined;
  private stream: grpc.ClientDuplexStream<DeltaDiscoveryResponseInit, DeltaDiscoveryRequest> | undefined;
  private removeListener: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MdsPushOptions) {
    this.targets = options.relays.map((url) => ({ url, ...grpcTarget(url) }));
    this.metrics = xdsMetrics(options.metrics);
    this.broadcaster = new ConfigBroadcaster(options.store, AGENT_TYPES, this.metrics, options.debounceMs);
    this.nodeLabels = new NodeLabels(this.metrics, 16);
  }

  connected(): boolean {
    return this.up;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.cancel();
    this.client?.close();
    this.broadcaster.close();
    this.up = false;
  }

  connect(): void {
    this.timer = undefined;
    if (this.closed || this.targets.length === 0) return;
    const { url, target, secure } = this.targets[this.index];
    const { mds } = xdsServices();
    const own = new mds(target, channelCredentials(secure), messageLimitOptions(DEFAULT_MAX_REQUEST_BYTES, maxGrpcMessageBytes()));
    this.client = own;
    waitConnected(own, CONNECT_TIMEOUT_MS, (err) => {
      if (this.client !== own) return;
      if (err) return this.lost(own, url, `connect: ${err.message}`);
      this.open(own, url);
    });
  }

  private open(own: grpc.Client, url: string): void {
    const call = openStream<DeltaDiscoveryResponseInit, DeltaDiscoveryRequest>(own, xdsServices().mds, 'DeltaAggregatedResources');
    this.stream = call;
    const { store, id } = this.options;
    const publisher = new DeltaPublisher({
      serverId: id,
      types: AGENT_TYPES,
      config: () => store.current,
      metrics: this.metrics,
      nodeLabels: this.nodeLabels,
      send: (r) => writePaced(call, r),
    });
    const removeListener = this.broadcaster.add((types) => types.forEach((t) => publisher.push(t)));
    this.removeListener = () => {
      removeListener();
      publisher.close();
    };
    call.on('data', (request: DeltaDiscoveryRequest) => {
      try {
        publisher.handle(request);
      } catch (err) {
        log.warn({ relay: url, err: (err as Error).message }, 'bad request from relay; reconnecting');
        return call.cancel();
      }
      if (!this.up) log.info({ relay: url, id }, 'relay subscribed to our resources');
      this.up = true;
      this.backoff.reset();
    });
    call.on('error', (err: grpc.ServiceError) => this.lost(own, url, err.details || err.message));
    call.on('end', () => this.lost(own, url, 'relay ended the stream'));
    this.metrics.connected.set({ peer: url, role: 'mds-client' }, 1);
    // The reversed stream starts with our identity; the relay subscribes after it.
    call.write({ controlPlane: { identifier: id } });
  }

  private lost(own: grpc.Client, url: string, reason: string): void {
    if (this.client !== own) return;
    this.client = undefined;
    this.stream = undefined;
    this.up = false;
    this.removeListener?.();
    own.close();
    this.metrics.connected.set({ peer: url, role: 'mds-client' }, 0);
    if (this.closed) return;
    this.index = (this.index + 1) % this.targets.length;
    const delay = this.backoff.next();
    log.warn({ relay: url, reason, retryInMs: delay, attempt: this.backoff.attempts }, 'relay stream lost. Retrying to connect');
    this.timer = setTimeout(() => this.connect(), delay);
  }
}

export function startMdsPush(options: MdsPushOptions): MdsPush {
  const push = new MdsPushClient(options);
  push.connect();
  return push;
}
