// SPDX-License-Identifier: Apache-2.0
// xDS metrics (reference runtime.md §4.2) plus connection state and config version, on the
// process's Quilkin registry so /metrics exports them (v0.9 kept them in a registry nobody served).
import { Counter, Gauge } from 'prom-client';
import { OVERFLOW_LABEL } from '../runtime/label-budget';
import type { QuilkinMetrics } from '../runtime/metrics';
import { nodeIdProblem } from './node-id';
import { PROBE_TYPE_URL } from './messages';
import { isResourceType, KNOWN_TYPES } from './type-urls';

/** Distinct control plane identifiers a subscriber labels its series with; more share `other`. */
export const MAX_CONTROL_PLANE_LABELS = 16;
/** The label for an identifier that is not a valid node id (too long, control characters). */
export const INVALID_LABEL = 'invalid';
/** The type label of a type URL that is not one of Quilkin's. */
export const UNKNOWN_TYPE_LABEL = 'unknown';

/** Why a server refused or ended a stream, as counted (a fixed set: never peer text). */
export type StreamRefusalReason = 'stream limit' | 'peer stream limit' | 'missing node id' | 'invalid node id' | 'unknown type' | 'client not reading';

/** A type URL as a label: Quilkin's types and the probe as they are, anything else `unknown`. */
export function typeLabel(typeUrl: string): string {
  return isResourceType(typeUrl) || typeUrl === PROBE_TYPE_URL ? typeUrl : UNKNOWN_TYPE_LABEL;
}

export class XdsMetrics {
  readonly activeControlPlanes: Gauge<'control_plane'>;
  /** Server side: requests received per client node and type (subscriptions, ACKs and NACKs). */
  readonly deltaRequests: Counter<'node' | 'type'>;
  /** Client side: responses received per control plane and type. */
  readonly deltaResponses: Counter<'control_plane' | 'type'>;
  readonly acks: Counter<'control_plane' | 'type'>;
  /** Client side: NACKs sent (label: control plane); server side: NACKs received (label: client node). */
  readonly nacks: Counter<'control_plane' | 'type'>;
  /** 1 while a stream to/from this peer is up, 0 after it was lost. */
  readonly connected: Gauge<'peer' | 'role'>;
  /** 1 for the config version currently applied (client) or served (server) per type; others removed. */
  readonly configVersion: Gauge<'role' | 'type' | 'version'>;
  /** Streams a server refused (limits) or ended (invalid first request), by reason. */
  readonly streamsRefused: Counter<'reason'>;
  /** Connections a server refused on accept (caps), by reason. */
  readonly connectionsRefused: Counter<'reason'>;
  private readonly versions = new Map<string, string>();
  private readonly controlPlanes = new Set<string>();

  constructor(metrics: QuilkinMetrics) {
    const registers = [metrics.registry];
    this.activeControlPlanes = new Gauge({
      name: 'quilkin_active_control_planes',
      help: 'Delta response streams being consumed, per control plane',
      labelNames: ['control_plane'],
      registers,
    });
    this.deltaRequests = new Counter({
      name: 'quilkin_delta_discovery_requests',
      help: 'Discovery requests received, per client node and type URL',
      labelNames: ['node', 'type'],
      registers,
    });
    this.deltaResponses = new Counter({
      name: 'quilkin_delta_discovery_responses',
      help: 'Discovery responses received, per control plane and type URL',
      labelNames: ['control_plane', 'type'],
      registers,
    });
    this.acks = new Counter({
      name: 'quilkin_xds_acks',
      help: 'xDS ACKs sent, per control plane and type URL',
      labelNames: ['control_plane', 'type'],
      registers,
    });
    this.nacks = new Counter({
      name: 'quilkin_xds_nacks',
      help: 'xDS NACKs sent (client) or received (server, label = client node)',
      labelNames: ['control_plane', 'type'],
      registers,
    });
    this.connected = new Gauge({
      name: 'quilkin_xds_connected',
      help: 'xDS stream state per peer: 1 up, 0 lost (role: client = proxy to manage/relay, mds-client = agent to relay, mds-server = relay from agent)',
      labelNames: ['peer', 'role'],
      registers,
    });
    this.configVersion = new Gauge({
      name: 'quilkin_xds_config_version',
      help: 'Digest of the resource versions applied (role=client) or served (role=server) per type; value 1 on the current version',
      labelNames: ['role', 'type', 'version'],
      registers,
    });
    this.connectionsRefused = new Counter({
      name: 'quilkin_xds_connections_refused_total',
      help: 'xDS/mDS connections a server refused on accept, by reason (connection limit, peer connection limit)',
      labelNames: ['reason'],
      registers,
    });
    this.streamsRefused = new Counter({
      name: 'quilkin_xds_streams_refused_total',
      help: 'xDS/mDS streams a server refused or ended, by reason (stream limit, peer stream limit, missing node id, invalid node id, unknown type, client not reading)',
      labelNames: ['reason'],
      registers,
    });
  }

  /**
   * The control_plane label for an identifier a server sent: the first few valid ones as they
   * are, later ones `other`, invalid ones `invalid`, so a server rotating ids stays bounded.
   */
  controlPlaneLabel(identifier: string): string {
    if (this.controlPlanes.has(identifier)) return identifier;
    if (nodeIdProblem(identifier, 'control plane identifier')) return INVALID_LABEL;
    if (this.controlPlanes.size >= MAX_CONTROL_PLANE_LABELS) return OVERFLOW_LABEL;
    this.controlPlanes.add(identifier);
    return identifier;
  }

  /** Drops a client node's server-side series once its last stream has gone. */
  removeNodeSeries(node: string): void {
    for (const type of [PROBE_TYPE_URL, ...KNOWN_TYPES]) {
      this.deltaRequests.remove({ node, type });
      this.nacks.remove({ control_plane: node, type });
    }
  }

  /** Moves the single `1` of a role/type to `version`, so each role/type shows exactly one series. */
  setVersion(role: string, type: string, version: string): void {
    const key = `${role}\u0000${type}`;
    const previous = this.versions.get(key);
    if (previous === version) return;
    if (previous !== undefined) this.configVersion.remove({ role, type, version: previous });
    this.configVersion.set({ role, type, version }, 1);
    this.versions.set(key, version);
  }
}

const perRegistry = new WeakMap<QuilkinMetrics, XdsMetrics>();

/** One XdsMetrics per QuilkinMetrics (registering the same names twice would throw). */
export function xdsMetrics(metrics: QuilkinMetrics): XdsMetrics {
  let m = perRegistry.get(metrics);
  if (!m) perRegistry.set(metrics, (m = new XdsMetrics(metrics)));
  return m;
}
