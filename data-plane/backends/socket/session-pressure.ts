// SPDX-License-Identifier: Apache-2.0
// One log line per interval, not per packet, while new sessions are being refused or unanswered
// ones evicted: a flood must not turn into a log flood, and an operator must still hear of it.
// The socket backend and proxy xdp (AF_XDP workers plus kernel-served socket workers) alike.
import type { ModuleLogger } from '../../../runtime/logger';
import dropReasons from '../../drop_reasons.json';

const reasonId = (name: string): number => {
  const r = dropReasons.reasons.find((x) => x.name === name);
  if (!r) throw new Error(`drop_reasons.json has no ${name}`);
  return r.id;
};
const TABLE_FULL = reasonId('SESSION_TABLE_FULL');
const SOURCE_LIMIT = reasonId('SOURCE_SESSION_LIMIT');
const IO = reasonId('IO');
/** proxy xdp: no free session port towards the endpoint (all held by answered sessions). */
const SESSION = reasonId('SESSION');

export const PRESSURE_LOG_INTERVAL_MS = 10_000;

/** What the log reads from a backend's native totals. */
export interface PressureTotals {
  /** [direction][drop reason id] */
  readonly drops: readonly [readonly number[], readonly number[]];
  readonly errors?: readonly [readonly number[], readonly number[]];
  readonly sessionsEvicted: number;
}

interface Seen {
  tableFull: number;
  sourceLimit: number;
  session: number;
  io: number;
  evicted: number;
}

function seen(t: PressureTotals): Seen {
  return {
    tableFull: t.drops[0][TABLE_FULL] ?? 0,
    sourceLimit: t.drops[0][SOURCE_LIMIT] ?? 0,
    session: t.drops[0][SESSION] ?? 0,
    io: t.errors?.[0][IO] ?? 0,
    evicted: t.sessionsEvicted,
  };
}

export class SessionPressureLog {
  private last: Seen;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly totals: () => PressureTotals,
    private readonly log: ModuleLogger,
    private readonly limits: { sessionLimit: number; maxSessionsPerSource: number },
    intervalMs = PRESSURE_LOG_INTERVAL_MS,
  ) {
    this.last = seen(totals());
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  /** Logs once if anything was refused or evicted since the previous check. */
  check(): void {
    const now = seen(this.totals());
    const delta = {
      refusedTableFull: now.tableFull - this.last.tableFull,
      refusedSourceLimit: now.sourceLimit - this.last.sourceLimit,
      refusedSession: now.session - this.last.session,
      upstreamSocketErrors: now.io - this.last.io,
      evictedUnreplied: now.evicted - this.last.evicted,
    };
    this.last = now;
    if (Object.values(delta).every((n) => n <= 0)) return;
    this.log.warn({ ...delta, ...this.limits }, 'sessions under pressure: new sessions refused or unanswered ones evicted');
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
