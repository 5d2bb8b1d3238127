// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy xdp`: our XDP program redirects the proxy's UDP ports into per-queue AF_XDP
// sockets; native worker threads (native/xdp) run the compiled filter chain on the frames in
// UMEM, rewrite them in place and transmit. This side detects what the host allows, publishes
// compiled configs into the engine, and moves counters into metrics. JavaScript never sees a packet.
import * as path from 'node:path';
import { XDP_OBJECTS } from '../../../bpf/abi';
import { loadNative } from '../../../native/index';
import type { NativeEngine, NativeXdpBackend, XdpAddon, XdpAttachMode, XdpStartError } from '../../../native/xdp/xdp-addon';
import { logger } from '../../../runtime/logger';
import type { Compiled } from '../../compiler/compile';
import type { BackendFactory, BackendOptions, PreparedConfig, ProxyBackend } from '../backend';
import { type EnginePrepared, EnginePublisher } from '../engine-publisher';
import type { NativeSocketBackend, SocketAddon } from '../../../native/socket/socket-addon';
import { combinedCounterSource, CounterSync } from '../socket/counter-sync';
import { SessionPressureLog } from '../socket/session-pressure';
import { describeSessionLimits, sessionLimits, socketWorkerOptions } from '../socket/socket-backend';
import { AttachmentClaims } from './attachment-state';
import { FastCellMetrics } from './fast-cells';
import { type FastPathStatus, fastPathStatus } from './fast-path';
import { type PortRange, readDefaultRouteInterface, readSessionPortRange } from './host-facts';
import { eventKind, eventReason, XdpMetrics } from './xdp-metrics';

const log = logger('backend-xdp');

/** Diagnostics and tests: force one attach mode instead of native-then-generic. */
export const ATTACH_MODE_ENV = 'QUILKIN_XDP_ATTACH_MODE';
const SYNC_INTERVAL_MS = 1000;

function bpfObjectPath(): string {
  // Compiled to dist/data-plane/backends/xdp/; the object is committed under bpf/obj/.
  return path.resolve(__dirname, '..', '..', '..', '..', XDP_OBJECTS.redirect);
}

/** `--xdp.mode` wins; the environment variable remains for harnesses that cannot pass flags. */
function attachMode(requested?: XdpAttachMode): XdpAttachMode {
  const value = requested ?? process.env[ATTACH_MODE_ENV] ?? 'auto';
  if (value === 'auto' || value === 'native' || value === 'generic') return value;
  throw new Error(`${ATTACH_MODE_ENV}=${value}: expected auto, native or generic`);
}

class XdpBackend implements ProxyBackend {
  readonly kind = 'xdp' as const;
  private readonly counters: CounterSync;
  private readonly xdpMetrics: XdpMetrics;
  private readonly timer: NodeJS.Timeout;
  private readonly removeProcessing: () => void;
  private readonly removeJitter: () => void;
  private readonly pressure: SessionPressureLog;
  private readonly seenEvents = new Set<string>();
  private offlinkLogged = false;
  private stopped = false;
  private fastPath: FastPathStatus;
  private readonly fastCells: FastCellMetrics;

  constructor(
    private readonly native: NativeXdpBackend,
    /** Socket workers on the same port: what XDP passes to the kernel (fragments, VLAN, IPv6 extension headers, jumbo frames). */
    private readonly kernelServed: NativeSocketBackend,
    private readonly publisher: EnginePublisher,
    private readonly options: BackendOptions,
    private readonly ports: PortRange,
    private readonly state: AttachmentClaims,
    initial: Compiled,
  ) {
    this.fastCells = new FastCellMetrics(options.metrics);
    this.fastPath = this.applyFastPath(initial, 0);
    this.counters = new CounterSync(combinedCounterSource([native, kernelServed]), options.metrics);
    this.xdpMetrics = new XdpMetrics(options.metrics.registry);
    options.metrics.onScrape(() => this.sync());
    this.timer = setInterval(() => this.sync(), SYNC_INTERVAL_MS);
    const removeXsk = options.metrics.addNativeProcessing(() => native.processing());
    const removeSocket = options.metrics.addNativeProcessing(() => kernelServed.processing());
    this.removeProcessing = () => (removeXsk(), removeSocket());
    // The AF_XDP workers' inter-arrival gap: the kernel-served path only takes the exceptions.
    this.removeJitter = options.metrics.addNativeJitter(() => native.jitter());
    this.timer.unref();
    // Drops are engine-wide (one engine under both paths): taken once, from the AF_XDP side.
    this.pressure = new SessionPressureLog(
      () => {
        const x = native.totals();
        const k = kernelServed.totals();
        return { drops: x.drops, errors: k.errors, sessionsEvicted: x.sessionsEvicted + k.sessionsEvicted };
      },
      log,
      { sessionLimit: options.maxSessions, maxSessionsPerSource: options.maxSessionsPerSource ?? 0 },
    );
  }

  describe(): Record<string, unknown> {
    const d = this.native.describe();
    return {
      backend: 'xdp',
      listen: `[::]:${this.options.port}`,
      interface: d.interface,
      ...(d.forwardInterfaces.length ? { forwardInterfaces: d.forwardInterfaces } : {}),
      xdpMode: d.mode,
      zerocopy: d.zerocopy,
      bind: d.zerocopy ? 'zero-copy' : 'copy',
      queues: d.queues,
      progId: d.progId,
      qcmpPort: this.options.qcmpPort,
      sessionPorts: `${this.ports.min}-${this.ports.max}`,
      sessions: this.sessionCount(),
      sessionLimit: this.options.maxSessions,
      ...describeSessionLimits(this.options),
      kernelServed: { workers: this.kernelServed.describe().workers, sessions: this.kernelServed.sessionCount() },
      detection: d.steps,
      fastPath: this.fastPath,
    };
  }

  prepare(compiled: Compiled): EnginePrepared {
    if (this.stopped) throw new Error('xdp backend: prepare after stop');
    return this.publisher.prepare(compiled);
  }

  publish(prepared: PreparedConfig): void {
    if (this.stopped) throw new Error('xdp backend: publish after stop');
    const { generation } = this.publisher.publish(prepared);
    log.debug({ generation }, 'engine generation published');
    const fastPath = this.applyFastPath(prepared.compiled, generation);
    if (fastPath.tier !== this.fastPath.tier || fastPath.reason !== this.fastPath.reason) log.info({ generation, fastPath }, 'fast path tier changed');
    this.fastPath = fastPath;
  }

  sessionCount(): number {
    return this.native.sessionCount() + this.kernelServed.sessionCount();
  }

  /**
   * Loads the lowered chain into the XDP program's idle bank and switches to it (map writes, no
   * reload), or turns the fast path off when the chain stays in user space. A load that fails
   * leaves every packet to the AF_XDP workers, which run every chain, and says why.
   */
  private applyFastPath(compiled: Compiled, generation: number): FastPathStatus {
    let status = fastPathStatus(compiled, this.options.xdp?.fastPath ?? 'auto');
    const lowering = status.tier === 'kernel' ? compiled.kernelChain() : undefined;
    if (lowering?.lowerable) {
      const bank = this.native.fastIdleBank();
      if (bank !== 0 && bank !== 1) {
        status = { tier: 'user space', reason: 'the XDP object has no fast path maps' };
      } else {
        try {
          this.fastCells.sync(() => this.native.fastCells()); // the old chain's counts, before the load zeroes them
          this.native.fastLoad(lowering.chain.image(bank), generation);
          this.fastCells.follow(lowering.chain, compiled.nativeChain().slots);
        } catch (err) {
          status = { tier: 'user space', reason: `fast path load failed: ${(err as Error).message}` };
        }
      }
    }
    if (status.tier !== 'kernel') {
      this.fastCells.sync(() => this.native.fastCells());
      this.native.fastDisable();
    }
    return status;
  }

  private sync(): void {
    if (this.stopped) return;
    this.followAddresses();
    this.counters.sync();
    this.publisher.sync();
    this.fastCells.sync(() => this.native.fastCells());
    for (const e of this.xdpMetrics.sync(this.native)) {
      const key = `${eventKind(e.kind)}:${eventReason(e)}`;
      if (this.seenEvents.has(key)) continue;
      this.seenEvents.add(key);
      log.warn(
        { kind: eventKind(e.kind), reason: eventReason(e), offset: e.offset, frameLen: e.frameLen, rxQueue: e.rxQueue },
        'xdp program event (first of its kind; all are counted in quilkin_xdp_events_total)',
      );
    }
    const note = this.offlinkLogged ? '' : this.native.offlinkNote();
    if (note) {
      this.offlinkLogged = true;
      log.warn(
        { endpoint: note },
        'endpoint not reachable through the attached interface: its packets go through a kernel socket per session (counted in quilkin_xdp_kernel_path_packets_total)',
      );
    }
  }

  /** Addresses added to or removed from the interface reach the program's match set within a second. */
  private followAddresses(): void {
    try {
      if (this.native.syncLocalAddrs()) log.info({ interface: this.native.describe().interface }, 'interface addresses changed; local address map updated');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'interface addresses changed but the local address map could not follow');
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.timer);
    this.fastCells.sync(() => this.native.fastCells());
    this.native.stop();
    this.kernelServed.stop();
    this.publisher.stop();
    this.pressure.check();
    this.pressure.stop();
    this.counters.sync();
    this.xdpMetrics.sync(this.native);
    this.removeProcessing();
    this.removeJitter();
    this.stopped = true;
    this.state.release();
    log.info({ interface: this.native.describe().interface }, 'xdp program detached');
  }
}

function loadXdpAddon(): { xdp: XdpAddon; socket: SocketAddon; Engine: new (maxWorkers?: number) => NativeEngine } {
  const { addon, error } = loadNative();
  if (!addon) throw new Error(`native addon did not load: ${error?.message ?? 'unknown reason'}`);
  const xdp = (addon as unknown as { xdp?: XdpAddon }).xdp;
  if (typeof xdp?.XdpBackend !== 'function') throw new Error('the loaded addon has no xdp part (rebuild with npm run build:native)');
  if (typeof addon.socket?.SocketBackend !== 'function') throw new Error('the loaded addon has no socket part (rebuild with npm run build:native)');
  const Engine = addon.engine.Engine as new (maxWorkers?: number) => NativeEngine;
  return { xdp, socket: addon.socket, Engine };
}

/** Kernel-served frames are the exception: one socket worker serves them. */
const KERNEL_SERVED_WORKERS = 1;

/**
 * The listen port on ordinary sockets, with the same engine (so the same chain) as the AF_XDP
 * workers: what the program passes to the kernel on that port reaches the chain instead of an
 * ICMP port unreachable. Its upstream sockets use ephemeral ports, below the session port range
 * the program redirects, so their replies reach them.
 */
function startKernelServed(socket: SocketAddon, engine: NativeEngine, options: BackendOptions): NativeSocketBackend {
  return new socket.SocketBackend(socketWorkerOptions(options, KERNEL_SERVED_WORKERS, engine));
}

function startNative(xdp: XdpAddon, engine: NativeEngine, options: BackendOptions, ifname: string, ports: PortRange): NativeXdpBackend {
  const x = options.xdp;
  // The same session timeouts and cap as the kernel-served socket workers.
  const sessions = sessionLimits(options);
  try {
    return new xdp.XdpBackend(
      {
        interface: ifname,
        forwardInterfaces: x?.forwardInterfaces ?? [],
        bpfObject: bpfObjectPath(),
        attachMode: attachMode(x?.mode),
        queues: x?.queues ?? 0,
        zerocopy: x?.zerocopy ?? false,
        umemFrames: x?.umemFrames ?? 4096,
        listenPort: options.port,
        qcmpPort: options.qcmpPort,
        sessionPortMin: ports.min,
        sessionPortMax: ports.max,
        maxSessions: options.maxSessions,
        sessionTimeoutMs: sessions.sessionTimeoutMs,
        unrepliedTimeoutMs: sessions.unrepliedTimeoutMs,
        maxSessionsPerSource: sessions.maxSessionsPerSource,
        fastPath: x?.fastPath ?? 'auto',
      },
      engine,
    );
  } catch (err) {
    const steps = (err as XdpStartError).steps ?? [];
    for (const step of steps) log.info({ interface: ifname, step }, 'xdp detection');
    log.warn({ interface: ifname, failed: (err as Error).message }, 'xdp detection failed');
    throw err;
  }
}

/** Detects, attaches and starts the workers; throws an Error naming the step that failed. */
export const createXdpBackend: BackendFactory = async (options, initial) => {
  const { xdp, socket, Engine } = loadXdpAddon();
  const ifname = options.xdp?.interface ?? readDefaultRouteInterface();
  if (!ifname) throw new Error('no default route to take the interface from: pass --xdp.interface');
  const ports = readSessionPortRange(options.port, options.qcmpPort, options.xdp?.sessionPorts);
  const engine = new Engine();
  // The workers start with the initial generation in place: no frame sees an empty engine.
  const publisher = new EnginePublisher('xdp', engine, options.metrics, log);
  publisher.publish(publisher.prepare(initial));
  const state = new AttachmentClaims([ifname, ...(options.xdp?.forwardInterfaces ?? [])]);
  for (const [dev, pid] of state.claim()) log.warn({ interface: dev, pid }, 'previous proxy on this interface is gone; removing what it left attached');
  let native: NativeXdpBackend;
  let kernelServed: NativeSocketBackend;
  try {
    kernelServed = startKernelServed(socket, engine, options);
  } catch (err) {
    state.release();
    throw err;
  }
  try {
    native = startNative(xdp, engine, options, ifname, ports);
  } catch (err) {
    kernelServed.stop();
    state.release();
    throw err;
  }
  const backend = new XdpBackend(native, kernelServed, publisher, options, ports, state, initial);
  const d = native.describe();
  state.record({ progId: d.progId, mode: d.mode });
  for (const step of d.steps) log.info({ interface: ifname, step }, 'xdp detection');
  log.info(backend.describe(), 'xdp backend started');
  return backend;
};
