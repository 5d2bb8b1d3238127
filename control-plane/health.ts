// SPDX-License-Identifier: Apache-2.0
// Provider health as a flag the admin server's /ready reads; logs each change once.
import { logger } from '../runtime/logger';
import type { ProviderHealth } from './providers/provider';

const log = logger('provider');

export class HealthFlag implements ProviderHealth {
  private healthy = false;

  constructor(private readonly provider: string) {}

  get value(): boolean {
    return this.healthy;
  }

  set(healthy: boolean, reason?: string): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    if (healthy) log.info({ provider: this.provider }, 'provider healthy');
    else log.warn({ provider: this.provider, reason }, 'provider unhealthy');
  }
}
