// SPDX-License-Identifier: Apache-2.0
// A provider turns some source of truth (a file, Kubernetes, Agones) into config patches.
import type { ConfigStore } from '../../config/store';

/** Readiness of a provider: true after its initial load and each good event, false while it retries. */
export interface ProviderHealth {
  set(healthy: boolean, reason?: string): void;
}

export interface Provider {
  /** `fs`, `k8s`, `agones` ... (used in logs, metrics and the store's change source). */
  readonly name: string;
  /**
   * Loads the initial state into the store, then keeps watching; resolves once the initial
   * state is applied. Failures are retried with backoff inside the provider, never thrown later.
   */
  start(store: ConfigStore, health: ProviderHealth): Promise<void>;
  stop(): Promise<void>;
}
