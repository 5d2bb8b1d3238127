// SPDX-License-Identifier: Apache-2.0
// Logs the native engine's Debug filter events as the TypeScript Debug filter does. Workers
// copy each event into a per-thread ring; this drains the rings from the JS thread on a short
// timer (only while the chain has a Debug filter) and on stop.
import { formatSocketAddr, socketAddr } from '../../config/address';
import type { DebugEvent, NativeAddress } from '../../native/engine/engine-addon';
import type { ModuleLogger } from '../../runtime/logger';
import type { SlotInfo } from '../compiler/description';

/** How often the rings are drained; they hold a bounded number of events per worker. */
const DRAIN_MS = 100;

export interface DebugSource {
  drainDebug(): { events: DebugEvent[]; lost: number };
}

function addressText(a: NativeAddress | null): string | undefined {
  if (!a) return undefined;
  if (a.family === 4) return formatSocketAddr(socketAddr([...a.ip].join('.'), a.port));
  const hextets: string[] = [];
  for (let i = 0; i < 16; i += 2) hextets.push(a.ip.readUInt16BE(i).toString(16));
  return formatSocketAddr(socketAddr(hextets.join(':'), a.port));
}

export class EngineDebugLog {
  private ids = new Map<number, string | undefined>();
  private timer: NodeJS.Timeout | undefined;
  private lostReported = 0;

  constructor(
    private readonly source: DebugSource,
    private readonly log: ModuleLogger,
  ) {}

  /** Follows the slots of the chain just published; drains only while one of them queues Debug events. */
  follow(slots: readonly SlotInfo[]): void {
    this.ids = new Map(slots.flatMap((s) => (s.debugEvents ? [[s.slot, s.debugEvents.id] as const] : [])));
    if (this.ids.size > 0 && !this.timer) {
      this.timer = setInterval(() => this.drain(), DRAIN_MS);
      this.timer.unref();
    }
    // Events already queued by the old chain are still logged by the final drain in stop().
    if (this.ids.size === 0 && this.timer) this.stop();
  }

  drain(): void {
    const { events, lost } = this.source.drainDebug();
    for (const e of events) {
      const contents = e.contents.toString('utf8');
      const fields = { id: this.ids.get(e.slot), source: addressText(e.source), contents, ...(e.length > e.contents.length ? { length: e.length } : {}) };
      if (e.direction === 'read') this.log.info(fields, 'Read filter event');
      else this.log.info({ ...fields, dest: addressText(e.dest) }, 'Write filter event');
    }
    if (lost > this.lostReported) {
      this.log.warn({ lost: lost - this.lostReported }, 'Debug filter events lost: the workers logged faster than they were drained');
      this.lostReported = lost;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.drain();
  }
}
