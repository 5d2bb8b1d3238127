// SPDX-License-Identifier: Apache-2.0
// The Phoenix HTTP service on the QCMP port number over TCP: `GET /` returns the latency document.
// It faces untrusted clients (matchmakers, players), so connections, header size, header and
// request time and keep-alive are all capped; slow or idle connections are closed by the server.
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { logger } from '../../runtime/logger';
import type { PhoenixMetrics, PhoenixServerError } from './metrics';

const log = logger('phoenix');

export interface PhoenixHttpLimits {
  readonly maxConnections: number;
  /** Complete request headers must arrive within this (slowloris). */
  readonly headersTimeoutMs: number;
  /** The whole request, body included. */
  readonly requestTimeoutMs: number;
  /** Idle time allowed between requests on a kept-alive connection. */
  readonly keepAliveTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly maxRequestsPerConnection: number;
}

export const DEFAULT_HTTP_LIMITS: PhoenixHttpLimits = {
  maxConnections: 256,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5000,
  maxHeaderBytes: 8192,
  maxRequestsPerConnection: 1000,
};

export interface PhoenixHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

function errorKind(err: NodeJS.ErrnoException): PhoenixServerError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'header_overflow';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADER_TIMEOUT':
      return 'timeout';
    case 'ECONNRESET':
      return 'connection_reset';
    default:
      return err.code?.startsWith('HPE_') ? 'bad_request' : 'other';
  }
}

function respond(req: http.IncomingMessage, res: http.ServerResponse, document: () => string, metrics: PhoenixMetrics): void {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/') return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found; the latency document is at GET /\n');
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return void res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
  metrics.requests.inc();
  const body = document();
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Binds `[::]:port` over TCP (dual-stack) and serves `document()`. */
export async function startPhoenixHttp(
  port: number,
  document: () => string,
  metrics: PhoenixMetrics,
  limits: PhoenixHttpLimits = DEFAULT_HTTP_LIMITS,
  host = '::',
): Promise<PhoenixHttpServer> {
  const server = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above; its default (30 s) would let slow clients linger.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headersTimeoutMs / 4)),
    },
    (req, res) => respond(req, res, document, metrics),
  );
  server.maxConnections = limits.maxConnections;
  server.maxRequestsPerSocket = limits.maxRequestsPerConnection;
  // Silence longer than the header timeout ends a connection, also one that never sent a byte.
  server.on('connection', (socket: Socket) => socket.setTimeout(limits.headersTimeoutMs, () => socket.destroy()));
  server.on('drop', () => metrics.serverErrors.inc({ error: 'connection_limit' }));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const kind = errorKind(err);
    metrics.serverErrors.inc({ error: kind });
    log.debug({ err: err.message, code: err.code }, 'phoenix HTTP connection failed');
    if (socket.writable && kind !== 'connection_reset') {
      const status = kind === 'timeout' ? '408 Request Timeout' : kind === 'header_overflow' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err: err.message }, 'phoenix HTTP server error'));
  const bound = (server.address() as AddressInfo).port;
  log.info({ addr: `[${host}]:${bound}` }, 'starting phoenix HTTP service');
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
