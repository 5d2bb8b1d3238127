// SPDX-License-Identifier: Apache-2.0
// `quilkin qcmp ping`: measures round-trip delay to a QCMP endpoint.
import { randomInt } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { decodeQcmp, encodePing, nowNanos, roundTripNanos } from './codec';

export interface PingReport {
  readonly attempts: number;
  /** Round-trip delays in milliseconds of the successful attempts, in order. */
  readonly delaysMs: number[];
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Sends `amount` pings, each waiting up to `timeoutMs` for its own nonce: one right after the other,
 * or with `intervalMs`, the i-th at start + i * interval (as a tokio interval ticks).
 */
export async function qcmpPing(
  host: string,
  port: number,
  amount: number,
  onResult: (attempt: number, delayMs: number | undefined, error?: string) => void,
  timeoutMs = 1000,
  intervalMs?: number,
): Promise<PingReport> {
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  const delaysMs: number[] = [];
  const start = Date.now();
  try {
    for (let attempt = 1; attempt <= amount; attempt++) {
      const wait = intervalMs === undefined ? 0 : start + (attempt - 1) * intervalMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const nonce = randomInt(0, 256);
      const delay = await new Promise<number | string>((resolve) => {
        const timer = setTimeout(() => finish('timed out waiting for a reply'), timeoutMs);
        const onMessage = (data: Buffer): void => {
          const received = nowNanos();
          try {
            const reply = decodeQcmp(data);
            if (!reply || reply.kind !== 'pong' || reply.nonce !== nonce) return;
            finish(Number(roundTripNanos(reply, received)) / 1e6);
          } catch {
            // A malformed datagram is not our reply; keep waiting.
          }
        };
        const finish = (result: number | string): void => {
          clearTimeout(timer);
          socket.off('message', onMessage);
          resolve(result);
        };
        socket.on('message', onMessage);
        socket.send(encodePing(nonce, nowNanos()), port, host);
      });
      if (typeof delay === 'number') {
        delaysMs.push(delay);
        onResult(attempt, delay);
      } else onResult(attempt, undefined, delay);
    }
  } finally {
    socket.close();
  }
  return { attempts: amount, delaysMs };
}
