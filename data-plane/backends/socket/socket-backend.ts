// SPDX-License-Identifier: Apache-2.0
// The native socket backend: C++ worker threads (native/socket) own the packet loop with
// SO_REUSEPORT sockets and recvmmsg/sendmmsg; this side only configures them and moves their
// counters into the Quilkin metrics on scrape. JavaScript never touches a packet.
import type { EndpointAddress } from '../../../config/address';
import type { Config } from '../../../config/model';
import { loadNative } from '../../../native/index';
import type { NativeSocketBackend } from '../../../native/socket/socket-addon';
import { logger } from '../../../runtime/logger';
import { PASS_NAME } from '../../filters/pass/pass';
import type { BackendFactory, BackendOptions, ProxyBackend } from '../backend';
import { CounterSync } from './counter-sync';
import { DNS_REFRESH_MS, endpointAddresses, nativeEndpoints, resolveNames } from './endpoint-table';

const log = logger('backend-socket');

/** Filters the workers can run today without the native engine: those that change nothing. */
const NO_OP_FILTERS = new Set([PASS_NAME]);

function checkFilters(config: Config): void {
  const unsupported = config.filters.map((f) => f.name).filter((name) => !NO_OP_FILTERS.has(name));
  if (unsupported.length > 0) {
    throw new Error(`socket backend: filters need the native filter engine, which this build does not run yet: ${unsupported.join(', ')}`);
  }
}

class SocketBackend implements ProxyBackend {
  readonly kind = 'socket' as const;
  private readonly counters: CounterSync;
  private addresses: readonly EndpointAddress[] = [];
  private resolved = new Map<string, string>();
  private dnsTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private stopped = false;

  constructor(
    private readonly native: NativeSocketBackend,
    options: BackendOptions,
  ) {
    this.counters = new CounterSync(native, options.metrics);
    options.metrics.onScrape(() => {
      if (!this.stopped) this.counters.sync();
    });
  }

  describe(): Record<string, unknown> {
    const d = this.native.describe();
    return { backend: 'socket', listen: `[::]:${d.port}`, workers: d.workers, batch: d.batch, sessions: this.sessionCount() };
  }

  applyConfig(config: Config): void {
    if (this.stopped) throw new Error('socket backend: applyConfig after stop');
    checkFilters(config);
    this.addresses = endpointAddresses(config);
    this.native.applyEndpoints(nativeEndpoints(this.addresses, this.resolved));
    this.generation++;
    this.scheduleDns();
  }

  sessionCount(): number {
    return this.native.sessionCount();
  }

  /** Resolves host names now and every DNS_REFRESH_MS while the config has any, then republishes. */
  private scheduleDns(): void {
    clearInterval(this.dnsTimer);
    this.dnsTimer = undefined;
    if (!this.addresses.some((a) => a.kind === 'dns')) return;
    const refresh = (): void => void this.refreshNames();
    refresh();
    this.dnsTimer = setInterval(refresh, DNS_REFRESH_MS);
    this.dnsTimer.unref();
  }

  private async refreshNames(): Promise<void> {
    const generation = this.generation;
    const { resolved, failures } = await resolveNames(this.addresses);
    for (const f of failures) log.warn({ host: f.host, error: f.error }, 'endpoint name did not resolve; its packets are dropped as io');
    // A newer config may have arrived while we waited; its own refresh covers it.
    if (this.stopped || generation !== this.generation) return;
    this.resolved = resolved;
    this.native.applyEndpoints(nativeEndpoints(this.addresses, resolved));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.dnsTimer);
    this.native.stop();
    // The workers closed their sessions on the way out; report those and the last packets.
    this.counters.sync();
    this.stopped = true;
  }
}

/** Starts the native workers. Throws an Error saying exactly why when the addon or a socket is unavailable. */
export const createSocketBackend: BackendFactory = async (options, initial) => {
  const { addon, error } = loadNative();
  if (!addon) throw new Error(`socket backend: native addon did not load: ${error?.message ?? 'unknown reason'}`);
  if (typeof addon.socket?.SocketBackend !== 'function') throw new Error('socket backend: the loaded addon has no socket part (rebuild with npm run build:native)');
  checkFilters(initial);
  const addresses = endpointAddresses(initial);
  const native = new addon.socket.SocketBackend({
    port: options.port,
    workers: options.workers,
    sessionTimeoutMs: Math.round(options.sessionTimeoutSecs * 1000),
    maxSessions: options.maxSessions,
    endpoints: nativeEndpoints(addresses, new Map()),
  });
  const backend = new SocketBackend(native, options);
  backend.applyConfig(initial);
  log.info(backend.describe(), 'socket backend started');
  return backend;
};
