// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy`: config sources (file, xDS) -> compile -> config store -> publish -> data path
// backend, plus QCMP and admin. A config is compiled, and prepared by the backend, before the
// store commits it: what /config shows is what runs.
import * as os from 'node:os';
import { type Config, endpointCount, localityKey, toQuilkinJson } from '../config/model';
import { ConfigStore } from '../config/store';
import { watchConfigFile, type ConfigFileWatcher } from '../config/watch';
import { startAdmin, type AdminServer } from '../runtime/admin';
import { offThreadParser } from './config-parse/off-thread';
import { logger } from '../runtime/logger';
import type { QuilkinMetrics } from '../runtime/metrics';
import type { BackendKind, BackendOptions, PreparedConfig, ProxyBackend } from './backends/backend';
import { BACKENDS, fallbackOrder } from './backends/index';
import { type Compiled, compile, type CompileInputs, hostNames } from './compiler/compile';
import { EndpointNames } from './dns/endpoint-names';
import type { FilterRegistry } from './filters/registry';
import { type RunningPhoenix, startPhoenix } from './phoenix/index';
import { startQcmpServer, type QcmpServer } from './qcmp/server';
import { withStaticEndpoints } from './static-endpoints';
import type { EndpointConfig } from '../config/model';
import { xdsReadiness } from './xds-readiness';
import { startXdsClient } from './xds/client';

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
  /** Subscribe to these management servers (the config then comes from xDS). */
  readonly xds?: XdsSettings;
}

export interface XdsSettings {
  readonly servers: string[];
  readonly nodeId: string;
  readonly idleRequestIntervalSecs: number;
}

/** What the store holds beside each config: its compile result and, once started, the backend's prepared form. */
export interface Staged {
  readonly compiled: Compiled;
  /** Absent for the startup config, which the backend published as it started. */
  readonly prepared?: PreparedConfig;
}

/** How long startup waits for endpoint names' first answers before serving without them. */
const STARTUP_DNS_WAIT_MS = 2000;

export interface RunningProxy {
  readonly store: ConfigStore<Staged>;
  readonly backend: ProxyBackend;
  readonly admin?: AdminServer;
  readonly qcmp: QcmpServer;
  /** Phoenix's latency document over TCP on the QCMP port number, measuring the config's datacenters. */
  readonly phoenix: RunningPhoenix;
  /** Why preferred backends were skipped, in order (empty when the requested one started). */
  readonly fallbacks: readonly string[];
  readiness: () => boolean;
  stop: () => Promise<void>;
}

export function updateClusterGauges(metrics: QuilkinMetrics, config: Config): void {
  metrics.clusterActive.set(config.clusters.length);
  metrics.clusterActiveEndpoints.set(endpointCount(config));
  metrics.activeEndpoints.reset();
  for (const c of config.clusters) metrics.activeEndpoints.set({ cluster: localityKey(c.locality) }, c.endpoints.length);
}

async function startBackend(settings: ProxySettings, options: BackendOptions, initial: Compiled): Promise<{ backend: ProxyBackend; fallbacks: string[] }> {
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
  const names = new EndpointNames();
  names.on('failed', (host, error, kept) =>
    log.warn(
      { host, error, ...(kept ? { keptAddress: kept } : {}) },
      kept ? 'endpoint name did not resolve; its previous address stays in use' : 'endpoint name did not resolve; sends to it drop as no route',
    ),
  );
  names.track(hostNames(initial));
  await names.settle(STARTUP_DNS_WAIT_MS);
  const inputs: CompileInputs = { registry, names };
  // A startup config that cannot run is an error here, as it is on reload.
  const compiled = compile(initial, inputs);
  const options: BackendOptions = { ...settings.backendOptions, metrics, registry };
  const { backend, fallbacks } = await startBackend(settings, options, compiled);
  const store = new ConfigStore<Staged>(initial, {
    initialCompiled: { compiled },
    compile: (config) => {
      const next = compile(config, inputs);
      return { compiled: next, prepared: backend.prepare(next) };
    },
  });
  store.onCompiled((staged) => {
    if (staged.prepared) backend.publish(staged.prepared);
    names.track(hostNames(staged.compiled.config));
  });
  names.on('changed', () => {
    try {
      store.recompile('dns');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'config with new endpoint addresses could not be compiled; the previous addresses stay in use');
    }
  });
  updateClusterGauges(metrics, initial);
  metrics.configVersion.set(store.generation);
  store.onChange((change) => {
    updateClusterGauges(metrics, change.config);
    metrics.configVersion.set(change.generation);
    log.info(
      { source: change.source, generation: change.generation, endpoints: endpointCount(change.config), filters: change.config.filters.length },
      'config applied',
    );
  });

  let watcher: ConfigFileWatcher | undefined;
  if (settings.configPath) {
    const source = `file:${settings.configPath}`;
    const rejected = (err: Error): void => {
      metrics.configRejected.inc({ source });
      log.error({ source, err: err.message }, 'config file change rejected; the last good config stays live');
    };
    watcher = watchConfigFile(
      settings.configPath,
      registry,
      {
        onConfig: (config) => {
          const merged = withStaticEndpoints(config, settings.staticEndpoints);
          try {
            store.apply({ id: merged.id, filters: merged.filters, clusters: merged.clusters, replaceClusters: true }, source);
          } catch (err) {
            rejected(err as Error);
          }
        },
        onInvalid: rejected,
      },
      {},
      offThreadParser(),
    );
  }

  const xds = settings.xds
    ? startXdsClient({
        servers: settings.xds.servers,
        nodeId: settings.xds.nodeId,
        store,
        validator: registry,
        metrics,
        idleRequestIntervalSecs: settings.xds.idleRequestIntervalSecs,
      })
    : undefined;
  if (xds) log.info({ servers: settings.xds?.servers, nodeId: settings.xds?.nodeId }, 'subscribing to xDS');
  const qcmp = await startQcmpServer(settings.qcmpPort, '::', { metrics });
  // As Quilkin v0.9: every proxy serves Phoenix on its QCMP port number over TCP; the datacenters
  // arrive over xDS (from agents through a relay) and are followed as they change.
  const phoenix = await startPhoenix({ port: qcmp.port, registry: metrics.registry, datacenters: store.current.datacenters ?? [] });
  store.onChange((change) => {
    if (change.datacentersChanged) phoenix.setDatacenters(change.config.datacenters ?? []);
  });
  // With a management server: the stream is up and Clusters and the FilterChain have arrived.
  const readiness = xds ? xdsReadiness(store, () => xds.ready()) : () => endpointCount(store.current) > 0;
  let admin: AdminServer | undefined;
  const running: RunningProxy = {
    store,
    backend,
    qcmp,
    phoenix,
    fallbacks,
    readiness,
    stop: async () => {
      watcher?.close();
      names.stop();
      await xds?.close();
      await Promise.all([backend.stop(), qcmp.close(), phoenix.close(), admin?.close()]);
    },
  };
  if (settings.adminAddress !== undefined) {
    admin = await startAdmin({
      address: settings.adminAddress,
      metrics,
      ready: () => running.readiness(),
      config: () => ({
        ...toQuilkinJson(store.current),
        proxy: { ...backend.describe(), fallbacks, generation: store.generation, unresolved: store.compiled.compiled.unresolved },
      }),
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
