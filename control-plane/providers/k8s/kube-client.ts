// SPDX-License-Identifier: Apache-2.0
// Finds the cluster: KUBECONFIG, then ~/.kube/config, then the pod's service account (in-cluster).
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { logger } from '../../../runtime/logger';
import { isRawMap } from './kube-object';
import type { ListPage, ListPageFn } from './reflector';

const log = logger('k8s-client');

/** Items per list page: bounds one response's size in a cluster with many game servers. */
const PAGE_SIZE = 500;

export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const cluster = kc.getCurrentCluster();
  // With nothing found, client-node falls back to an unauthenticated http://localhost:8080,
  // which it then refuses to use: say what is missing instead of retrying that forever.
  const fallback = cluster?.name === 'cluster' && cluster.server === 'http://localhost:8080' && kc.getCurrentUser()?.name === 'user';
  if (!cluster || fallback) {
    throw new Error('no Kubernetes cluster configured: set KUBECONFIG, provide ~/.kube/config, or run in a pod with a service account');
  }
  const source = process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : cluster.name === 'inCluster' ? 'in-cluster service account' : 'kubeconfig';
  log.info({ server: cluster.server, source }, 'using Kubernetes API server');
  return kc;
}

function toPage(list: unknown): ListPage {
  if (!isRawMap(list) || !Array.isArray(list.items)) throw new Error('list response has no items array');
  const meta = isRawMap(list.metadata) ? list.metadata : {};
  return {
    items: list.items,
    resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '',
    ...(typeof meta._continue === 'string' ? { continueToken: meta._continue } : {}),
    ...(typeof meta.continue === 'string' ? { continueToken: meta.continue } : {}),
  };
}

export function configMapLister(kc: KubeConfig, namespace: string, labelSelector: string): ListPageFn {
  const api = kc.makeApiClient(CoreV1Api);
  return async (token) =>
    toPage(await api.listNamespacedConfigMap({ namespace, labelSelector, limit: PAGE_SIZE, ...(token !== undefined ? { _continue: token } : {}) }));
}

export const AGONES_GROUP = 'agones.dev';
export const AGONES_VERSION = 'v1';

export function gameServerLister(kc: KubeConfig, namespace: string): ListPageFn {
  const api = kc.makeApiClient(CustomObjectsApi);
  return async (token) =>
    toPage(
      await api.listNamespacedCustomObject({
        group: AGONES_GROUP,
        version: AGONES_VERSION,
        namespace,
        plural: 'gameservers',
        limit: PAGE_SIZE,
        ...(token !== undefined ? { _continue: token } : {}),
      }),
    );
}

export function configMapWatchPath(namespace: string): string {
  return `/api/v1/namespaces/${namespace}/configmaps`;
}

export function gameServerWatchPath(namespace: string): string {
  return `/apis/${AGONES_GROUP}/${AGONES_VERSION}/namespaces/${namespace}/gameservers`;
}
