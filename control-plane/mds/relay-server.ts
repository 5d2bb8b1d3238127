// SPDX-License-Identifier: Apache-2.0
// The relay's mDS port: agents dial in and serve their clusters and datacenters to us over the
// reversed stream; we subscribe like a proxy would and merge what they send into the relay's
// store by locality (clusters) and by the agent's address (datacenters).
import * as grpc from '@grpc/grpc-js';
import type { FilterConfigValidator } from '../../config/model';
import type { ConfigStore } from '../../config/store';
import { decodeDelta } from '../../proto/codec';
import { DeltaSubscriber, SubscriptionState } from '../../proto/delta-subscriber';
import { maxGrpcMessageBytes } from '../../proto/grpc-limits';
import { nodeIdProblem } from '../../proto/node-id';
import { xdsServices } from '../../proto/services';
import { tlsServing } from '../../proto/tls';
import type { DeltaDiscoveryRequestInit, DeltaDiscoveryResponse } from '../../proto/messages';
import { AGENT_TYPES, shortType } from '../../proto/type-urls';
import { type XdsMetrics, xdsMetrics } from '../../proto/xds-metrics';
import { LabelBudget } from '../../runtime/label-budget';
import { LogThrottle } from '../../runtime/log-throttle';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import { peerIp } from '../xds/peer-ip';
import { failStream, writeBounded } from '../xds/server';
import { listenGuarded } from '../xds/guarded-listener';
import { connectionLimits, DEFAULT_XDS_SERVER_LIMITS, serverOptions, type XdsServerLimits } from '../xds/server-limits';
import { StreamError } from '../xds/stream-error';
import { StreamLimiter } from '../xds/stream-limiter';

const log = logger('mds-relay');

export interface MdsServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly store: ConfigStore;
  readonly validator: FilterConfigValidator;
  readonly metrics: QuilkinMetrics;
  readonly idleRequestIntervalSecs: number;
  /** Stream caps and keepalive as for the xDS port; what an agent sends may be as large as the process's gRPC message limit. */
  readonly limits?: Partial<XdsServerLimits>;
}

export interface MdsServer {
  readonly port: number;
  /** Agents connected now. */
  agents(): number;
  close(): Promise<void>;
}

type AgentCall = grpc.ServerDuplexStream<DeltaDiscoveryResponse, DeltaDiscoveryRequestInit>;

/** What every agent stream of one mDS server shares. */
interface Shared {
  readonly metrics: XdsMetrics;
  readonly limiter: StreamLimiter;
  /** The agent ids `quilkin_xds_connected{peer}` names; a flood of ids ends up as `other`. */
  readonly agentLabels: LabelBudget;
  readonly refusals: LogThrottle;
}

function refuse(call: AgentCall, shared: Shared, err: StreamError, fields: Record<string, unknown>): void {
  if (err.reason) shared.metrics.streamsRefused.inc({ reason: err.reason });
  shared.refusals.note('refusing agent stream', { ...fields, err: err.message });
  failStream(call as grpc.ServerDuplexStream<unknown, unknown>, err);
}

function serveAgent(call: AgentCall, options: MdsServerOptions, shared: Shared, onOpen: (delta: number) => void): void {
  const { metrics } = shared;
  const ip = peerIp(call.getPeer());
  const admission = shared.limiter.admit(ip);
  if (!admission.ok) {
    const reason = admission.hit === 'total' ? 'stream limit' : 'peer stream limit';
    return refuse(call, shared, new StreamError(grpc.status.RESOURCE_EXHAUSTED, `${reason} reached`, reason), { ip });
  }
  const release = admission.release;
  call.on('close', release);
  let agentLabel = '';
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
    metrics.connected.set({ peer: agentLabel, role: 'mds-server' }, 0);
    onOpen(-1);
    log.info({ agent: agentId, ip, reason }, 'agent stream closed; keeping what it sent');
  };
  call.on('data', (response: DeltaDiscoveryResponse) => {
    if (subscriber) {
      try {
        subscriber.handle(response);
      } catch (err) {
        // An agent's input must never take the relay down: end its stream, keep what it sent.
        log.error({ agent: agentId, ip, err: (err as Error).message }, 'handling an agent response failed');
        failStream(call as grpc.ServerDuplexStream<unknown, unknown>, err);
      }
      return;
    }
    if (agentId) return;
    agentId = response.controlPlane?.identifier ?? '';
    if (!agentId) return refuse(call, shared, new StreamError(3, 'control_plane.identifier is required in the first message', 'missing node id'), { ip });
    const problem = nodeIdProblem(agentId, 'control_plane.identifier');
    if (problem) return refuse(call, shared, new StreamError(3, problem, 'invalid node id'), { ip });
    agentLabel = shared.agentLabels.acquire(agentId);
    subscriber = new DeltaSubscriber({
      nodeId: agentId,
      types: AGENT_TYPES,
      state: new SubscriptionState(),
      probe: false,
      metrics,
      // Whatever identifier later responses carry, the series stay the agent's (checked above, bounded).
      controlPlaneLabel: () => agentLabel,
      send: (request: DeltaDiscoveryRequestInit) => writeBounded(call, request, metrics),
      apply: (type, resp) => {
        const decoded = decodeDelta(type, resp.resources, resp.removedResources, {
          validator: options.validator,
          currentDatacenters: options.store.current.datacenters ?? [],
          datacenterHost: ip,
        });
        if (decoded.ok) options.store.apply(decoded.patch, `mds:${agentId}`);
        return decoded;
      },
      onResponse: (resp, result) => {
        armIdle();
        if (result && !result.ok) log.warn({ agent: agentId, type: shortType(resp.typeUrl), error: result.error }, 'rejected resources from agent (NACK)');
      },
    });
    metrics.connected.set({ peer: agentLabel, role: 'mds-server' }, 1);
    onOpen(1);
    log.info({ agent: agentId, ip }, 'agent connected');
    subscriber.subscribe();
    armIdle();
  });
  call.on('end', () => {
    end('agent ended the stream');
    call.end();
    release();
  });
  call.on('error', (err: Error) => (end(err.message), release()));
  call.on('cancelled', () => (end('cancelled'), release()));
}

export async function startMdsServer(options: MdsServerOptions): Promise<MdsServer> {
  let agents = 0;
  const limits: XdsServerLimits = { ...DEFAULT_XDS_SERVER_LIMITS, ...options.limits };
  const metrics = xdsMetrics(options.metrics);
  // Agent ids are seen once and keep their series (0 once lost), so the budget is never given back.
  const shared: Shared = {
    metrics,
    limiter: new StreamLimiter(limits.maxStreams, limits.maxStreamsPerPeer),
    agentLabels: new LabelBudget(limits.maxNodeLabels),
    refusals: new LogThrottle(log, 'warn'),
  };
  const server = new grpc.Server(serverOptions(limits, maxGrpcMessageBytes()));
  server.addService(xdsServices().mds.service, {
    DeltaAggregatedResources: (call: AgentCall) => serveAgent(call, options, shared, (d) => (agents += d)),
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) =>
      failStream(call, new StreamError(grpc.status.UNIMPLEMENTED, 'only delta streams are supported')),
  });
  const host = options.host ?? '::';
  const address = host.includes(':') ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  const listener = await listenGuarded(server, host, options.port, connectionLimits(limits), metrics, shared.refusals).catch((err: Error) => {
    throw new Error(`cannot bind mDS server on ${address}: ${err.message}`);
  });
  log.info({ address, port: listener.port, tls: tlsServing() }, 'mDS server listening for agents');
  return {
    port: listener.port,
    agents: () => agents,
    close: async () => {
      shared.refusals.flush();
      listener.close();
      server.forceShutdown();
    },
  };
}
