// SPDX-License-Identifier: Apache-2.0
// The serving side of one delta xDS stream (reference runtime.md §6.3, server). manage and relay
// run it for each proxy; an agent runs it over the reversed mDS stream towards its relay.
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/model';
import { type ResourceSet, resourcesOf } from '../../proto/codec';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponseInit } from '../../proto/messages';
import { PROBE_TYPE_URL } from '../../proto/messages';
import { quoted } from '../../proto/node-id';
import { type ResourceType, shortType } from '../../proto/type-urls';
import type { XdsMetrics } from '../../proto/xds-metrics';
import { logger } from '../../runtime/logger';
import type { NodeLabels } from './node-labels';
import { StreamError } from './stream-error';

const log = logger('xds-server');
/** Unacknowledged responses remembered per type; older ones can no longer be ACKed. */
const MAX_PENDING = 16;

export { StreamError } from './stream-error';

interface Pending {
  readonly versions: ReadonlyMap<string, string>;
  readonly removed: readonly string[];
}

/** What the server believes one client holds of one type. */
interface TypeState {
  /** name -> version the client has acknowledged. */
  acked: Map<string, string>;
  /**
   * What the client will hold once it accepts every response in flight. Deltas are computed
   * against this, so a change pushed before the previous response is ACKed still removes and
   * replaces what that response carried.
   */
  sent: Map<string, string>;
  /** Explicitly subscribed names; empty = everything (wildcard). */
  readonly subscribed: Set<string>;
  readonly pending: Map<string, Pending>;
}

export interface PublisherOptions {
  readonly serverId: string;
  readonly types: readonly ResourceType[];
  readonly config: () => Config;
  readonly send: (response: DeltaDiscoveryResponseInit) => void;
  readonly metrics: XdsMetrics;
  /** Checks node ids and bounds the node label; shared by a server's streams. */
  readonly nodeLabels: NodeLabels;
}

/** Ends a stream whose request names a type the stream does not serve (the text is the peer's, so quoted short). */
export function unknownType(type: string): StreamError {
  return new StreamError(3, `resource type ${quoted(type)} is not allowed by this stream`, 'unknown type');
}

function applyDiff(versions: Map<string, string>, diff: Pending): void {
  for (const name of diff.removed) versions.delete(name);
  for (const [name, version] of diff.versions) versions.set(name, version);
}

export class DeltaPublisher {
  private readonly states = new Map<ResourceType, TypeState>();
  private nodeId: string | undefined;
  /** The node's metric label (its id, or `other` past the label cap). */
  private nodeLabel = '';

  constructor(private readonly options: PublisherOptions) {}

  get node(): string | undefined {
    return this.nodeId;
  }

  /** Handles one request; throws StreamError for what must end the stream. */
  handle(request: DeltaDiscoveryRequest): void {
    if (this.nodeId === undefined) {
      const { id, label } = this.options.nodeLabels.acquire(request.node?.id);
      this.nodeId = id;
      this.nodeLabel = label;
    }
    const type = request.typeUrl;
    // Counted only once valid, so the type label is always one of ours.
    if (type !== PROBE_TYPE_URL && !(this.options.types as readonly string[]).includes(type)) throw unknownType(type);
    this.options.metrics.deltaRequests.inc({ node: this.nodeLabel, type });
    if (type === PROBE_TYPE_URL) {
      this.send(PROBE_TYPE_URL, [], []);
      return;
    }
    const state = this.stateOf(type as ResourceType);
    if (request.responseNonce) {
      const pending = state.pending.get(request.responseNonce);
      if (pending) return this.acknowledge(type as ResourceType, state, request, pending);
      // A nonce we never sent (an old server's, after a reconnect) is handled as a subscription.
    }
    this.subscribe(state, request);
    this.push(type as ResourceType);
  }

  /** The stream has ended: its node gives its label back. */
  close(): void {
    if (this.nodeId === undefined) return;
    this.options.nodeLabels.release(this.nodeLabel);
    this.nodeId = undefined;
  }

  /** Sends whatever of `type` the client does not hold yet (after a config change). */
  push(type: ResourceType): void {
    const state = this.states.get(type);
    if (!state) return;
    const resources = this.selected(resourcesOf(this.options.config(), type), state);
    const changed = [...resources.values()].filter((r) => state.sent.get(r.name) !== r.version);
    const removed = [...state.sent.keys()].filter((name) => !resources.has(name));
    if (changed.length === 0 && removed.length === 0) return;
    const nonce = this.send(
      type,
      changed.map((r) => ({ name: r.name, version: r.version, resource: { typeUrl: type, value: r.value } })),
      removed,
    );
    const diff: Pending = { versions: new Map(changed.map((r) => [r.name, r.version])), removed };
    state.pending.set(nonce, diff);
    applyDiff(state.sent, diff);
    if (state.pending.size > MAX_PENDING) state.pending.delete(state.pending.keys().next().value as string);
  }

  private stateOf(type: ResourceType): TypeState {
    let state = this.states.get(type);
    if (!state) this.states.set(type, (state = { acked: new Map(), sent: new Map(), subscribed: new Set(), pending: new Map() }));
    return state;
  }

  private subscribe(state: TypeState, request: DeltaDiscoveryRequest): void {
    const initial = Object.entries(request.initialResourceVersions);
    if (initial.length > 0) {
      state.acked = new Map(initial);
      state.sent = new Map(initial);
      state.pending.clear();
      state.subscribed.clear();
    }
    for (const name of request.resourceNamesSubscribe) {
      state.subscribed.add(name);
      state.acked.delete(name);
      state.sent.delete(name);
    }
    for (const name of request.resourceNamesUnsubscribe) {
      state.subscribed.delete(name);
      state.acked.delete(name);
      state.sent.delete(name);
    }
  }

  /**
   * ACK: the client now holds what that response carried. NACK: it kept its previous versions;
   * we log why and wait for the next config change rather than re-send the same rejected
   * resources in a loop.
   */
  private acknowledge(type: ResourceType, state: TypeState, request: DeltaDiscoveryRequest, pending: Pending): void {
    state.pending.delete(request.responseNonce);
    if (request.errorDetail && (request.errorDetail.code !== 0 || request.errorDetail.message)) {
      this.options.metrics.nacks.inc({ control_plane: this.nodeLabel, type });
      log.warn(
        { node: this.nodeId, type: shortType(type), nonce: request.responseNonce, error: request.errorDetail.message },
        'client rejected resources (NACK); it stays on its last acknowledged version',
      );
      // The client kept its state: what it will hold is the acknowledged state plus what is still in flight.
      state.sent = new Map(state.acked);
      for (const diff of state.pending.values()) applyDiff(state.sent, diff);
      return;
    }
    applyDiff(state.acked, pending);
  }

  private selected(all: ResourceSet, state: TypeState): ResourceSet {
    if (state.subscribed.size === 0) return all;
    return new Map([...all].filter(([name]) => state.subscribed.has(name)));
  }

  private send(type: string, resources: NonNullable<DeltaDiscoveryResponseInit['resources']>, removed: string[]): string {
    const nonce = randomUUID();
    this.options.send({ typeUrl: type, resources, removedResources: removed, nonce, controlPlane: { identifier: this.options.serverId } });
    return nonce;
  }
}
