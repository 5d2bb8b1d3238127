// SPDX-License-Identifier: Apache-2.0
// manage/agent/relay expose quilkin_cluster_active(_endpoints) after every provider or agent change.
import { endpointCount } from '../config/model';
import type { ConfigStore } from '../config/store';
import type { QuilkinMetrics } from '../runtime/metrics';

export function trackClusterGauges(store: ConfigStore, metrics: QuilkinMetrics): () => void {
  const update = (): void => {
    metrics.clusterActive.set(store.current.clusters.length);
    metrics.clusterActiveEndpoints.set(endpointCount(store.current));
  };
  update();
  return store.onChange(update);
}
