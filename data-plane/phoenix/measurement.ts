// SPDX-License-Identifier: Apache-2.0
// Measures one datacenter with one QCMP ping: its one-way delays as Phoenix uses them. One socket
// per address family, shared by every probe; a reply counts only from the probed address and port
// with the ping's nonce (v0.9 takes whatever datagram arrives first), so concurrent probes and
// stray or forged datagrams cannot be mistaken for each other's replies.
import { randomInt } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { canonicalIpLiteral } from '../../config/address';
import { decodeQcmp, encodePing, nowNanos, type QcmpMessage } from '../qcmp/codec';
import type { DistanceMeasure } from './coordinates';

/** How long a probe waits for its reply (Quilkin: 500 ms). */
export const PROBE_TIMEOUT_MS = 500;

export interface Measurement {
  /** Resolves with the delays to `host:port` or rejects with why not (timeout, send error). */
  measure(host: string, port: number): Promise<DistanceMeasure>;
  close(): Promise<void>;
}

type Pong = Extract<QcmpMessage, { kind: 'pong' }>;

/** incoming = server receive - client transmit; outgoing = client receive - server transmit (ns). */
export function distanceOf(pong: Pong, clientReceive: bigint): DistanceMeasure {
  return { incomingNs: Number(pong.serverReceive - pong.clientTransmit), outgoingNs: Number(clientReceive - pong.serverTransmit) };
}

interface Pending {
  readonly nonce: number;
  readonly settle: (result: DistanceMeasure | Error) => void;
}

export class QcmpMeasurement implements Measurement {
  private readonly sockets = new Map<4 | 6, Promise<dgram.Socket>>();
  /** One probe in flight per `ip|port`: the scheduler never probes a datacenter twice at once. */
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  constructor(private readonly timeoutMs = PROBE_TIMEOUT_MS) {}

  async measure(host: string, port: number): Promise<DistanceMeasure> {
    const ip = canonicalIpLiteral(host);
    const family = net.isIPv4(ip) ? 4 : net.isIPv6(ip) ? 6 : undefined;
    if (family === undefined) throw new Error(`\`${host}\` is not an IP address`);
    if (this.closed) throw new Error('measurement closed');
    const key = `${ip}|${port}`;
    if (this.pending.has(key)) throw new Error(`a probe to ${key} is already in flight`);
    const socket = await this.socket(family);
    const nonce = randomInt(0, 256);
    return new Promise<DistanceMeasure>((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`no QCMP reply within ${this.timeoutMs} ms`)), this.timeoutMs);
      const settle = (result: DistanceMeasure | Error): void => {
        clearTimeout(timer);
        this.pending.delete(key);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      this.pending.set(key, { nonce, settle });
      socket.send(encodePing(nonce, nowNanos()), port, ip, (err) => {
        if (err) settle(new Error(`QCMP ping could not be sent: ${err.message}`));
      });
    });
  }

  private socket(family: 4 | 6): Promise<dgram.Socket> {
    let socket = this.sockets.get(family);
    if (!socket) {
      socket = new Promise<dgram.Socket>((resolve, reject) => {
        const s = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
        s.on('message', (data, rinfo) => this.onReply(data, rinfo));
        const bindFailed = (err: Error): void => {
          this.sockets.delete(family); // the next probe tries again
          reject(err);
        };
        s.once('error', bindFailed);
        s.once('listening', () => {
          s.off('error', bindFailed);
          // Later errors (e.g. ICMP unreachable) fail nothing by themselves: the probe times out.
          s.on('error', () => undefined);
          resolve(s);
        });
        s.bind(0);
      });
      this.sockets.set(family, socket);
    }
    return socket;
  }

  private onReply(data: Buffer, rinfo: dgram.RemoteInfo): void {
    const received = nowNanos();
    const waiting = this.pending.get(`${canonicalIpLiteral(rinfo.address)}|${rinfo.port}`);
    if (!waiting) return;
    let message: QcmpMessage | undefined;
    try {
      message = decodeQcmp(data);
    } catch {
      return; // malformed: not our reply, keep waiting until the timeout
    }
    if (message?.kind !== 'pong' || message.nonce !== waiting.nonce) return;
    waiting.settle(distanceOf(message, received));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of [...this.pending.values()]) p.settle(new Error('measurement closed'));
    const sockets = await Promise.allSettled([...this.sockets.values()]);
    this.sockets.clear();
    await Promise.all(sockets.map((s) => (s.status === 'fulfilled' ? new Promise<void>((resolve) => s.value.close(() => resolve())) : Promise.resolve())));
  }
}
