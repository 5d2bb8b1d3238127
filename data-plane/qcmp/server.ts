// SPDX-License-Identifier: Apache-2.0
// Answers QCMP pings on their own UDP port (dual-stack).
import * as dgram from 'node:dgram';
import { logger } from '../../runtime/logger';
import { decodeQcmp, encodePong, nowNanos } from './codec';

const log = logger('qcmp');

export interface QcmpServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startQcmpServer(port: number, host = '::'): Promise<QcmpServer> {
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: true, ipv6Only: false });
  socket.on('message', (data, rinfo) => {
    const received = nowNanos();
    try {
      const message = decodeQcmp(data);
      if (!message) return;
      if (message.kind === 'pong') return log.warn({ from: rinfo.address }, 'received a QCMP pong on the server port: unsupported');
      socket.send(encodePong(message.nonce, message.clientTransmit, received, nowNanos()), rinfo.port, rinfo.address);
    } catch (err) {
      log.debug({ from: `${rinfo.address}:${rinfo.port}`, err: (err as Error).message }, 'malformed QCMP datagram dropped');
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
  return { port: bound, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
