// SPDX-License-Identifier: Apache-2.0
// Runs the real k8s provider (real @kubernetes/client-node over HTTP) against the API-server double.
import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../../config/model';
import { ConfigStore } from '../../config/store';
import { K8sProvider } from '../../control-plane/providers/k8s/k8s-provider';
import type { IpKind } from '../../control-plane/providers/k8s/options';
import { filterRegistry } from '../../data-plane/filters';
import { type ApiServerOptions, KubeApiServerDouble, kubeconfigYaml } from './api-server';

export interface HealthRecord {
  healthy: boolean;
  reason?: string;
}

export class ProviderHarness {
  readonly api: KubeApiServerDouble;
  readonly store = new ConfigStore();
  readonly healthLog: HealthRecord[] = [];
  provider!: K8sProvider;

  constructor(apiOptions: ApiServerOptions = {}) {
    this.api = new KubeApiServerDouble(apiOptions);
  }

  async listen(): Promise<void> {
    await this.api.listen();
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml(this.api.url, this.api.token, this.api.caCert));
    return kc;
  }

  /** Starts the provider; resolves once its initial listing is in the store. */
  async start(
    options: {
      kind?: 'k8s' | 'agones';
      role?: 'manage' | 'agent' | 'relay';
      namespaces?: string[];
      addressType?: string;
      ipKind?: IpKind;
      watchTimeoutSeconds?: number;
    } = {},
  ): Promise<void> {
    this.provider = new K8sProvider({
      kind: options.kind ?? 'agones',
      ...(options.role ? { role: options.role } : {}),
      kubeConfig: this.kubeConfig(),
      validator: filterRegistry(),
      configNamespace: 'default',
      gameServerNamespaces: options.namespaces ?? ['default'],
      ...(options.addressType !== undefined ? { addressType: options.addressType } : {}),
      ipKind: options.ipKind ?? 'any',
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 30,
      backoff: { initialMs: 20, maxMs: 200 },
    });
    await this.provider.start(this.store, { set: (healthy, reason) => this.healthLog.push({ healthy, ...(reason ? { reason } : {}) }) });
  }

  /** Waits until `count` watch streams are open on the double (start() resolves before they are). */
  async watchesOpen(count: number): Promise<void> {
    await waitFor(`${count} open watches`, () => this.api.openWatches === count);
  }

  get healthy(): boolean {
    return this.healthLog[this.healthLog.length - 1]?.healthy ?? false;
  }

  /** `address -> tokens (utf8)` of every endpoint, for compact assertions. */
  endpoints(): Record<string, string[]> {
    return endpointsOf(this.store.current);
  }

  async stop(): Promise<void> {
    await this.provider?.stop();
    await this.api.close();
  }
}

export function endpointsOf(config: Config): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of config.clusters) for (const e of c.endpoints) out[e.address.key] = e.tokens.map((t) => t.toString());
  return out;
}

/** Polls until `check` holds (or throws with `what` after the timeout). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
