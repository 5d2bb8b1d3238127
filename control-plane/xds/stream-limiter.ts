// SPDX-License-Identifier: Apache-2.0
// Caps what a server holds open (streams, connections): in total, and per remote IP, so one host
// opening stream after stream cannot take the slots (and memory) every legitimate proxy needs.

/** Which cap refused: the total one or the remote IP's. */
export type LimitHit = 'total' | 'peer';

export type StreamAdmission = { ok: true; release: () => void } | { ok: false; hit: LimitHit };

export class StreamLimiter {
  private total = 0;
  private readonly perPeer = new Map<string, number>();

  constructor(
    readonly maxStreams: number,
    readonly maxStreamsPerPeer: number,
  ) {}

  /** Takes a slot for a stream from `ip`; `release` (idempotent) gives it back. */
  admit(ip: string): StreamAdmission {
    if (this.total >= this.maxStreams) return { ok: false, hit: 'total' };
    const held = this.perPeer.get(ip) ?? 0;
    if (held >= this.maxStreamsPerPeer) return { ok: false, hit: 'peer' };
    this.total++;
    this.perPeer.set(ip, held + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perPeer.get(ip) ?? 1) - 1;
        if (left === 0) this.perPeer.delete(ip);
        else this.perPeer.set(ip, left);
      },
    };
  }

  get open(): number {
    return this.total;
  }

  /** Streams `ip` holds now. */
  heldBy(ip: string): number {
    return this.perPeer.get(ip) ?? 0;
  }
}
