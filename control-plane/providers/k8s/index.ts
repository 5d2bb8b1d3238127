// SPDX-License-Identifier: Apache-2.0
// Entry point of the Kubernetes providers for `quilkin manage --provider k8s|agones`.
import type { FilterConfigValidator, Locality } from '../../../config/model';
import type { Provider } from '../provider';
import { K8sProvider } from './k8s-provider';
import { loadKubeConfig } from './kube-client';
import { type K8sCliValues, selectionFromCli } from './options';

export { K8S_OPTIONS, type K8sCliValues } from './options';
export { K8sProvider, type K8sProviderOptions } from './k8s-provider';

export interface CreateK8sProviderOptions extends K8sCliValues {
  readonly kind: 'k8s' | 'agones';
  /** Which command runs the provider (default manage): agent = GameServers only, relay = ConfigMaps only. */
  readonly role?: 'manage' | 'agent' | 'relay';
  /** Usually filterRegistry() from data-plane/filters. */
  readonly validator: FilterConfigValidator;
  readonly locality?: Locality;
}

/** Builds the provider from the values of K8S_OPTIONS; finds the cluster as kubectl does. */
export function createK8sProvider(options: CreateK8sProviderOptions): Provider {
  return new K8sProvider({
    ...selectionFromCli(options),
    kind: options.kind,
    ...(options.role ? { role: options.role } : {}),
    validator: options.validator,
    kubeConfig: loadKubeConfig(),
    ...(options.locality ? { locality: options.locality } : {}),
  });
}
