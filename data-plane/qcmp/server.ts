// SPDX-License-Identifier: Apache-2.0
// Answers QCMP pings on their own UDP port (dual-stack).
import * as dgram from 'node:dgram';
import { errnoClass } from '../../runtime/errno-class';
import { LogThrottle } from '../../runtime/log-throttle';
import { logger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import { INVALID_SOURCE_ADDRESS, sourceAddressProblem } from '../address-checks';
import { decodeQcmp, encodePong, nowNanos } from './codec';

const log = logger('qcmp');

export const QCMP_MALFORMED = 'qcmp::malformed packet';
export const QCMP_UNEXPECTED_PONG = 'qcmp::pong on the server port';

export interface QcmpServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface QcmpServerOptions {
  /** Where refused datagrams are counted (quilkin_packets_dropped_total, event `read`). */
  readonly metrics?: QuilkinMetrics;
  /** At most one log line per kind of refusal per interval, with the count (default 10 s). */
  readonly logIntervalMs?: number;
}

export async function startQcmpServer(port: number, host = '::', options: QcmpServerOptions = {}): Promise<QcmpServer> {
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: true, ipv6Only: false });
  // Anyone can send to this port, so what it logs per datagram is throttled.
  const warnings = new LogThrottle(log, 'warn', options.logIntervalMs);
  const notices = new LogThrottle(log, 'debug', options.logIntervalMs);
  const refuse = (reason: string, throttle: LogThrottle, message: string, fields: Record<string, unknown>): void => {
    options.metrics?.packetDropped('read', reason);
    throttle.note(message, fields);
  };
  socket.on('message', (data, rinfo) => {
    const received = nowNanos();
    const problem = sourceAddressProblem(rinfo.address, rinfo.port);
    if (problem) return refuse(INVALID_SOURCE_ADDRESS, notices, 'QCMP datagram from an address that cannot be answered dropped', { why: problem });
    let message;
    try {
      message = decodeQcmp(data);
    } catch (err) {
      return refuse(QCMP_MALFORMED, notices, 'malformed QCMP datagram dropped', { from: rinfo.address, err: (err as Error).message });
    }
    if (!message) return refuse(QCMP_MALFORMED, notices, 'non-QCMP datagram on the QCMP port dropped', { from: rinfo.address, bytes: data.length });
    if (message.kind === 'pong') return refuse(QCMP_UNEXPECTED_PONG, warnings, 'received a QCMP pong on the server port: unsupported', { from: rinfo.address });
    const unsent = (err: Error): void => refuse('io', notices, 'QCMP pong could not be sent', { err: errnoClass(err) });
    try {
      socket.send(encodePong(message.nonce, message.clientTransmit, received, nowNanos()), rinfo.port, rinfo.address, (err) => err && unsent(err));
    } catch (err) {
      unsent(err as Error);
    }
  });
  socket.on('error', (err) => log.error({ err: err.message }, 'QCMP socket error'));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const bound = socket.address().port;
  log.info({ port: bound }, 'QCMP server listening');
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        warnings.flush();
        notices.flush();
        socket.close(() => resolve());
      }),
  };
}
