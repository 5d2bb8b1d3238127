// SPDX-License-Identifier: Apache-2.0
// The admin HTTP server: /live, /ready, /metrics, /config, /debug/pprof/profile, as Quilkin serves them.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROFILE_ENCODE_GRACE_MS, ProfileAbortedError, ProfileBusyError, cpuProfiler, parseProfileSeconds } from './cpu-profiler';
import { logger } from './logger';
import type { QuilkinMetrics } from './metrics';

const log = logger('admin');

export interface AdminOptions {
  /** `host:port` or `[v6]:port`; Quilkin's default is [::]:8000. */
  readonly address: string;
  readonly metrics: QuilkinMetrics;
  /** Readiness per mode (proxy: has endpoints or an xDS response; manage: provider healthy ...). */
  readonly ready: () => boolean;
  /** The live config as JSON for /config. */
  readonly config: () => unknown;
  /** Connection limits; the defaults suit a scrape-and-probe admin port. */
  readonly limits?: Partial<AdminLimits>;
}

/**
 * The admin port is unauthenticated and shares the process's fd budget with game sessions, so
 * idle or slow clients are cut off and the number of open connections is capped.
 */
export interface AdminLimits {
  /** Open connections at once; more are closed on accept (Node's server.maxConnections). */
  readonly maxConnections: number;
  /** A connection with no traffic for this long is closed (an idle probe, a stuck scraper). */
  readonly idleTimeoutMs: number;
  /** Time allowed to send the request headers. */
  readonly headersTimeoutMs: number;
  /** Time allowed for a whole request. */
  readonly requestTimeoutMs: number;
  /** How long a kept-alive connection may wait for its next request. */
  readonly keepAliveTimeoutMs: number;
}

export const DEFAULT_ADMIN_LIMITS: AdminLimits = {
  maxConnections: 256,
  idleTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

let defaultLimits: AdminLimits = DEFAULT_ADMIN_LIMITS;

/**
 * The limits every admin server started later uses unless its options say otherwise; set from
 * the global CLI flags (`--admin-max-connections` ...), whichever mode starts the server.
 */
export function setDefaultAdminLimits(limits: Partial<AdminLimits>): void {
  defaultLimits = { ...DEFAULT_ADMIN_LIMITS, ...limits };
}

export interface AdminServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

let panicked = false;

/** Flips /live to 500 for good, as a panic does in Quilkin. */
export function markUnhealthy(): void {
  panicked = true;
}

export function splitHostPort(address: string): { host: string; port: number } {
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(address);
  const plain = /^([^:]+):(\d+)$/.exec(address);
  const match = bracket ?? plain;
  if (!match) throw new Error(`invalid address \`${address}\`: expected host:port or [ipv6]:port`);
  const port = Number(match[2]);
  if (port > 65535) throw new Error(`invalid address \`${address}\`: port out of range`);
  return { host: match[1], port };
}

/**
 * GET /debug/pprof/profile?seconds=N: a CPU profile of the process as gzipped pprof, sent as
 * Quilkin sends it (octet-stream, Content-Encoding gzip). The request outlives the admin idle and
 * request timeouts by design; a client that leaves ends the profile early.
 */
async function serveProfile(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let seconds: number;
  try {
    seconds = parseProfileSeconds(new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('seconds'));
  } catch (err) {
    return void res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`${(err as Error).message}\n`);
  }
  // The admin server's idle timeout would cut this connection while the profile runs.
  res.setTimeout(seconds * 1000 + PROFILE_ENCODE_GRACE_MS);
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  try {
    // One profiler per process: every admin server shares it, as they share the V8 isolate.
    const body = await cpuProfiler.profile(seconds, gone.signal);
    res
      .writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Encoding': 'gzip',
        'Content-Disposition': 'attachment; filename="profile"',
        'Content-Length': body.length,
      })
      .end(body);
  } catch (err) {
    if (err instanceof ProfileAbortedError) return void log.debug({ seconds }, err.message);
    if (err instanceof ProfileBusyError) {
      return void res.writeHead(409, { 'Content-Type': 'text/plain', 'Retry-After': String(err.retryAfterSecs) }).end(`${err.message}\n`);
    }
    throw err;
  }
}

async function handle(options: AdminOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET') return void res.writeHead(404).end();
  switch (path) {
    case '/live':
    case '/livez':
      return void (panicked ? res.writeHead(500).end() : res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok'));
    case '/ready':
    case '/readyz':
      return void (options.ready() ? res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok') : res.writeHead(500).end());
    case '/metrics': {
      const body = await options.metrics.render();
      return void res.writeHead(200, { 'Content-Type': options.metrics.contentType }).end(body);
    }
    case '/config':
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(options.config(), null, 2));
    case '/debug/pprof/profile':
      return serveProfile(req, res);
    default:
      return void res.writeHead(404).end();
  }
}

export async function startAdmin(options: AdminOptions): Promise<AdminServer> {
  const { host, port } = splitHostPort(options.address);
  const limits = { ...defaultLimits, ...options.limits };
  // headersTimeout must not exceed requestTimeout (Node enforces it); the check runs often enough
  // that a timeout is honoured within a second.
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  const checkMs = Math.max(100, Math.min(1000, headersTimeout / 2));
  const server = http.createServer(
    { requestTimeout: limits.requestTimeoutMs, headersTimeout, keepAliveTimeout: limits.keepAliveTimeoutMs, connectionsCheckingInterval: checkMs },
    (req, res) => {
      handle(options, req, res).catch((err: Error) => {
        log.error({ err: err.message, url: req.url }, 'admin request failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`failed to serve ${req.url}: ${err.message}`);
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.timeout = limits.idleTimeoutMs;
  server.on('timeout', (socket) => socket.destroy());
  let refused = 0;
  server.on('drop', () => {
    if (refused++ % 1000 === 0) log.warn({ maxConnections: limits.maxConnections, refused }, 'admin connection refused: too many open connections');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: false }, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host === '::' || host === '0.0.0.0' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${bound}`;
  log.info({ address: options.address, url }, 'admin server listening');
  return {
    port: bound,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
