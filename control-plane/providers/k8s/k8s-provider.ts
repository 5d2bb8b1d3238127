// SPDX-License-Identifier: Apache-2.0
// The k8s provider (ConfigMap filter chain) and the agones provider (that plus GameServer endpoints).
import type { KubeConfig } from '@kubernetes/client-node';
import type { FilterConfigValidator, Locality } from '../../../config/model';
import type { ConfigStore } from '../../../config/store';
import { logger } from '../../../runtime/logger';
import type { Provider, ProviderHealth } from '../provider';
import { type BackoffPolicy, QUILKIN_PROVIDER_BACKOFF } from './backoff';
import { CONFIGMAP_LABEL_SELECTOR, ConfigMapChain } from './configmap';
import { GameServerSet } from './gameserver-set';
import { configMapLister, configMapWatchPath, gameServerLister, gameServerWatchPath } from './kube-client';
import type { K8sSelection } from './options';
import { Reflector, type ReflectorHandlers } from './reflector';

const log = logger('k8s-provider');

export interface K8sProviderOptions extends K8sSelection {
  /** `k8s`: ConfigMaps only; `agones`: ConfigMaps and GameServers. */
  readonly kind: 'k8s' | 'agones';
  /** As in Quilkin: an agent only publishes endpoints, a relay only takes the filter chain. */
  readonly role?: 'manage' | 'agent' | 'relay';
  readonly kubeConfig: KubeConfig;
  readonly validator: FilterConfigValidator;
  /** Locality the GameServer endpoints are published under (manage --region/--zone/--sub-zone). */
  readonly locality?: Locality;
  /** Server-side watch timeout; Quilkin uses 15 s for GameServers. */
  readonly watchTimeoutSeconds?: number;
  readonly backoff?: BackoffPolicy;
}

export class K8sProvider implements Provider {
  readonly name: string;
  private readonly reflectors: Reflector[] = [];
  private readonly unhealthy = new Map<string, string>();
  private readonly chain: ConfigMapChain;
  private readonly gameServers: GameServerSet;
  private store: ConfigStore | undefined;
  private health: ProviderHealth | undefined;
  private started = false;
  private filtersPublished = false;

  constructor(private readonly options: K8sProviderOptions) {
    this.name = options.kind;
    this.chain = new ConfigMapChain(options.validator);
    this.gameServers = new GameServerSet({ ...(options.addressType !== undefined ? { addressType: options.addressType } : {}), ipKind: options.ipKind });
  }

  async start(store: ConfigStore, health: ProviderHealth): Promise<void> {
    if (this.started) throw new Error(`provider ${this.name} started twice`);
    this.started = true;
    this.store = store;
    this.health = health;
    health.set(false, 'initial Kubernetes listing not done yet');
    const role = this.options.role ?? 'manage';
    if (role === 'agent' && this.options.kind === 'agones')
      log.warn({ configNamespace: this.options.configNamespace }, 'an agent takes no filter chain; ConfigMaps are not watched');
    else this.reflectors.push(this.configMapReflector());
    if (this.options.kind === 'agones' && role !== 'relay')
      for (const ns of this.options.gameServerNamespaces) this.reflectors.push(this.gameServerReflector(ns));
    await Promise.all(this.reflectors.map((r) => r.start()));
    log.info(
      { provider: this.name, filters: store.current.filters.length, endpoints: this.gameServers.endpoints().length },
      'initial Kubernetes state applied',
    );
    this.reportHealth();
  }

  async stop(): Promise<void> {
    await Promise.all(this.reflectors.map((r) => r.stop()));
  }

  private configMapReflector(): Reflector {
    const { kubeConfig, configNamespace } = this.options;
    const id = `configmaps in namespace ${configNamespace}`;
    return new Reflector(
      {
        description: id,
        kubeConfig,
        watchPath: configMapWatchPath(configNamespace),
        labelSelector: CONFIGMAP_LABEL_SELECTOR,
        list: configMapLister(kubeConfig, configNamespace, CONFIGMAP_LABEL_SELECTOR),
        watchTimeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
        backoff: this.options.backoff ?? QUILKIN_PROVIDER_BACKOFF,
      },
      this.handlers(id, {
        sync: (objects) => this.chain.sync(objects),
        upsert: (cm) => this.chain.upsert(cm),
        remove: (cm) => this.chain.remove(cm),
        publish: () => this.publishFilters(),
      }),
    );
  }

  private gameServerReflector(namespace: string): Reflector {
    const { kubeConfig } = this.options;
    const id = `gameservers in namespace ${namespace}`;
    return new Reflector(
      {
        description: id,
        kubeConfig,
        watchPath: gameServerWatchPath(namespace),
        list: gameServerLister(kubeConfig, namespace),
        watchTimeoutSeconds: this.options.watchTimeoutSeconds ?? 15,
        backoff: this.options.backoff ?? QUILKIN_PROVIDER_BACKOFF,
      },
      this.handlers(id, {
        sync: (objects) => this.gameServers.sync(namespace, objects),
        upsert: (gs) => this.gameServers.upsert(namespace, gs),
        remove: (gs) => this.gameServers.remove(namespace, gs),
        publish: () => this.publishEndpoints(),
      }),
    );
  }

  /** Every change is folded into the model and then published as one whole, validated patch. */
  private handlers(id: string, on: Pick<ReflectorHandlers, 'sync' | 'upsert' | 'remove'> & { publish(): void }): ReflectorHandlers {
    return {
      sync: (objects) => {
        on.sync(objects);
        on.publish();
      },
      upsert: (obj) => {
        on.upsert(obj);
        on.publish();
      },
      remove: (obj) => {
        on.remove(obj);
        on.publish();
      },
      health: (healthy, reason) => {
        if (healthy) this.unhealthy.delete(id);
        else this.unhealthy.set(id, reason ?? 'unreachable');
        // Bad news is reported at once; good news only once every watch has its first listing.
        if (!healthy || this.reflectors.every((r) => r.synced)) this.reportHealth();
      },
    };
  }

  private publishFilters(): void {
    // Until a ConfigMap has supplied a chain, the chain from the --config file (if any) stays.
    if (this.chain.empty && !this.filtersPublished) return;
    this.filtersPublished = true;
    this.store?.apply({ filters: this.chain.filters() }, `provider:${this.name}`);
  }

  private publishEndpoints(): void {
    const locality = this.options.locality;
    this.store?.apply({ clusters: [{ ...(locality ? { locality } : {}), endpoints: this.gameServers.endpoints() }] }, `provider:${this.name}`);
  }

  private reportHealth(): void {
    const reasons = [...this.unhealthy.values()];
    this.health?.set(reasons.length === 0, reasons.length === 0 ? undefined : reasons.join('; '));
  }
}
