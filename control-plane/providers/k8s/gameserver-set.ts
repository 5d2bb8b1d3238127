// SPDX-License-Identifier: Apache-2.0
// The routed GameServers of every watched namespace, folded into one sorted endpoint list.
import { compareEndpointAddress } from '../../../config/address';
import type { EndpointConfig } from '../../../config/model';
import { logger } from '../../../runtime/logger';
import { type AddressSelection, describeGameServer, gameServerEndpoint } from './gameserver';
import { type KubeObject, objectKey } from './kube-object';

const log = logger('k8s-gameservers');

export class GameServerSet {
  /** namespace -> `namespace/name` -> endpoint (only routed, valid servers are kept). */
  private readonly byNamespace = new Map<string, Map<string, EndpointConfig>>();

  constructor(private readonly selection: AddressSelection) {}

  /** Replaces everything known about one namespace with a complete listing of it. */
  sync(namespace: string, objects: readonly KubeObject[]): void {
    const fresh = new Map<string, EndpointConfig>();
    for (const gs of objects) {
      const endpoint = this.evaluate(gs);
      if (endpoint) fresh.set(objectKey(gs), endpoint);
    }
    this.byNamespace.set(namespace, fresh);
  }

  upsert(namespace: string, gs: KubeObject): void {
    const servers = this.namespace(namespace);
    const endpoint = this.evaluate(gs);
    // A server that left Ready/Allocated (or became malformed) stops being routed at once.
    if (endpoint) servers.set(objectKey(gs), endpoint);
    else servers.delete(objectKey(gs));
  }

  remove(namespace: string, gs: KubeObject): void {
    if (this.namespace(namespace).delete(objectKey(gs))) log.info({ gameserver: objectKey(gs) }, 'GameServer deleted; endpoint removed');
  }

  /** Every endpoint, in Quilkin's address order; a second server on the same address is dropped with a warning. */
  endpoints(): EndpointConfig[] {
    const named = [...this.byNamespace.values()].flatMap((m) => [...m.entries()]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const byAddress = new Map<string, [string, EndpointConfig]>();
    for (const [key, endpoint] of named) {
      const first = byAddress.get(endpoint.address.key);
      if (first)
        log.warn(
          { gameserver: key, address: endpoint.address.key, keptGameServer: first[0] },
          'two GameServers report the same address; keeping the first by name',
        );
      else byAddress.set(endpoint.address.key, [key, endpoint]);
    }
    return [...byAddress.values()].map(([, e]) => e).sort((a, b) => compareEndpointAddress(a.address, b.address));
  }

  private namespace(namespace: string): Map<string, EndpointConfig> {
    let servers = this.byNamespace.get(namespace);
    if (!servers) this.byNamespace.set(namespace, (servers = new Map()));
    return servers;
  }

  private evaluate(gs: KubeObject): EndpointConfig | undefined {
    const result = gameServerEndpoint(gs, this.selection);
    if (result.kind === 'invalid') {
      log.warn({ gameserver: objectKey(gs), reason: result.reason }, `${describeGameServer(gs)} skipped: ${result.reason}`);
      return undefined;
    }
    if (result.kind === 'not-routed') {
      log.debug({ gameserver: objectKey(gs), state: result.state }, 'GameServer not in a routed state');
      return undefined;
    }
    for (const warning of result.warnings) log.warn({ gameserver: objectKey(gs) }, `${describeGameServer(gs)}: ${warning}`);
    return result.endpoint;
  }
}
