// SPDX-License-Identifier: Apache-2.0
// The native socket backend: C++ worker threads (native/socket) own the packet loop with
// SO_REUSEPORT sockets and recvmmsg/sendmmsg, running the native filter engine's chain.
// This side compiles configs into engine generations and moves the workers' counters into
// the Quilkin metrics on scrape. JavaScript never touches a packet.
import type { Config } from '../../../config/model';
import { type NativeEngine, loadEngine } from '../../../native/engine/engine-addon';
import { loadNative } from '../../../native/index';
import type { NativeSocketBackend } from '../../../native/socket/socket-addon';
import { logger } from '../../../runtime/logger';
import type { SlotInfo } from '../../compiler/description';
import type { FilterRegistry } from '../../filters/registry';
import type { BackendFactory, BackendOptions, ProxyBackend } from '../backend';
import { CounterSync } from './counter-sync';
import { EngineFilterMetrics, publishChain } from '../engine-filter-metrics';
import { EngineDebugLog } from './engine-debug-log';
import { SessionPressureLog } from './session-pressure';
import { DNS_REFRESH_MS, hostNames, resolveNames, withResolvedNames } from './endpoint-table';

const log = logger('backend-socket');
/** The engine keeps per-worker state in fixed tables of this many workers. */
const MAX_WORKERS = 64;
/** Unanswered sessions make way quickly (conntrack's "unreplied" state is the model). */
export const DEFAULT_UNREPLIED_SESSION_TIMEOUT_SECS = 5;

/** Compiles a config (names replaced by their resolved IPs) and swaps it in; throws CompileError or the engine's message. */
function publish(engine: NativeEngine, config: Config, resolved: ReadonlyMap<string, string>, registry: FilterRegistry, filters?: EngineFilterMetrics): readonly SlotInfo[] {
  return publishChain(engine, config.filters, withResolvedNames(config.clusters, resolved), registry, filters).slots;
}

class SocketBackend implements ProxyBackend {
  readonly kind = 'socket' as const;
  private readonly counters: CounterSync;
  private readonly debugLog: EngineDebugLog;
  private readonly removeProcessing: () => void;
  private readonly removeJitter: () => void;
  private readonly filterMetrics: EngineFilterMetrics;
  private readonly pressure: SessionPressureLog;
  private config: Config;
  private resolved = new Map<string, string>();
  private dnsTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly native: NativeSocketBackend,
    private readonly engine: NativeEngine,
    private readonly registry: FilterRegistry,
    options: BackendOptions,
    initial: Config,
    slots: readonly SlotInfo[],
  ) {
    this.config = initial;
    this.counters = new CounterSync(native, options.metrics);
    this.debugLog = new EngineDebugLog(engine, log);
    this.debugLog.follow(slots);
    this.filterMetrics = new EngineFilterMetrics(engine, options.metrics, slots);
    options.metrics.onScrape(() => {
      if (this.stopped) return;
      this.counters.sync();
      this.filterMetrics.sync();
    });
    this.removeProcessing = options.metrics.addNativeProcessing(() => native.processing());
    this.removeJitter = options.metrics.addNativeJitter(() => native.jitter());
    const { sessionLimit } = native.describe();
    this.pressure = new SessionPressureLog(() => native.totals(), log, { sessionLimit, maxSessionsPerSource: options.maxSessionsPerSource ?? 0 });
    this.scheduleDns();
  }

  describe(): Record<string, unknown> {
    const d = this.native.describe();
    return {
      backend: 'socket',
      listen: `[::]:${d.port}`,
      workers: d.workers,
      batch: d.batch,
      sessions: this.sessionCount(),
      sessionLimit: d.sessionLimit,
      fileLimit: d.fileLimit,
      filesReserved: d.filesReserved,
    };
  }

  applyConfig(config: Config): void {
    if (this.stopped) throw new Error('socket backend: applyConfig after stop');
    this.debugLog.follow(publish(this.engine, config, this.resolved, this.registry, this.filterMetrics));
    this.config = config;
    this.scheduleDns();
  }

  sessionCount(): number {
    return this.native.sessionCount();
  }

  /** Resolves host names now and every DNS_REFRESH_MS while the config has any, then republishes. */
  private scheduleDns(): void {
    clearInterval(this.dnsTimer);
    this.dnsTimer = undefined;
    if (hostNames(this.config.clusters).length === 0) return;
    const refresh = (): void => void this.refreshNames();
    refresh();
    this.dnsTimer = setInterval(refresh, DNS_REFRESH_MS);
    this.dnsTimer.unref();
  }

  private async refreshNames(): Promise<void> {
    const config = this.config;
    const { resolved, failures } = await resolveNames(hostNames(config.clusters));
    for (const f of failures) log.warn({ host: f.host, error: f.error }, 'endpoint name did not resolve; sends to it are dropped as no route');
    // A newer config may have arrived while we waited; its own refresh covers it.
    if (this.stopped || config !== this.config) return;
    this.resolved = resolved;
    try {
      publish(this.engine, config, resolved, this.registry, this.filterMetrics);
    } catch (err) {
      log.warn({ error: (err as Error).message }, 'could not republish the config with resolved endpoint names');
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.dnsTimer);
    this.native.stop();
    this.debugLog.stop();
    this.pressure.check();
    this.pressure.stop();
    // The workers closed their sessions on the way out; report those and the last packets.
    this.counters.sync();
    this.removeProcessing();
    this.removeJitter();
    this.filterMetrics.stop();
    this.stopped = true;
  }
}

/** Starts the native workers. Throws an Error saying exactly why when the addon, the config or a socket is unusable. */
export const createSocketBackend: BackendFactory = async (options, initial) => {
  const { addon, error } = loadNative();
  if (!addon) throw new Error(`socket backend: native addon did not load: ${error?.message ?? 'unknown reason'}`);
  if (typeof addon.socket?.SocketBackend !== 'function') throw new Error('socket backend: the loaded addon has no socket part (rebuild with npm run build:native)');
  if (options.workers < 1 || options.workers > MAX_WORKERS) throw new Error(`socket backend: workers must be 1..${MAX_WORKERS}, got ${options.workers}`);
  const { engine: enginePart } = loadEngine();
  if (typeof enginePart?.Engine !== 'function') throw new Error('socket backend: the loaded addon has no engine part (rebuild with npm run build:native)');
  const engine = new enginePart.Engine(options.workers);
  // Names resolve in the background; until then sends to them count as `no route`.
  const slots = publish(engine, initial, new Map(), options.registry);
  const native = new addon.socket.SocketBackend({
    port: options.port,
    workers: options.workers,
    sessionTimeoutMs: Math.round(options.sessionTimeoutSecs * 1000),
    unrepliedTimeoutMs: Math.round(Math.min(options.unrepliedSessionTimeoutSecs ?? DEFAULT_UNREPLIED_SESSION_TIMEOUT_SECS, options.sessionTimeoutSecs) * 1000),
    maxSessions: options.maxSessions,
    maxSessionsPerSource: options.maxSessionsPerSource ?? 0,
    engine,
  });
  const backend = new SocketBackend(native, engine, options.registry, options, initial, slots);
  log.info(backend.describe(), 'socket backend started');
  return backend;
};
