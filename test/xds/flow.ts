// SPDX-License-Identifier: Apache-2.0
// Helpers for the xDS end-to-end tests: tagged echo endpoints, a steady bounded packet flow
// through a proxy, and probes that ask which endpoint a token reaches.
import * as dgram from 'node:dgram';

export interface TaggedEcho {
  readonly port: number;
  close(): Promise<void>;
}

/** An endpoint that answers every datagram with `<tag>|<what it received>`. */
export async function taggedEcho(tag: string): Promise<TaggedEcho> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (data, rinfo) => socket.send(Buffer.concat([Buffer.from(`${tag}|`), data]), rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => new Promise((r) => socket.close(() => r())) };
}

/**
 * Sends `packet` to the proxy every `intervalMs` until stopped or `maxPackets` (a hard bound),
 * recording when replies arrive, so a test can check that traffic never paused.
 */
export class SteadyFlow {
  readonly replyTimes: number[] = [];
  private readonly socket = dgram.createSocket('udp4');
  private timer: NodeJS.Timeout | undefined;
  private sent = 0;

  constructor(
    private readonly proxyPort: number,
    private readonly packet: Buffer,
    private readonly intervalMs = 20,
    private readonly maxPackets = 3000,
  ) {
    this.socket.on('message', () => this.replyTimes.push(Date.now()));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.timer = setInterval(() => {
      if (this.sent++ >= this.maxPackets) return this.stop();
      this.socket.send(this.packet, this.proxyPort, '127.0.0.1');
    }, this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stop();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }

  /** Longest time without a reply between `from` and `to` (ms since epoch). */
  longestGap(from: number, to: number): number {
    const times = [from, ...this.replyTimes.filter((t) => t > from && t < to), to];
    let gap = 0;
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
    return gap;
  }
}

/** Sends `packet` through the proxy until a reply comes back; returns the replying endpoint's tag. */
export async function whoAnswers(proxyPort: number, packet: Buffer, timeoutMs = 1000): Promise<string | undefined> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    return await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      socket.once('message', (data) => {
        clearTimeout(timer);
        resolve(data.toString().split('|')[0]);
      });
      socket.send(packet, proxyPort, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** Polls until `packet` through the proxy reaches endpoint `tag`; returns how long that took. */
export async function untilRoutedTo(proxyPort: number, packet: Buffer, tag: string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if ((await whoAnswers(proxyPort, packet, 200)) === tag) return Date.now() - start;
  }
  throw new Error(`packets did not reach endpoint ${tag} through proxy port ${proxyPort} within ${timeoutMs} ms`);
}
