// SPDX-License-Identifier: Apache-2.0
// The agent's (and `manage --relay`'s) side of mDS: dial the relay, announce our control plane
// id, then serve our clusters and datacenters over the reversed stream with the same delta
// server logic proxies get. Reconnects with the xDS backoff, cycling through the relays.
import * as grpc from '@grpc/grpc-js';
import type { ConfigStore } from '../../config/store';
import { GRPC_CHANNEL_OPTIONS, openStream, waitConnected, xdsServices } from '../../proto/loader';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../../proto/messages';
import { grpcTarget, ReconnectBackoff } from '../../proto/reconnect-backoff';
import { AGENT_TYPES } from '../../proto/type-urls';
import { xdsMetrics } from '../../proto/xds-metrics';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import { ConfigBroadcaster } from '../xds/config-broadcaster';
import { DeltaPublisher } from '../xds/delta-publisher';

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

export function startMdsPush(options: MdsPushOptions): MdsPush {
  const targets = options.relays.map((url) => ({ url, ...grpcTarget(url) }));
  const metrics = xdsMetrics(options.metrics);
  const broadcaster = new ConfigBroadcaster(options.store, AGENT_TYPES, metrics, options.debounceMs);
  const backoff = new ReconnectBackoff();
  let index = 0;
  let up = false;
  let closed = false;
  let client: grpc.Client | undefined;
  let stream: grpc.ClientDuplexStream<DeltaDiscoveryResponse, DeltaDiscoveryRequest> | undefined;
  let removeListener: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const lost = (own: grpc.Client, url: string, reason: string): void => {
    if (client !== own) return;
    client = undefined;
    stream = undefined;
    up = false;
    removeListener?.();
    own.close();
    metrics.connected.set({ peer: url, role: 'mds-client' }, 0);
    if (closed) return;
    index = (index + 1) % targets.length;
    const delay = backoff.next();
    log.warn({ relay: url, reason, retryInMs: delay, attempt: backoff.attempts }, 'relay stream lost. Retrying to connect');
    timer = setTimeout(connect, delay);
  };

  const open = (own: grpc.Client, url: string): void => {
    const call = openStream<DeltaDiscoveryResponse, DeltaDiscoveryRequest>(own, xdsServices().mds, 'DeltaAggregatedResources');
    stream = call;
    const publisher = new DeltaPublisher({ serverId: options.id, types: AGENT_TYPES, config: () => options.store.current, metrics, send: (r) => void call.write(r) });
    removeListener = broadcaster.add((types) => types.forEach((t) => publisher.push(t)));
    call.on('data', (request: DeltaDiscoveryRequest) => {
      try {
        publisher.handle(request);
        if (!up) log.info({ relay: url, id: options.id }, 'relay subscribed to our resources');
        up = true;
        backoff.reset();
      } catch (err) {
        log.warn({ relay: url, err: (err as Error).message }, 'bad request from relay; reconnecting');
        call.cancel();
      }
    });
    call.on('error', (err: grpc.ServiceError) => lost(own, url, err.details || err.message));
    call.on('end', () => lost(own, url, 'relay ended the stream'));
    metrics.connected.set({ peer: url, role: 'mds-client' }, 1);
    // The reversed stream starts with our identity; the relay subscribes after it.
    call.write({ system_version_info: '', resources: [], type_url: '', removed_resources: [], nonce: '', control_plane: { identifier: options.id } });
  };

  const connect = (): void => {
    timer = undefined;
    if (closed) return;
    const { url, target, secure } = targets[index];
    const { mds } = xdsServices();
    const own = new mds(target, secure ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(), GRPC_CHANNEL_OPTIONS);
    client = own;
    waitConnected(own, CONNECT_TIMEOUT_MS, (err) => {
      if (client !== own) return;
      if (err) return lost(own, url, `connect: ${err.message}`);
      open(own, url);
    });
  };

  if (targets.length > 0) connect();
  return {
    connected: () => up,
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      stream?.cancel();
      client?.close();
      broadcaster.close();
      up = false;
    },
  };
}
