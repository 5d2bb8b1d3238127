// SPDX-License-Identifier: Apache-2.0
// What the proxy needs from a data path backend (js: node dgram; socket: native mmsg workers; xdp: AF_XDP).
import type { QuilkinMetrics } from '../../runtime/metrics';
import type { Compiled } from '../compiler/compile';
import type { FilterRegistry } from '../filters/registry';

export type BackendKind = 'js' | 'socket' | 'xdp';

export interface BackendOptions {
  /** UDP port for game traffic, bound dual-stack on [::]. */
  readonly port: number;
  /** Number of receive workers (threads for native backends, sockets for js). */
  readonly workers: number;
  /** Session idle timeout in seconds (Quilkin: 60). */
  readonly sessionTimeoutSecs: number;
  /** Upper bound on concurrent sessions; new ones beyond it are dropped and counted. */
  readonly maxSessions: number;
  /** Idle timeout of a session no endpoint has answered yet (socket backend; default 5 s). */
  readonly unrepliedSessionTimeoutSecs?: number;
  /** Upper bound on concurrent sessions from one client IP; 0 or absent = none (socket backend). */
  readonly maxSessionsPerSource?: number;
  /** QCMP port (the xdp backend answers QCMP in its own loop, since the kernel never sees those packets). */
  readonly qcmpPort: number;
  /** Only for `quilkin proxy xdp`. */
  readonly xdp?: XdpBackendOptions;
  readonly metrics: QuilkinMetrics;
  readonly registry: FilterRegistry;
}

export interface XdpBackendOptions {
  /** Interface to attach to; default: the interface of the default route. */
  readonly interface?: string;
  /** NIC queues to serve; default: all. */
  readonly queues?: number;
  /** Require zero-copy (fail instead of copy mode). */
  readonly zerocopy: boolean;
  /** UMEM frames per queue (2 KiB each): the memory cap. */
  readonly umemFrames: number;
  /** Fail instead of falling back to the socket backend. */
  readonly force: boolean;
  /** XDP attach mode: auto (native, then generic), native or generic. */
  readonly mode?: 'auto' | 'native' | 'generic';
  /** Session ports as MIN-MAX; default: every port above the kernel's ephemeral range. */
  readonly sessionPorts?: string;
  /** Two-armed: interfaces the fast path also forwards through (the program attached there too). */
  readonly forwardInterfaces?: readonly string[];
  /** In-kernel fast path: auto (when the chain lowers) or off; default auto. */
  readonly fastPath?: XdpFastPathSetting;
}

export type XdpFastPathSetting = 'auto' | 'off';

/** A compiled config built into what one backend runs, not yet running. Only its backend can publish it. */
export interface PreparedConfig {
  readonly backend: BackendKind;
  readonly compiled: Compiled;
}

/** A running data path. Config changes are applied without dropping established sessions. */
export interface ProxyBackend {
  readonly kind: BackendKind;
  /** Human-readable facts for logs and /config (bound addresses, mode, workers, fallback reasons). */
  describe(): Record<string, unknown>;
  /**
   * The last step of the compile stage, before the store commits: builds the backend's own form of
   * a compiled config (a TypeScript chain, a native engine generation) without swapping anything in.
   * Throws, naming the reason, when this data path cannot run it.
   */
  prepare(compiled: Compiled): PreparedConfig;
  /** Swaps a prepared config in atomically: chain and endpoints together; sessions are untouched. */
  publish(prepared: PreparedConfig): void;
  /** Number of live sessions. */
  sessionCount(): number;
  /** Stops receiving, closes sockets and releases native resources. */
  stop(): Promise<void>;
}

/** Starts a backend running `initial` (prepared and published before it returns). */
export type BackendFactory = (options: BackendOptions, initial: Compiled) => Promise<ProxyBackend>;
