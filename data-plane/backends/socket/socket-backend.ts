// SPDX-License-Identifier: Apache-2.0
// The native socket backend: C++ worker threads (native/socket) own the packet loop with
// SO_REUSEPORT sockets and recvmmsg/sendmmsg, running the native filter engine's chain.
// This side publishes compiled configs into the engine and moves the workers' counters into
// the Quilkin metrics on scrape. JavaScript never touches a packet.
import { type NativeEngine, loadEngine } from '../../../native/engine/engine-addon';
import { loadNative } from '../../../native/index';
import type { NativeSocketBackend, SocketBackendOptions } from '../../../native/socket/socket-addon';
import { logger } from '../../../runtime/logger';
import type { Compiled } from '../../compiler/compile';
import type { BackendFactory, BackendOptions, PreparedConfig, ProxyBackend } from '../backend';
import { EnginePublisher, type EnginePrepared } from '../engine-publisher';
import { CounterSync } from './counter-sync';
import { SessionPressureLog } from './session-pressure';

const log = logger('backend-socket');
/** The engine keeps per-worker state in fixed tables of this many workers. */
const MAX_WORKERS = 64;
/** Unanswered sessions make way quickly (conntrack's "unreplied" state is the model). */
export const DEFAULT_UNREPLIED_SESSION_TIMEOUT_SECS = 5;

class SocketBackend implements ProxyBackend {
  readonly kind = 'socket' as const;
  private readonly counters: CounterSync;
  private readonly removeProcessing: () => void;
  private readonly removeJitter: () => void;
  private readonly pressure: SessionPressureLog;
  private stopped = false;

  constructor(
    private readonly native: NativeSocketBackend,
    private readonly publisher: EnginePublisher,
    private readonly options: BackendOptions,
  ) {
    this.counters = new CounterSync(native, options.metrics);
    options.metrics.onScrape(() => {
      if (this.stopped) return;
      this.counters.sync();
      this.publisher.sync();
    });
    this.removeProcessing = options.metrics.addNativeProcessing(() => native.processing());
    this.removeJitter = options.metrics.addNativeJitter(() => native.jitter());
    const { sessionLimit } = native.describe();
    this.pressure = new SessionPressureLog(() => native.totals(), log, { sessionLimit, maxSessionsPerSource: options.maxSessionsPerSource ?? 0 });
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
      ...describeSessionLimits(this.options),
      fileLimit: d.fileLimit,
      filesReserved: d.filesReserved,
    };
  }

  prepare(compiled: Compiled): EnginePrepared {
    if (this.stopped) throw new Error('socket backend: prepare after stop');
    return this.publisher.prepare(compiled);
  }

  publish(prepared: PreparedConfig): void {
    if (this.stopped) throw new Error('socket backend: publish after stop');
    this.publisher.publish(prepared);
  }

  sessionCount(): number {
    return this.native.sessionCount();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.native.stop();
    this.publisher.stop();
    this.pressure.check();
    this.pressure.stop();
    // The workers closed their sessions on the way out; report those and the last packets.
    this.counters.sync();
    this.removeProcessing();
    this.removeJitter();
    this.stopped = true;
  }
}

/** Session timeouts and caps as the native workers take them (socket workers and proxy xdp's AF_XDP ones). */
export function sessionLimits(options: BackendOptions): {
  sessionTimeoutMs: number;
  unrepliedTimeoutMs: number;
  maxSessions: number;
  maxSessionsPerSource: number;
} {
  return {
    sessionTimeoutMs: Math.round(options.sessionTimeoutSecs * 1000),
    unrepliedTimeoutMs: Math.round(Math.min(options.unrepliedSessionTimeoutSecs ?? DEFAULT_UNREPLIED_SESSION_TIMEOUT_SECS, options.sessionTimeoutSecs) * 1000),
    maxSessions: options.maxSessions,
    maxSessionsPerSource: options.maxSessionsPerSource ?? 0,
  };
}

/** What /config shows of the session limits. */
export function describeSessionLimits(options: BackendOptions): Record<string, number> {
  const l = sessionLimits(options);
  return { unrepliedSessionTimeoutSecs: l.unrepliedTimeoutMs / 1000, maxSessionsPerSource: l.maxSessionsPerSource };
}

/** The native socket workers' options from the backend options (also proxy xdp's kernel-served workers). */
export function socketWorkerOptions(options: BackendOptions, workers: number, engine: NativeEngine): SocketBackendOptions {
  return { port: options.port, workers, ...sessionLimits(options), engine };
}

/** Starts the native workers. Throws an Error saying exactly why when the addon, the config or a socket is unusable. */
export const createSocketBackend: BackendFactory = async (options, initial) => {
  const { addon, error } = loadNative();
  if (!addon) throw new Error(`socket backend: native addon did not load: ${error?.message ?? 'unknown reason'}`);
  if (typeof addon.socket?.SocketBackend !== 'function')
    throw new Error('socket backend: the loaded addon has no socket part (rebuild with npm run build:native)');
  if (options.workers < 1 || options.workers > MAX_WORKERS) throw new Error(`socket backend: workers must be 1..${MAX_WORKERS}, got ${options.workers}`);
  const { engine: enginePart } = loadEngine();
  if (typeof enginePart?.Engine !== 'function') throw new Error('socket backend: the loaded addon has no engine part (rebuild with npm run build:native)');
  const engine: NativeEngine = new enginePart.Engine(options.workers);
  // The workers start with the initial generation in place: no packet sees an empty engine.
  const publisher = new EnginePublisher('socket', engine, options.metrics, log);
  publisher.publish(publisher.prepare(initial));
  const native = new addon.socket.SocketBackend(socketWorkerOptions(options, options.workers, engine));
  const backend = new SocketBackend(native, publisher, options);
  log.info(backend.describe(), 'socket backend started');
  return backend;
};
