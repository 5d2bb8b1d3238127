// SPDX-License-Identifier: Apache-2.0
// `quilkin relay`: agents push their clusters and datacenters in on the mDS port; proxies get
// the merged result on the xDS port. An optional provider supplies only the filter chain.
import { toQuilkinJson } from '../config/model';
import { ConfigStore } from '../config/store';
import { startAdmin } from '../runtime/admin';
import type { FilterConfigValidator } from '../config/model';
import type { QuilkinMetrics } from '../runtime/metrics';
import { PROXY_TYPES } from '../proto/type-urls';
import { trackClusterGauges } from './cluster-gauges';
import { HealthFlag } from './health';
import type { RunningControlPlane } from './manage';
import { type MdsServer, startMdsServer } from './mds/relay-server';
import type { Provider } from './providers/provider';
import { startXdsServer, type XdsServer } from './xds/server';
import type { XdsServerLimits } from './xds/server-limits';

export interface RelayOptions {
  readonly id: string;
  readonly xdsPort: number;
  readonly mdsPort: number;
  readonly host?: string;
  readonly provider?: Provider;
  readonly validator: FilterConfigValidator;
  readonly idleRequestIntervalSecs: number;
  readonly metrics: QuilkinMetrics;
  readonly adminAddress?: string;
  /** Stream and keepalive bounds of both ports; the request size bound applies to the xDS port (agents push resources on mDS). */
  readonly xdsLimits?: Partial<XdsServerLimits>;
}

export async function startRelay(options: RelayOptions): Promise<RunningControlPlane & { mdsPort: number; agents(): number }> {
  const store = new ConfigStore();
  const health = new HealthFlag(options.provider?.name ?? 'none');
  const stopGauges = trackClusterGauges(store, options.metrics);
  let servers = false;
  // Quilkin's relay without a provider never reports ready; ours is ready once both ports serve.
  const ready = (): boolean => servers && (options.provider ? health.value : true);
  const admin = options.adminAddress
    ? await startAdmin({ address: options.adminAddress, metrics: options.metrics, ready, config: () => toQuilkinJson(store.current) })
    : undefined;
  let xds: XdsServer | undefined;
  let mds: MdsServer | undefined;
  const stop = async (): Promise<void> => {
    stopGauges();
    await options.provider?.stop();
    await mds?.close();
    await xds?.close();
    await admin?.close();
  };
  try {
    xds = await startXdsServer({
      port: options.xdsPort,
      host: options.host,
      serverId: options.id,
      store,
      types: PROXY_TYPES,
      metrics: options.metrics,
      limits: options.xdsLimits,
    });
    mds = await startMdsServer({
      port: options.mdsPort,
      host: options.host,
      store,
      validator: options.validator,
      metrics: options.metrics,
      idleRequestIntervalSecs: options.idleRequestIntervalSecs,
      limits: options.xdsLimits,
    });
    await options.provider?.start(store, health);
  } catch (err) {
    await stop();
    throw err;
  }
  servers = true;
  const mdsServer = mds;
  return { store, xdsPort: xds.port, mdsPort: mds.port, admin, ready, stop, agents: () => mdsServer.agents() };
}
