// SPDX-License-Identifier: Apache-2.0
// The serving side of one state-of-the-world stream (StreamAggregatedResources). Quilkin v0.9
// only serves delta; we serve SotW too so plain envoy-style clients can subscribe. Every
// response carries all resources of the type; the version is a digest of their versions.
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/model';
import { combinedVersion, resourcesOf } from '../../proto/codec';
import type { DiscoveryRequest, DiscoveryResponseInit } from '../../proto/messages';
import { type ResourceType, shortType } from '../../proto/type-urls';
import type { XdsMetrics } from '../../proto/xds-metrics';
import { logger } from '../../runtime/logger';
import { unknownType } from './delta-publisher';
import type { NodeLabels } from './node-labels';

const log = logger('xds-server');

interface SotwState {
  names: string[];
  lastNonce: string;
  lastSentVersion: string;
  acceptedVersion: string;
}

export interface SotwOptions {
  readonly serverId: string;
  readonly types: readonly ResourceType[];
  readonly config: () => Config;
  readonly send: (response: DiscoveryResponseInit) => void;
  readonly metrics: XdsMetrics;
  readonly nodeLabels: NodeLabels;
}

export class SotwPublisher {
  private readonly states = new Map<ResourceType, SotwState>();
  private nodeId: string | undefined;
  private nodeLabel = '';

  constructor(private readonly options: SotwOptions) {}

  get node(): string | undefined {
    return this.nodeId;
  }

  handle(request: DiscoveryRequest): void {
    if (this.nodeId === undefined) {
      const { id, label } = this.options.nodeLabels.acquire(request.node?.id);
      this.nodeId = id;
      this.nodeLabel = label;
    }
    const type = request.typeUrl;
    if (!(this.options.types as readonly string[]).includes(type)) throw unknownType(type);
    this.options.metrics.deltaRequests.inc({ node: this.nodeLabel, type });
    let state = this.states.get(type as ResourceType);
    if (state && request.responseNonce) {
      // Only the answer to our latest response counts; older nonces are stale by definition.
      if (request.responseNonce !== state.lastNonce) return;
      if (request.errorDetail && (request.errorDetail.code !== 0 || request.errorDetail.message)) {
        this.options.metrics.nacks.inc({ control_plane: this.nodeLabel, type });
        log.warn(
          { node: this.nodeId, type: shortType(type), rejected: state.lastSentVersion, kept: request.versionInfo, error: request.errorDetail.message },
          'client rejected resources (NACK); it stays on its last accepted version',
        );
        state.acceptedVersion = request.versionInfo;
        state.names = [...request.resourceNames];
        return;
      }
      state.acceptedVersion = request.versionInfo;
      const sameNames = request.resourceNames.join('\u0000') === state.names.join('\u0000');
      state.names = [...request.resourceNames];
      if (sameNames) return;
    } else {
      state = { names: [...request.resourceNames], lastNonce: '', lastSentVersion: '', acceptedVersion: request.versionInfo };
      this.states.set(type as ResourceType, state);
    }
    this.push(type as ResourceType, true);
  }

  /** The stream has ended: its node gives its label back. */
  close(): void {
    if (this.nodeId === undefined) return;
    this.options.nodeLabels.release(this.nodeLabel);
    this.nodeId = undefined;
  }

  /** Sends the whole set of `type` if it differs from what was last sent (or `force`). */
  push(type: ResourceType, force = false): void {
    const state = this.states.get(type);
    if (!state) return;
    let resources = [...resourcesOf(this.options.config(), type).values()];
    if (state.names.length > 0) {
      // A Set: a client may list many thousands of names, and this runs on every push.
      const wanted = new Set(state.names);
      resources = resources.filter((r) => wanted.has(r.name));
    }
    const version = combinedVersion(new Map(resources.map((r) => [r.name, r.version])));
    if (!force && version === state.lastSentVersion) return;
    if (force && version === state.acceptedVersion && state.lastNonce !== '') return;
    state.lastNonce = randomUUID();
    state.lastSentVersion = version;
    this.options.send({
      versionInfo: version,
      typeUrl: type,
      resources: resources.map((r) => ({ typeUrl: type, value: r.value })),
      nonce: state.lastNonce,
      controlPlane: { identifier: this.options.serverId },
    });
  }
}
