// SPDX-License-Identifier: Apache-2.0
// The file provider: a YAML config file is the source of truth for manage (and relay). The
// initial load is retried as Quilkin retries providers; later edits hot-reload through
// config/watch.ts, and an invalid edit is logged and ignored so the last good config keeps serving.
import { ConfigError } from '../../../config/issues';
import type { Config, FilterConfigValidator, Locality } from '../../../config/model';
import { parseConfigText } from '../../../config/parse';
import type { ConfigStore } from '../../../config/store';
import { type ConfigFileWatcher, watchConfigFile } from '../../../config/watch';
import * as fs from 'node:fs';
import { logger } from '../../../runtime/logger';
import { withDefaultLocality } from '../locality';
import type { Provider, ProviderHealth } from '../provider';

const log = logger('provider-fs');

/** Quilkin's provider retry: 250 ms doubling up to 2 s, 25 retries. */
const RETRY_INITIAL_MS = 250;
const RETRY_MAX_MS = 2000;
const MAX_RETRIES = 25;

export interface FsProviderOptions {
  readonly path: string;
  readonly validator: FilterConfigValidator;
  readonly locality?: Locality;
  /** A relay takes only the filter chain from its file: its endpoints come from agents. */
  readonly filtersOnly?: boolean;
}

export class FsProvider implements Provider {
  readonly name = 'fs';
  private watcher: ConfigFileWatcher | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: FsProviderOptions) {}

  async start(store: ConfigStore, health: ProviderHealth): Promise<void> {
    const source = `file:${this.options.path}`;
    const initial = await this.loadWithRetry(health);
    this.apply(store, initial, source);
    health.set(true);
    this.watcher = watchConfigFile(this.options.path, this.options.validator, {
      onConfig: (config) => {
        this.apply(store, config, source);
        health.set(true);
      },
      onInvalid: (err) => log.warn({ path: this.options.path, err: err.message }, 'config file changed but is invalid; still serving the last good config'),
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.watcher?.close();
  }

  private apply(store: ConfigStore, config: Config, source: string): void {
    const clusters = this.options.filtersOnly ? {} : { clusters: withDefaultLocality(config.clusters, this.options.locality), replaceClusters: true };
    const change = store.apply({ ...(config.id !== undefined ? { id: config.id } : {}), filters: config.filters, ...clusters }, source);
    if (change)
      log.info(
        { path: this.options.path, generation: change.generation, clusters: change.config.clusters.length, filters: change.config.filters.length },
        'config file loaded',
      );
  }

  private read(): Config {
    const text = fs.readFileSync(this.options.path, 'utf8');
    const result = parseConfigText(text, this.options.validator);
    if (!result.ok) throw new ConfigError(result.issues, this.options.path);
    return result.value;
  }

  private async loadWithRetry(health: ProviderHealth): Promise<Config> {
    for (let attempt = 0; ; attempt++) {
      try {
        return this.read();
      } catch (err) {
        const reason = (err as Error).message;
        health.set(false, reason);
        if (attempt >= MAX_RETRIES || this.stopped) throw new Error(`file provider gave up after ${attempt} retries: ${reason}`, { cause: err });
        const delay = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** attempt);
        log.warn({ path: this.options.path, err: reason, retryInMs: delay, attempt: attempt + 1 }, 'cannot load config file; retrying');
        await new Promise<void>((resolve) => (this.retryTimer = setTimeout(resolve, delay)));
      }
    }
  }
}
