// SPDX-License-Identifier: Apache-2.0
// The counting XDP sinks (bench/bpf/xdp_sink), one per namespace, seen as one: a subject's
// forwarded packets are counted (and, in drop mode, dropped) on the first link where they
// arrive. For two-armed subjects that is the server's link; for a one-armed proxy, which
// sends them back out of the client-side interface, it is the client end of that link, so
// they are not charged the client namespace's bridge, GRO and RPS on their way to the
// server (work a switch does in hardware, and that two-armed subjects never pay).
import type { LineClient } from './proc';

interface SinkReport {
  packets: number;
}

export class Sinks {
  constructor(private readonly loaders: readonly LineClient[]) {}

  /** drop: count and drop (floods); pass: count and deliver to the echo server. */
  async setMode(mode: 'drop' | 'pass'): Promise<void> {
    await Promise.all(this.loaders.map((l) => l.ask(mode)));
  }

  /** Packets counted by every sink since it was attached. */
  async count(): Promise<number> {
    const reports = await Promise.all(this.loaders.map((l) => l.ask<SinkReport>('read')));
    return reports.reduce((sum, r) => sum + r.packets, 0);
  }
}
