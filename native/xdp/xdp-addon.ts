// SPDX-License-Identifier: Apache-2.0
// The TypeScript view of the AF_XDP part of the addon (native/xdp/binding.cc).
import type { HistogramCells, NativeEngine } from '../engine/engine-addon';

export type { NativeEngine };

export type XdpAttachMode = 'auto' | 'native' | 'generic';

export interface NativeXdpOptions {
  readonly interface: string;
  /** Two-armed: interfaces the program is also attached to, for the fast path alone. */
  readonly forwardInterfaces?: readonly string[];
  /** Absolute path of bpf/obj/xdp_redirect.bpf.o. */
  readonly bpfObject: string;
  readonly attachMode: XdpAttachMode;
  /** 0 = every rx queue of the interface. */
  readonly queues: number;
  /** Fail instead of binding in copy mode. */
  readonly zerocopy: boolean;
  /** UMEM frames per queue (2 KiB each). */
  readonly umemFrames: number;
  readonly listenPort: number;
  readonly qcmpPort: number;
  readonly sessionPortMin: number;
  readonly sessionPortMax: number;
  readonly maxSessions: number;
  readonly sessionTimeoutMs: number;
  /** Idle time after which a session no endpoint has answered expires (at most sessionTimeoutMs). */
  readonly unrepliedTimeoutMs: number;
  /** Sessions per client IP; 0 = no cap. */
  readonly maxSessionsPerSource: number;
  /** `--xdp.fast-path`: auto lets the program forward established sessions when the chain lowers; off never. */
  readonly fastPath: 'auto' | 'off';
}

/** Sums over every worker. Index 0 of each pair is `read` (to endpoints), 1 is `write` (to clients). */
export interface XdpTotals {
  readonly packets: readonly [number, number];
  readonly bytes: readonly [number, number];
  /** Sent through a kernel socket because the endpoint is not behind the attached interface. */
  readonly offlink: readonly [number, number];
  /** Of packets/bytes: what the in-kernel fast path sent (read, write). */
  readonly fastPackets: readonly [number, number];
  readonly fastBytes: readonly [number, number];
  /** [direction][drop reason id from data-plane/drop_reasons.json] */
  readonly drops: readonly [readonly number[], readonly number[]];
  readonly sessionsCreated: number;
  readonly sessionsClosed: number;
  /** Unreplied sessions evicted to make room for new ones (also counted in sessionsClosed). */
  readonly sessionsEvicted: number;
  /** Session lifetimes that did not fit the ring before JS drained it (not in the histogram). */
  readonly durationsLost: number;
  /** Ring and socket counters of the workers and the kernel's XDP_STATISTICS. */
  readonly xsk: Readonly<Record<XskCounterName, number>>;
}

export type XskCounterName =
  | 'rxPackets'
  | 'rxBytes'
  | 'qcmpReplies'
  | 'copies'
  | 'txKicks'
  | 'txKickRetries'
  | 'txKickErrors'
  | 'txRingFull'
  | 'rxWakeups'
  | 'fillShort'
  | 'umemExhausted'
  | 'kernelRxDropped'
  | 'kernelRxInvalid'
  | 'kernelTxInvalid'
  | 'kernelRxRingFull'
  | 'kernelFillRingEmpty'
  | 'kernelTxRingEmpty';

/** One record of the program's event ring (struct qk_xdp_event). */
export interface XdpEvent {
  readonly kind: number;
  readonly reason: number;
  readonly ifindex: number;
  readonly rxQueue: number;
  readonly frameLen: number;
  readonly offset: number;
  readonly ethProto: number;
}

export interface XdpDescription {
  readonly interface: string;
  readonly forwardInterfaces: readonly string[];
  readonly ifindex: number;
  readonly mode: 'native' | 'generic' | 'detached';
  readonly zerocopy: boolean;
  readonly queues: number;
  readonly progId: number;
  readonly running: boolean;
  /** Every detection step, in order, with its outcome. */
  readonly steps: readonly string[];
}

/** One bank of a lowered chain as the addon takes it (a structural subset of LoweredImage). */
export interface FastImage {
  readonly bank: number;
  readonly header: { readonly key: Buffer; readonly value: Buffer };
  readonly steps: ReadonlyArray<{ readonly key: Buffer; readonly value: Buffer }>;
  readonly endpoints: ReadonlyArray<{ readonly key: Buffer; readonly value: Buffer }>;
  readonly tokens: ReadonlyArray<{ readonly key: Buffer; readonly value: Buffer }>;
  readonly firewall: ReadonlyArray<{ readonly key: Buffer; readonly value: Buffer }>;
}

export interface NativeXdpBackend {
  describe(): XdpDescription;
  totals(): XdpTotals;
  /** Per-CPU sums of the program's counters, indexed by enum qk_counter_index (bpf/abi.ts). */
  bpfCounters(): { packets: number[]; bytes: number[] };
  /**
   * quilkin_packets_processing_duration_seconds of every worker, [read, write]: buckets per bound of
   * engine.processingBounds() then +Inf, sum in seconds. QCMP pings are not counted. Monotonic;
   * readable after stop().
   */
  processing(): [HistogramCells, HistogramCells];
  /** quilkin_packet_jitter [read, write] in nanoseconds, as a worker set it last; null until then. */
  jitter(): [number | null, number | null];
  drainEvents(): XdpEvent[];
  sessionCount(): number;
  /** Lifetimes in whole seconds (creation to expiry) of the sessions closed since the last call. */
  drainDurations(): number[];
  /** The first endpoint sent through the off-link path ("ip port N"), or "" if none. */
  offlinkNote(): string;
  /** Re-reads the interface's addresses into the program's map; true when they changed. Throws on a map error. */
  syncLocalAddrs(): boolean;
  /** The bank the next fastLoad image must be built for; -1 when the object has no fast path. */
  fastIdleBank(): number;
  /** Writes a lowered chain (data-plane/compiler/lower.ts image) into the idle bank and switches packets to it. Throws with the map that failed. */
  fastLoad(image: FastImage, generation: number): void;
  /** Packets stop entering the fast path (the chain is not lowerable, or --xdp.fast-path off). */
  fastDisable(): void;
  /** The fast path's cells (round-robin positions, Match counts) summed over CPUs. */
  fastCells(): number[];
  /** Joins the workers, closes the sockets and detaches the program; idempotent. */
  stop(): void;
}

/** Thrown by the constructor: the message names the failed step; `steps` lists all that ran. */
export interface XdpStartError extends Error {
  readonly steps?: readonly string[];
}

/** The engine object the workers run (native/engine/binding.cc), as far as this part uses it. */

export interface XdpAddon {
  readonly XdpBackend: new (options: NativeXdpOptions, engine: NativeEngine) => NativeXdpBackend;
}
