// SPDX-License-Identifier: Apache-2.0
// Moves the native workers' counters into the Quilkin metrics on scrape (socket and AF_XDP
// backends alike). The workers keep monotonic totals; this keeps the totals it has already
// reported and adds only the growth.
import { type Direction, GEO_LABELS_EMPTY, type QuilkinMetrics } from '../../../runtime/metrics';
import dropReasons from '../../drop_reasons.json';

const DIRECTIONS: readonly Direction[] = ['read', 'write'];
export const SESSION_LABELS = { ...GEO_LABELS_EMPTY, organization: '', country_code: '', prefix_entity: '', prefix_name: '' };
/** Quilkin labels a filter drop on the reply path with the function that ran the chain. */
const WRITE_FILTER_PREFIX = 'proxy::Session::process_recv_packet: ';

/** Labels by reason id (the one table, data-plane/drop_reasons.json). */
const LABELS: readonly string[] = (() => {
  const labels: string[] = [];
  for (const r of dropReasons.reasons) labels[r.id] = r.label;
  return labels;
})();

/** The `source`/`display` label of a drop reason id in a direction. */
export function dropLabel(direction: Direction, id: number): string {
  const label = LABELS[id] ?? `reason ${id}`;
  return direction === 'write' && label.startsWith('filter::') ? WRITE_FILTER_PREFIX + label : label;
}

/** What both native backends total; the AF_XDP workers count no `errors`. */
export interface NativeTotals {
  readonly packets: readonly [number, number];
  readonly bytes: readonly [number, number];
  /** [direction][drop reason id from data-plane/drop_reasons.json] */
  readonly drops: readonly [readonly number[], readonly number[]];
  readonly errors?: readonly [readonly number[], readonly number[]];
  readonly sessionsCreated: number;
}

export interface NativeCounterSource {
  totals(): NativeTotals;
  drainDurations(): number[];
  sessionCount(): number;
}

const sum = (a: readonly number[], b: readonly number[]): number[] => Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0));
const pair = (a: readonly [number, number], b: readonly [number, number]): [number, number] => [a[0] + b[0], a[1] + b[1]];

/**
 * Several native data paths on one engine reported as one (proxy xdp: the AF_XDP workers and the
 * kernel-served socket workers). Every drop is counted in the engine's worker counters, and each
 * path reports those engine-wide, so drops are taken once, from the first source.
 */
export function combinedCounterSource(sources: readonly NativeCounterSource[]): NativeCounterSource {
  return {
    totals: () =>
      sources
        .map((s) => s.totals())
        .reduce((a, b) => ({
          packets: pair(a.packets, b.packets),
          bytes: pair(a.bytes, b.bytes),
          drops: a.drops,
          errors: [sum(a.errors?.[0] ?? [], b.errors?.[0] ?? []), sum(a.errors?.[1] ?? [], b.errors?.[1] ?? [])],
          sessionsCreated: a.sessionsCreated + b.sessionsCreated,
        })),
    drainDurations: () => sources.flatMap((s) => s.drainDurations()),
    sessionCount: () => sources.reduce((n, s) => n + s.sessionCount(), 0),
  };
}

export class CounterSync {
  private last: NativeTotals | undefined;

  constructor(
    private readonly source: NativeCounterSource,
    private readonly metrics: QuilkinMetrics,
  ) {}

  /** Adds what changed since the previous call; call before each render and once after stop. */
  sync(): void {
    const now = this.source.totals();
    const before = this.last;
    const grew = (current: number, previous: number | undefined): number => current - (previous ?? 0);
    const m = this.metrics;
    DIRECTIONS.forEach((event, d) => {
      const packets = grew(now.packets[d], before?.packets[d]);
      if (packets > 0) m.packetsTotal.inc({ event, ...GEO_LABELS_EMPTY }, packets);
      const bytes = grew(now.bytes[d], before?.bytes[d]);
      if (bytes > 0) m.bytesTotal.inc({ event, ...GEO_LABELS_EMPTY }, bytes);
      now.drops[d].forEach((count, id) => {
        const delta = grew(count, before?.drops[d][id]);
        if (delta > 0) m.packetDropped(event, dropLabel(event, id), delta);
      });
      now.errors?.[d].forEach((count, id) => {
        const delta = grew(count, before?.errors?.[d][id]);
        if (delta > 0) m.error(event, dropLabel(event, id), delta);
      });
    });
    const created = grew(now.sessionsCreated, before?.sessionsCreated);
    if (created > 0) m.sessionTotal.inc(created);
    for (const seconds of this.source.drainDurations()) m.sessionDuration.observe(seconds);
    m.sessionActive.set(SESSION_LABELS, this.source.sessionCount());
    this.last = now;
  }
}
