// SPDX-License-Identifier: Apache-2.0
// `quilkin agent`: runs a provider next to the game servers and pushes their endpoints, plus
// this datacenter's QCMP port and ICAO code, up to relays over mDS.
import { emptyConfig, toQuilkinJson } from '../config/model';
import { ConfigStore } from '../config/store';
import { startAdmin } from '../runtime/admin';
import { logger } from '../runtime/logger';
import type { QuilkinMetrics } from '../runtime/metrics';
import { trackClusterGauges } from './cluster-gauges';
import { HealthFlag } from './health';
import type { RunningControlPlane } from './manage';
import { type MdsPush, startMdsPush } from './mds/mds-push';
import type { Provider } from './providers/provider';

const log = logger('agent');

export interface AgentOptions {
  readonly id: string;
  readonly relays: readonly string[];
  readonly provider: Provider;
  readonly qcmpPort: number;
  readonly icaoCode: string;
  readonly metrics: QuilkinMetrics;
  readonly adminAddress?: string;
}

export async function startAgent(options: AgentOptions): Promise<RunningControlPlane & { relayConnected(): boolean }> {
  // An agent advertises itself with no host: the relay knows our address from the connection.
  const store = new ConfigStore({
    ...emptyConfig(),
    icaoCode: options.icaoCode,
    qcmpPort: options.qcmpPort,
    datacenters: [{ host: '', qcmpPort: options.qcmpPort, icaoCode: options.icaoCode }],
  });
  const health = new HealthFlag(options.provider.name);
  const stopGauges = trackClusterGauges(store, options.metrics);
  let push: MdsPush | undefined;
  // Ready only with a healthy provider and a live relay stream, as in Quilkin.
  const ready = (): boolean => health.value && (push?.connected() ?? false);
  const admin = options.adminAddress
    ? await startAdmin({ address: options.adminAddress, metrics: options.metrics, ready, config: () => toQuilkinJson(store.current) })
    : undefined;
  const stop = async (): Promise<void> => {
    stopGauges();
    await options.provider.stop();
    await push?.close();
    await admin?.close();
  };
  try {
    await options.provider.start(store, health);
  } catch (err) {
    await stop();
    throw err;
  }
  if (options.relays.length === 0) log.warn('no --relay given: nothing to push to, the agent will not become ready');
  push = startMdsPush({ relays: options.relays, id: options.id, store, metrics: options.metrics });
  return { store, xdsPort: 0, admin, ready, stop, relayConnected: () => push?.connected() ?? false };
}
