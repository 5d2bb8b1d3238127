// SPDX-License-Identifier: Apache-2.0
// `quilkin manage`: a provider fills the store, the xDS server serves it to proxies, and with
// relays configured the clusters are also pushed up to them over mDS.
import { toQuilkinJson } from '../config/model';
import { ConfigStore } from '../config/store';
import { type AdminServer, startAdmin } from '../runtime/admin';
import { logger } from '../runtime/logger';
import type { QuilkinMetrics } from '../runtime/metrics';
import { PROXY_TYPES } from '../proto/type-urls';
import { trackClusterGauges } from './cluster-gauges';
import { HealthFlag } from './health';
import { type MdsPush, startMdsPush } from './mds/mds-push';
import type { Provider } from './providers/provider';
import { startXdsServer, type XdsServer } from './xds/server';
import type { XdsServerLimits } from './xds/server-limits';

const log = logger('manage');

export interface ManageOptions {
  readonly port: number;
  readonly host?: string;
  readonly id: string;
  readonly relays: readonly string[];
  readonly provider: Provider;
  readonly metrics: QuilkinMetrics;
  readonly adminAddress?: string;
  /** Stream, message and keepalive bounds of the xDS server (defaults: DEFAULT_XDS_SERVER_LIMITS). */
  readonly xdsLimits?: Partial<XdsServerLimits>;
}

export interface RunningControlPlane {
  readonly store: ConfigStore;
  readonly xdsPort: number;
  readonly admin?: AdminServer;
  ready(): boolean;
  stop(): Promise<void>;
}

export async function startManage(options: ManageOptions): Promise<RunningControlPlane> {
  const store = new ConfigStore();
  const health = new HealthFlag(options.provider.name);
  const stopGauges = trackClusterGauges(store, options.metrics);
  // /ready stays 500 until the provider has produced its first config.
  const ready = (): boolean => health.value;
  const admin = options.adminAddress
    ? await startAdmin({ address: options.adminAddress, metrics: options.metrics, ready, config: () => toQuilkinJson(store.current) })
    : undefined;
  let xds: XdsServer | undefined;
  let push: MdsPush | undefined;
  const stop = async (): Promise<void> => {
    stopGauges();
    await options.provider.stop();
    await push?.close();
    await xds?.close();
    await admin?.close();
  };
  try {
    xds = await startXdsServer({
      port: options.port,
      host: options.host,
      serverId: options.id,
      store,
      types: PROXY_TYPES,
      metrics: options.metrics,
      limits: options.xdsLimits,
    });
    await options.provider.start(store, health);
    if (options.relays.length > 0) push = startMdsPush({ relays: options.relays, id: options.id, store, metrics: options.metrics });
  } catch (err) {
    await stop();
    throw err;
  }
  log.info(
    { provider: options.provider.name, clusters: store.current.clusters.length, filters: store.current.filters.length },
    'provider produced the initial config',
  );
  return { store, xdsPort: xds.port, admin, ready, stop };
}
