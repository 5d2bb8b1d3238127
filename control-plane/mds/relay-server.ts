// SPDX-License-Identifier: Apache-2.0
// The relay's mDS port: agents dial in and serve their clusters and datacenters to us over the
// reversed stream; we subscribe like a proxy would and merge what they send into the relay's
// store by locality (clusters) and by the agent's address (datacenters).
import * as grpc from '@grpc/grpc-js';
import { canonicalIp } from '../../config/address';
import type { FilterConfigValidator } from '../../config/model';
import type { ConfigStore } from '../../config/store';
import { decodeDelta } from '../../proto/codec';
import { DeltaSubscriber, SubscriptionState } from '../../proto/delta-subscriber';
import { GRPC_CHANNEL_OPTIONS, xdsServices } from '../../proto/services';
import type { DeltaDiscoveryRequestInit, DeltaDiscoveryResponse } from '../../proto/messages';
import { AGENT_TYPES, shortType } from '../../proto/type-urls';
import { xdsMetrics } from '../../proto/xds-metrics';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import { failStream } from '../xds/server';
import { StreamError } from '../xds/delta-publisher';

const log = logger('mds-relay');

export interface MdsServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly store: ConfigStore;
  readonly validator: FilterConfigValidator;
  readonly metrics: QuilkinMetrics;
  readonly idleRequestIntervalSecs: number;
}

export interface MdsServer {
  readonly port: number;
  /** Agents connected now. */
  agents(): number;
  close(): Promise<void>;
}

/** `127.0.0.1:5000`, `[::1]:5000`, `ipv4:...` -> the bare IP of the peer. */
export function peerIp(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const bracket = /^\[([^\]]+)\]/.exec(bare);
  return canonicalIp(bracket ? bracket[1] : bare.replace(/:\d+$/, ''));
}

type AgentCall = grpc.ServerDuplexStream<DeltaDiscoveryResponse, DeltaDiscoveryRequestInit>;

function serveAgent(call: AgentCall, options: MdsServerOptions, onOpen: (delta: number) => void): void {
  const metrics = xdsMetrics(options.metrics);
  const ip = peerIp(call.getPeer());
  let subscriber: DeltaSubscriber | undefined;
  let idle: NodeJS.Timeout | undefined;
  let agentId = '';
  const armIdle = (): void => {
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => (subscriber?.subscribe(false), armIdle()), options.idleRequestIntervalSecs * 1000);
  };
  const end = (reason: string): void => {
    if (!subscriber) return;
    if (idle) clearTimeout(idle);
    subscriber.close();
    subscriber = undefined;
    metrics.connected.set({ peer: agentId, role: 'mds-server' }, 0);
    onOpen(-1);
    log.info({ agent: agentId, ip, reason }, 'agent stream closed; keeping what it sent');
  };
  call.on('data', (response: DeltaDiscoveryResponse) => {
    if (subscriber) return subscriber.handle(response);
    if (agentId) return;
    agentId = response.controlPlane?.identifier ?? '';
    if (!agentId) return failStream(call as grpc.ServerDuplexStream<unknown, unknown>, new StreamError(3, 'control_plane.identifier is required in the first message'));
    subscriber = new DeltaSubscriber({
      nodeId: agentId,
      types: AGENT_TYPES,
      state: new SubscriptionState(),
      probe: false,
      metrics,
      send: (request: DeltaDiscoveryRequestInit) => void call.write(request),
      apply: (type, resp) => {
        const decoded = decodeDelta(type, resp.resources, resp.removedResources, { validator: options.validator, currentDatacenters: options.store.current.datacenters ?? [], datacenterHost: ip });
        if (decoded.ok) options.store.apply(decoded.patch, `mds:${agentId}`);
        return decoded;
      },
      onResponse: (resp, result) => {
        armIdle();
        if (result && !result.ok) log.warn({ agent: agentId, type: shortType(resp.typeUrl), error: result.error }, 'rejected resources from agent (NACK)');
      },
    });
    metrics.connected.set({ peer: agentId, role: 'mds-server' }, 1);
    onOpen(1);
    log.info({ agent: agentId, ip }, 'agent connected');
    subscriber.subscribe();
    armIdle();
  });
  call.on('end', () => {
    end('agent ended the stream');
    call.end();
  });
  call.on('error', (err: Error) => end(err.message));
  call.on('cancelled', () => end('cancelled'));
}

export async function startMdsServer(options: MdsServerOptions): Promise<MdsServer> {
  let agents = 0;
  const server = new grpc.Server(GRPC_CHANNEL_OPTIONS);
  server.addService(xdsServices().mds.service, {
    DeltaAggregatedResources: (call: AgentCall) => serveAgent(call, options, (d) => (agents += d)),
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) =>
      failStream(call, new StreamError(grpc.status.UNIMPLEMENTED, 'only delta streams are supported')),
  });
  const host = options.host ?? '::';
  const address = host.includes(':') ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(new Error(`cannot bind mDS server on ${address}: ${err.message}`)) : resolve(bound))),
  );
  log.info({ address, port }, 'mDS server listening for agents');
  return { port, agents: () => agents, close: async () => server.forceShutdown() };
}
