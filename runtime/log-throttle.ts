// SPDX-License-Identifier: Apache-2.0
// Logs that a remote peer can trigger per packet: the first occurrence of each kind is logged at
// once, later ones are counted and summarised at most once per interval, so a flood costs a few
// lines instead of one line per packet.
import type { ModuleLogger } from './logger';

type Level = 'warn' | 'info' | 'debug';

interface Pending {
  suppressed: number;
  last: Record<string, unknown>;
}

export class LogThrottle {
  private readonly pending = new Map<string, Pending>();
  private readonly lastLogged = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: ModuleLogger,
    private readonly level: Level,
    readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one occurrence of `message` (the kind); `fields` describe this occurrence. */
  note(message: string, fields: Record<string, unknown>): void {
    const now = this.now();
    const last = this.lastLogged.get(message);
    if (last === undefined || now - last >= this.intervalMs) {
      this.flushOne(message);
      this.lastLogged.set(message, now);
      this.log[this.level](fields, message);
      return;
    }
    const p = this.pending.get(message) ?? { suppressed: 0, last: fields };
    p.suppressed++;
    p.last = fields;
    this.pending.set(message, p);
    this.arm(last + this.intervalMs - now);
  }

  /** Logs the summaries still pending (called on close, so nothing counted is lost). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const message of [...this.pending.keys()]) this.flushOne(message);
  }

  private flushOne(message: string): void {
    const p = this.pending.get(message);
    if (!p) return;
    this.pending.delete(message);
    this.lastLogged.set(message, this.now());
    this.log[this.level]({ ...p.last, suppressed: p.suppressed, intervalMs: this.intervalMs }, `${message} (repeated)`);
  }

  private arm(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flush();
      },
      Math.max(0, delayMs),
    );
    this.timer.unref();
  }
}
