// SPDX-License-Identifier: Apache-2.0
// Phoenix's measuring loop, as in Quilkin v0.9: the first round probes every datacenter, later
// rounds the unmeasured ones or else a random half; the pause between rounds adapts to the
// measured delays within [60 s, 600 s]. Bounded: at most `maxConcurrentProbes` pings in flight,
// each with its own timeout, and at most `maxNodes` datacenters tracked.
import { canonicalIpLiteral } from '../../config/address';
import type { Datacenter } from '../../config/model';
import { logger } from '../../runtime/logger';
import { nearestByIcao, PhoenixNode, renderLatencyJson } from './coordinates';
import type { Measurement } from './measurement';
import type { PhoenixMetrics } from './metrics';

const log = logger('phoenix');

export interface PhoenixTiming {
  /** Bounds of the pause between rounds; it starts at the lower one (Quilkin: 60 s .. 600 s). */
  readonly intervalRangeMs: readonly [number, number];
  /** Average round-trip below this lengthens the pause, above it shortens it (Quilkin: 50 ms). */
  readonly stabilityThresholdMs: number;
  /** Step by which the pause changes per round (Quilkin: 5 ms). */
  readonly adjustmentMs: number;
  /** Share of the datacenters re-measured per round once all have coordinates (Quilkin: 0.5). */
  readonly subsetPercentage: number;
  /** A datacenter that arrives is measured this soon instead of at the next round. */
  readonly newNodeDelayMs: number;
  /** Minimum time between the starts of two rounds, however often datacenters change. */
  readonly minRoundGapMs: number;
  readonly maxConcurrentProbes: number;
  readonly maxNodes: number;
}

export const DEFAULT_TIMING: PhoenixTiming = {
  intervalRangeMs: [60_000, 600_000],
  stabilityThresholdMs: 50,
  adjustmentMs: 5,
  subsetPercentage: 0.5,
  newNodeDelayMs: 250,
  minRoundGapMs: 1000,
  maxConcurrentProbes: 32,
  maxNodes: 4096,
};

export function validateTiming(t: PhoenixTiming): void {
  const [low, high] = t.intervalRangeMs;
  if (!(low > 0 && low < high)) throw new Error(`phoenix interval range ${low}..${high} ms must be increasing and positive`);
  if (!(t.subsetPercentage > 0 && t.subsetPercentage <= 1)) throw new Error(`phoenix subset percentage ${t.subsetPercentage} must be in (0, 1]`);
  if (!(t.maxConcurrentProbes >= 1 && t.maxNodes >= 1)) throw new Error('phoenix probe and node limits must be at least 1');
}

/** Node identity: the datacenter's QCMP address, one spelling per IP. */
function nodeKey(host: string, port: number): string {
  return `${canonicalIpLiteral(host)}|${port}`;
}

interface Tracked {
  readonly host: string;
  readonly port: number;
  readonly node: PhoenixNode;
}

/** Runs `tasks` with at most `limit` at a time. */
async function inBatches<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class Phoenix {
  private readonly nodes = new Map<string, Tracked>();
  private currentIntervalMs: number;
  private firstRound = true;
  private timer: NodeJS.Timeout | undefined;
  private nextRoundAt = 0;
  private lastRoundStart = -Infinity;
  private round: Promise<void> | undefined;
  private stopped = false;
  private json = '{}';
  private skippedWarned = false;

  constructor(
    private readonly measurement: Measurement,
    private readonly metrics: PhoenixMetrics,
    private readonly timing: PhoenixTiming = DEFAULT_TIMING,
    private readonly random: () => number = Math.random,
  ) {
    validateTiming(timing);
    this.currentIntervalMs = timing.intervalRangeMs[0];
  }

  /** The current HTTP document (always valid JSON). */
  get document(): string {
    return this.json;
  }

  get intervalMs(): number {
    return this.currentIntervalMs;
  }

  /**
   * Makes the tracked set equal to `datacenters`: new ones are added (and measured soon), gone
   * ones dropped with their metrics (v0.9 keeps them forever), a changed ICAO code restarts the node.
   */
  setDatacenters(datacenters: readonly Datacenter[]): void {
    const wanted = new Map<string, Datacenter>();
    for (const dc of datacenters) {
      if (wanted.size >= this.timing.maxNodes) break;
      wanted.set(nodeKey(dc.host, dc.qcmpPort), dc);
    }
    const skipped = datacenters.length - wanted.size;
    if (skipped > 0 && !this.skippedWarned) {
      this.skippedWarned = true;
      log.warn({ datacenters: datacenters.length, limit: this.timing.maxNodes }, 'more datacenters than phoenix tracks; the rest are not measured');
    }
    const icaosBefore = new Set([...this.nodes.values()].map((t) => t.node.icaoCode));
    let added = 0;
    for (const [key, tracked] of this.nodes) {
      const dc = wanted.get(key);
      if (!dc || dc.icaoCode !== tracked.node.icaoCode) this.nodes.delete(key);
    }
    for (const [key, dc] of wanted) {
      if (this.nodes.has(key)) continue;
      const node = new PhoenixNode(dc.icaoCode);
      this.nodes.set(key, { host: dc.host, port: dc.qcmpPort, node });
      this.metrics.nodeAdded(node);
      added++;
    }
    const icaosAfter = new Set([...this.nodes.values()].map((t) => t.node.icaoCode));
    for (const icao of icaosBefore) if (!icaosAfter.has(icao)) this.metrics.icaoGone(icao);
    this.publish();
    if (added > 0 && !this.firstRound) this.pullRoundForward();
    log.debug({ tracked: this.nodes.size, added }, 'phoenix datacenters updated');
  }

  /** Starts the loop: the first round at once, as in v0.9. */
  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
    await this.measurement.close();
    this.metrics.taskClosed.set(1);
  }

  /** One round, exposed for tests; the loop calls it on its schedule. */
  async runRound(): Promise<void> {
    this.lastRoundStart = Date.now();
    const probe = this.firstRound ? [...this.nodes.values()] : this.nextSubset();
    this.firstRound = false;
    let totalNs = 0;
    let count = 0;
    await inBatches(probe, this.timing.maxConcurrentProbes, async (t) => {
      try {
        const measure = await this.measurement.measure(t.host, t.port);
        if (!this.isTracked(t)) return; // removed while the ping was in flight
        t.node.adjust(measure);
        this.metrics.measured(t.node, measure);
        totalNs += measure.incomingNs + measure.outgoingNs;
        count++;
      } catch (err) {
        if (!this.isTracked(t) || this.stopped) return;
        t.node.recordError();
        this.metrics.failed(t.node);
        log.warn({ address: `${t.host}:${t.port}`, icao: t.node.icaoCode, err: (err as Error).message }, 'error measuring distance');
      }
    });
    if (count > 0) {
      const averageMs = Math.trunc(totalNs / count) / 1e6;
      const step = averageMs < this.timing.stabilityThresholdMs ? this.timing.adjustmentMs : -this.timing.adjustmentMs;
      const [low, high] = this.timing.intervalRangeMs;
      this.currentIntervalMs = Math.min(high, Math.max(low, this.currentIntervalMs + step));
    }
    this.publish();
  }

  private isTracked(t: Tracked): boolean {
    return this.nodes.get(nodeKey(t.host, t.port)) === t;
  }

  /** Unmeasured datacenters if there are any, else a random `subsetPercentage` of all (at least one). */
  private nextSubset(): Tracked[] {
    const all = [...this.nodes.values()];
    const unmapped = all.filter((t) => t.node.coordinates === undefined);
    if (unmapped.length > 0) return unmapped;
    // v0.9 truncates, which re-measures nothing when there is a single datacenter; take at least one.
    const size = Math.min(all.length, Math.max(1, Math.floor(all.length * this.timing.subsetPercentage)));
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [all[i], all[j]] = [all[j], all[i]];
    }
    return all.slice(0, size);
  }

  private publish(): void {
    this.json = renderLatencyJson(nearestByIcao([...this.nodes.values()].map((t) => t.node)));
  }

  private pullRoundForward(): void {
    const at = Math.max(Date.now() + this.timing.newNodeDelayMs, this.lastRoundStart + this.timing.minRoundGapMs);
    if (this.round || at >= this.nextRoundAt) return; // a running round reschedules; an earlier one is already set
    this.schedule(at - Date.now());
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.nextRoundAt = Date.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.round = this.runRound().finally(() => {
        this.round = undefined;
        const unmeasuredArrived = [...this.nodes.values()].some((t) => t.node.coordinates === undefined && t.node.errorEstimate === 1);
        this.schedule(unmeasuredArrived ? Math.max(this.timing.minRoundGapMs, this.timing.newNodeDelayMs) : this.currentIntervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }
}
