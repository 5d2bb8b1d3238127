// SPDX-License-Identifier: Apache-2.0
// The subscribing side of a delta xDS stream (reference runtime.md §6.3, client): a proxy runs
// it towards manage/relay, and a relay runs it towards each agent over the reversed mDS stream.
// It only speaks the protocol; what a response means is up to `apply`.
import { combinedVersion } from './codec';
import { type DeltaDiscoveryRequestInit, type DeltaDiscoveryResponse, INVALID_ARGUMENT, PROBE_TYPE_URL } from './messages';
import { quoted } from './node-id';
import { isResourceType, type ResourceType, shortType } from './type-urls';
import { typeLabel, type XdsMetrics } from './xds-metrics';

/** What the subscriber holds per type: name -> version. Kept across streams so a reconnect only gets differences. */
export class SubscriptionState {
  readonly versions = new Map<ResourceType, Map<string, string>>();

  of(type: ResourceType): Map<string, string> {
    let v = this.versions.get(type);
    if (!v) this.versions.set(type, (v = new Map()));
    return v;
  }
}

/**
 * The longest NACK message sent. A response with thousands of bad entries lists them all in its
 * error, and a NACK larger than the server's request limit would cost the stream instead.
 */
export const MAX_NACK_MESSAGE_CHARS = 4096;

function nackMessage(error: string): string {
  return error.length <= MAX_NACK_MESSAGE_CHARS
    ? error
    : `${error.slice(0, MAX_NACK_MESSAGE_CHARS)}… (${error.length - MAX_NACK_MESSAGE_CHARS} more characters)`;
}

export type ApplyResult = { ok: true } | { ok: false; error: string };

export interface SubscriberOptions {
  readonly nodeId: string;
  readonly types: readonly ResourceType[];
  readonly state: SubscriptionState;
  /** Sends the `ignore-me` probe first, as Quilkin's proxy client does (not on mDS). */
  readonly probe: boolean;
  readonly send: (request: DeltaDiscoveryRequestInit) => void;
  /** Validates and applies one response's resources; an error becomes the NACK's message. */
  readonly apply: (type: ResourceType, response: DeltaDiscoveryResponse) => ApplyResult;
  readonly metrics: XdsMetrics;
  /**
   * The control_plane label for a response's identifier. Default: the process-wide bounded one
   * (XdsMetrics.controlPlaneLabel); a relay labels by the agent id it checked on connect.
   */
  readonly controlPlaneLabel?: (identifier: string) => string;
  /** Called after each response is handled, with whether it was accepted (undefined: the probe's answer). */
  readonly onResponse?: (response: DeltaDiscoveryResponse, result: ApplyResult | undefined) => void;
}

/**
 * What makes a response contradict itself, before any resource is decoded: a name twice (which
 * one would win is up to the order, so neither is taken) or a name both updated and removed.
 */
export function responseProblem(response: DeltaDiscoveryResponse): string | undefined {
  const type = shortType(response.typeUrl);
  const seen = new Set<string>();
  for (const r of response.resources) {
    if (seen.has(r.name)) return `${type} ${quoted(r.name)}: the response carries this resource name more than once`;
    seen.add(r.name);
  }
  for (const name of response.removedResources) {
    if (seen.has(name)) return `${type} ${quoted(name)}: the response both updates and removes this resource`;
  }
  return undefined;
}

export class DeltaSubscriber {
  private controlPlane = '';

  constructor(private readonly options: SubscriberOptions) {}

  /** The control plane id the server reported (empty until the first response). */
  get peer(): string {
    return this.controlPlane;
  }

  /** Opens the subscriptions (also used to re-send them when the stream has been idle). */
  subscribe(withProbe = this.options.probe): void {
    const node = { id: this.options.nodeId, userAgentName: 'quilkin' };
    if (withProbe) this.options.send(this.request(PROBE_TYPE_URL, { node }));
    for (const type of this.options.types) {
      this.options.send(this.request(type, { node, initialResourceVersions: Object.fromEntries(this.options.state.of(type)) }));
    }
  }

  handle(response: DeltaDiscoveryResponse): void {
    if (response.typeUrl === PROBE_TYPE_URL) return this.options.onResponse?.(response, undefined);
    const { metrics } = this.options;
    const identifier = response.controlPlane?.identifier;
    // The label, not the raw identifier: a server picks it, so it is bounded like a node id.
    const label = this.options.controlPlaneLabel ?? ((id: string) => metrics.controlPlaneLabel(id));
    const controlPlane = identifier ? label(identifier) : this.controlPlane;
    if (controlPlane !== this.controlPlane) {
      if (this.controlPlane) metrics.activeControlPlanes.dec({ control_plane: this.controlPlane });
      this.controlPlane = controlPlane;
      metrics.activeControlPlanes.inc({ control_plane: this.controlPlane });
    }
    const labels = { control_plane: this.controlPlane, type: typeLabel(response.typeUrl) };
    metrics.deltaResponses.inc(labels);
    const result: ApplyResult =
      !isResourceType(response.typeUrl) || !this.options.types.includes(response.typeUrl)
        ? { ok: false, error: `resource type ${quoted(response.typeUrl, 128)} was not subscribed to` }
        : this.checkedApply(response.typeUrl, response);
    if (result.ok && isResourceType(response.typeUrl)) {
      const versions = this.options.state.of(response.typeUrl);
      for (const name of response.removedResources) versions.delete(name);
      for (const r of response.resources) versions.set(r.name, r.version);
      metrics.setVersion('client', response.typeUrl, combinedVersion(versions));
      metrics.acks.inc(labels);
      this.options.send(this.request(response.typeUrl, { responseNonce: response.nonce }));
    } else if (!result.ok) {
      metrics.nacks.inc(labels);
      this.options.send(
        this.request(response.typeUrl, { responseNonce: response.nonce, errorDetail: { code: INVALID_ARGUMENT, message: nackMessage(result.error) } }),
      );
    }
    this.options.onResponse?.(response, result);
  }

  private checkedApply(type: ResourceType, response: DeltaDiscoveryResponse): ApplyResult {
    const problem = responseProblem(response);
    return problem ? { ok: false, error: problem } : this.options.apply(type, response);
  }

  /** Ends this stream's share of the active-control-plane gauge. */
  close(): void {
    if (this.controlPlane) this.options.metrics.activeControlPlanes.dec({ control_plane: this.controlPlane });
    this.controlPlane = '';
  }

  private request(type: string, fields: DeltaDiscoveryRequestInit): DeltaDiscoveryRequestInit {
    return { typeUrl: type, ...fields };
  }
}
