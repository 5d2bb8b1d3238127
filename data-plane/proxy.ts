// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy`: config sources -> config store -> data path backend, plus QCMP and admin.
import * as os from 'node:os';
import { type Config, endpointCount, localityKey, toQuilkinJson } from '../config/model';
import { ConfigStore } from '../config/store';
import { watchConfigFile, type ConfigFileWatcher } from '../config/watch';
import { startAdmin, type AdminServer } from '../runtime/admin';
import { logger } from '../runtime/logger';
import type { QuilkinMetrics } from '../runtime/metrics';
import type { BackendKind, BackendOptions, ProxyBackend } from './backends/backend';
import { BACKENDS, fallbackOrder } from './backends/index';
import type { FilterRegistry } from './filters/registry';
import { startQcmpServer, type QcmpServer } from './qcmp/server';
import { withStaticEndpoints } from './static-endpoints';
import type { EndpointConfig } from '../config/model';

const log = logger('proxy');

export interface ProxySettings {
  readonly backend: BackendKind;
  /** Fail instead of falling back when the requested backend cannot start. */
  readonly forceBackend: boolean;
  readonly backendOptions: Omit<BackendOptions, 'metrics' | 'registry'>;
  readonly qcmpPort: number;
  /** Admin bind address, or undefined for --no-admin. */
  readonly adminAddress?: string;
  /** The file to watch for hot reload, when the config came from one. */
  readonly configPath?: string;
  readonly staticEndpoints: readonly EndpointConfig[];
}

export interface RunningProxy {
  readonly store: ConfigStore;
  readonly backend: ProxyBackend;
  readonly admin?: AdminServer;
  readonly qcmp: QcmpServer;
  /** Why preferred backends were skipped, in order (empty when the requested one started). */
  readonly fallbacks: readonly string[];
  /** Extra readiness condition (xDS stream), replaced by whoever owns it. */
  readiness: () => boolean;
  /** Replaceable so owners of extra parts (the xDS client) can chain their own shutdown. */
  stop: () => Promise<void>;
}

export function updateClusterGauges(metrics: QuilkinMetrics, config: Config): void {
  metrics.clusterActive.set(config.clusters.length);
  metrics.clusterActiveEndpoints.set(endpointCount(config));
  metrics.activeEndpoints.reset();
  for (const c of config.clusters) metrics.activeEndpoints.set({ cluster: localityKey(c.locality) }, c.endpoints.length);
}

async function startBackend(settings: ProxySettings, options: BackendOptions, initial: Config): Promise<{ backend: ProxyBackend; fallbacks: string[] }> {
  const fallbacks: string[] = [];
  for (const kind of fallbackOrder(settings.backend)) {
    const factory = BACKENDS[kind];
    const why = factory ? undefined : `the ${kind} backend is not part of this build`;
    if (factory) {
      try {
        return { backend: await factory(options, initial), fallbacks };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw err;
        fallbacks.push(`${kind}: ${(err as Error).message}`);
      }
    } else fallbacks.push(`${kind}: ${why}`);
    if (settings.forceBackend) throw new Error(`backend ${kind} could not start: ${fallbacks[fallbacks.length - 1]}`);
    log.warn({ backend: kind, reason: fallbacks[fallbacks.length - 1] }, 'backend unavailable, falling back');
  }
  throw new Error(`no data path backend could start: ${fallbacks.join('; ')}`);
}

export async function startProxy(settings: ProxySettings, initial: Config, registry: FilterRegistry, metrics: QuilkinMetrics): Promise<RunningProxy> {
  const store = new ConfigStore(initial);
  const options: BackendOptions = { ...settings.backendOptions, metrics, registry };
  const { backend, fallbacks } = await startBackend(settings, options, initial);
  updateClusterGauges(metrics, initial);
  metrics.configVersion.set(store.generation);

  store.onChange((change) => {
    try {
      backend.applyConfig(change.config);
      updateClusterGauges(metrics, change.config);
      metrics.configVersion.set(change.generation);
      log.info({ source: change.source, generation: change.generation, endpoints: endpointCount(change.config), filters: change.config.filters.length }, 'config applied');
    } catch (err) {
      metrics.configRejected.inc({ source: change.source });
      log.error({ source: change.source, err: (err as Error).message }, 'config could not be applied; the data path keeps the previous one');
    }
  });

  let watcher: ConfigFileWatcher | undefined;
  if (settings.configPath) {
    const source = `file:${settings.configPath}`;
    watcher = watchConfigFile(settings.configPath, registry, {
      onConfig: (config) => {
        const merged = withStaticEndpoints(config, settings.staticEndpoints);
        store.apply({ id: merged.id, filters: merged.filters, clusters: merged.clusters, replaceClusters: true }, source);
      },
      onInvalid: (err) => {
        metrics.configRejected.inc({ source });
        log.error({ source, err: err.message }, 'config file change rejected; the last good config stays live');
      },
    });
  }

  const qcmp = await startQcmpServer(settings.qcmpPort, '::', { metrics });
  const running: RunningProxy = {
    store,
    backend,
    qcmp,
    fallbacks,
    readiness: () => endpointCount(store.current) > 0,
    stop: async () => {
      watcher?.close();
      await Promise.all([backend.stop(), qcmp.close(), running.admin?.close()]);
    },
  };
  if (settings.adminAddress !== undefined) {
    const admin = await startAdmin({
      address: settings.adminAddress,
      metrics,
      ready: () => running.readiness(),
      config: () => ({ ...toQuilkinJson(store.current), proxy: { ...backend.describe(), fallbacks, generation: store.generation } }),
    });
    (running as { admin?: AdminServer }).admin = admin;
  }
  return running;
}

/** One line a user can paste to send the proxy a packet. */
export function tryItCommand(port: number): string {
  return `echo hello | socat -t 1 - UDP4:127.0.0.1:${port}`;
}

export function hostName(): string {
  return os.hostname();
}
