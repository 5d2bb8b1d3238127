// SPDX-License-Identifier: Apache-2.0
// The node dgram backend: the executable reference and the last-resort fallback.
import * as dgram from 'node:dgram';
import type { EndpointAddress, SocketAddr } from '../../../config/address';
import { formatSocketAddr, socketAddr } from '../../../config/address';
import { logger } from '../../../runtime/logger';
import { LogThrottle } from '../../../runtime/log-throttle';
import { errnoClass } from '../../../runtime/errno-class';
import type { Direction, QuilkinMetrics } from '../../../runtime/metrics';
import { GEO_LABELS_EMPTY } from '../../../runtime/metrics';
import { ClusterMap } from '../../cluster-map';
import { FilterChain } from '../../filters/chain';
import { filterServices } from '../../filters/services';
import { destinationAddressProblem, INVALID_DESTINATION_ADDRESS, INVALID_SOURCE_ADDRESS, sourceAddressProblem } from '../../address-checks';
import { isDisallowedSource, processRead, processWrite } from '../../pipeline';
import type { Compiled } from '../../compiler/compile';
import type { BackendFactory, BackendOptions, PreparedConfig, ProxyBackend } from '../backend';
import { type Session, SessionTable, sessionKey } from './session-table';

const log = logger('backend-js');
const SESSION_LABELS = { ...GEO_LABELS_EMPTY, organization: '', country_code: '', prefix_entity: '', prefix_name: '' };
/** Largest UDP payload over IPv4; anything bigger cannot be forwarded. */
const MAX_DATAGRAM = 65507;
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

/** The `no route` drop: an endpoint whose host name has no answer yet (as the native engine). */
const NO_ROUTE = 'no route';

class JsPrepared implements PreparedConfig {
  readonly backend = 'js' as const;
  constructor(
    readonly compiled: Compiled,
    readonly chain: FilterChain,
    readonly endpoints: ClusterMap,
  ) {}
}

/** Node needs IPv4 destinations in mapped form on a dual-stack IPv6 socket. */
function toSocketIp(ip: string): string {
  return ip.includes(':') ? ip : `::ffff:${ip}`;
}

class JsBackend implements ProxyBackend {
  readonly kind = 'js' as const;
  private chain = FilterChain.empty();
  private endpoints = new ClusterMap([]);
  private readonly sessions: SessionTable<dgram.Socket>;
  private readonly metrics: QuilkinMetrics;
  private readonly sweeper: NodeJS.Timeout;
  private lastReadAt = 0n;
  private lastWriteAt = 0n;
  private readonly dropLog = new LogThrottle(log, 'debug');

  constructor(
    private readonly options: BackendOptions,
    private readonly listener: dgram.Socket,
  ) {
    this.metrics = options.metrics;
    this.sessions = new SessionTable(options.maxSessions, options.sessionTimeoutSecs * 1000);
    this.sweeper = setInterval(() => this.expireSessions(), Math.min(1000, options.sessionTimeoutSecs * 250));
    this.sweeper.unref();
    listener.on('message', (data, rinfo) => this.onDownstream(data, socketAddr(rinfo.address, rinfo.port)));
    listener.on('error', (err) => {
      log.error({ err: err.message }, 'listening socket error');
      this.metrics.error('read', `socket ${errnoClass(err)}`);
    });
  }

  describe(): Record<string, unknown> {
    const bound = this.listener.address();
    return { backend: 'js', listen: `[${bound.address}]:${bound.port}`, workers: 1, sessions: this.sessions.size };
  }

  prepare(compiled: Compiled): JsPrepared {
    const services = filterServices(this.options.registry, this.metrics);
    // Filters whose config did not change keep their instance (rate-limit buckets, round-robin position).
    const chain = FilterChain.build(compiled.config.filters, this.options.registry, services, this.chain);
    return new JsPrepared(compiled, chain, new ClusterMap(compiled.clusters));
  }

  publish(prepared: PreparedConfig): void {
    if (!(prepared instanceof JsPrepared)) throw new Error(`js backend: cannot publish a config prepared by the ${prepared.backend} backend`);
    // Both swaps happen in one synchronous step: no packet sees a new chain with old endpoints.
    this.chain = prepared.chain;
    this.endpoints = prepared.endpoints;
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  private jitter(event: 'read' | 'write'): void {
    const now = process.hrtime.bigint();
    const last = event === 'read' ? this.lastReadAt : this.lastWriteAt;
    if (last !== 0n) this.metrics.packetJitter.set({ event, ...GEO_LABELS_EMPTY }, Number(now - last));
    if (event === 'read') this.lastReadAt = now;
    else this.lastWriteAt = now;
  }

  private onDownstream(data: Buffer, client: SocketAddr): void {
    const started = process.hrtime.bigint();
    this.jitter('read');
    // Multicast and broadcast keep Quilkin's `disallowed source ip` (processRead); the rest of
    // what can never be answered (port 0, unspecified) is dropped before any filter sees it.
    const problem = isDisallowedSource(client) ? undefined : sourceAddressProblem(client.ip, client.port);
    if (problem) {
      this.metrics.packetDropped('read', INVALID_SOURCE_ADDRESS);
      this.dropLog.note('packet from an invalid source dropped', { why: problem });
      return;
    }
    const outcome = processRead(this.chain, this.endpoints, client, data);
    if (outcome.dropped) {
      this.metrics.packetDropped('read', outcome.reason);
      return;
    }
    for (const endpoint of outcome.destinations) this.sendUpstream(client, endpoint, outcome.contents);
    this.metrics.processingDuration.observe({ event: 'read' }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private sendUpstream(client: SocketAddr, endpoint: EndpointAddress, contents: Buffer): void {
    if (contents.length > MAX_DATAGRAM) return this.metrics.packetDropped('read', 'packet too large');
    // The compile stage put every answered name's address in place; a name still here has none yet.
    if (endpoint.kind === 'dns') return this.metrics.packetDropped('read', NO_ROUTE);
    const session = this.session(client, endpoint);
    if (!session) return;
    session.lastSeen = Date.now();
    this.send(session.upstream, 'read', contents, endpoint.host, endpoint.port);
  }

  /**
   * Every send goes through here. dgram throws synchronously on a port it refuses or a socket
   * already closed: those become
   * counted drops, never an exception on the packet path. Errors are labelled by errno class,
   * never by address, so spoofed sources cannot mint metric series.
   */
  private send(socket: dgram.Socket, event: Direction, contents: Buffer, ip: string, port: number): void {
    const problem = destinationAddressProblem(ip, port);
    if (problem) {
      this.metrics.packetDropped(event, INVALID_DESTINATION_ADDRESS);
      this.dropLog.note('packet to an invalid destination dropped', { event, why: problem });
      return;
    }
    const failed = (err: Error): void => {
      this.metrics.packetDropped(event, 'io');
      this.metrics.error(event, `send ${errnoClass(err)}`);
    };
    try {
      socket.send(contents, port, toSocketIp(ip), (err) => {
        if (err) failed(err);
        else this.metrics.packetSent(event, contents.length);
      });
    } catch (err) {
      failed(err as Error);
    }
  }

  private session(client: SocketAddr, endpoint: EndpointAddress): Session<dgram.Socket> | undefined {
    const key = sessionKey(client, endpoint);
    const existing = this.sessions.get(key);
    if (existing) return existing;
    if (this.sessions.full) {
      this.metrics.packetDropped('read', 'session table full');
      return undefined;
    }
    const upstream = dgram.createSocket({ type: 'udp6', ipv6Only: false });
    upstream.bind(0);
    upstream.on('message', (data, rinfo) => this.onUpstream(session, data, socketAddr(rinfo.address, rinfo.port)));
    upstream.on('error', (err) => this.metrics.error('write', `socket ${errnoClass(err)}`));
    const now = Date.now();
    const session: Session<dgram.Socket> = { key, client, endpoint, upstream, createdAt: now, lastSeen: now };
    this.sessions.add(session);
    this.metrics.sessionTotal.inc();
    this.metrics.sessionActive.inc(SESSION_LABELS);
    log.debug({ client: formatSocketAddr(client), endpoint: endpoint.key }, 'session created');
    return session;
  }

  private onUpstream(session: Session<dgram.Socket>, data: Buffer, from: SocketAddr): void {
    const started = process.hrtime.bigint();
    this.jitter('write');
    const outcome = processWrite(this.chain, from, session.client, data);
    if (outcome.dropped) {
      const label = `proxy::Session::process_recv_packet: ${outcome.reason}`;
      this.metrics.packetDropped('write', label);
      this.metrics.error('write', label);
      return;
    }
    this.send(this.listener, 'write', outcome.contents, session.client.ip, session.client.port);
    this.metrics.processingDuration.observe({ event: 'write' }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private closeSessions(sessions: Session<dgram.Socket>[], now: number): void {
    for (const session of sessions) {
      session.upstream.close();
      this.metrics.sessionActive.dec(SESSION_LABELS);
      this.metrics.sessionDuration.observe(Math.floor((now - session.createdAt) / 1000));
    }
  }

  private expireSessions(): void {
    const now = Date.now();
    const expired = this.sessions.expire(now);
    if (expired.length > 0) log.debug({ count: expired.length }, 'sessions expired');
    this.closeSessions(expired, now);
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    this.dropLog.flush();
    this.closeSessions(this.sessions.drain(), Date.now());
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }
}

export const createJsBackend: BackendFactory = async (options, initial) => {
  const listener = dgram.createSocket({ type: 'udp6', ipv6Only: false, reuseAddr: false });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.bind(options.port, '::', () => {
      listener.off('error', reject);
      resolve();
    });
  });
  // Bursts from many clients overflow the default receive buffer; the kernel caps this at rmem_max.
  listener.setRecvBufferSize(RECV_BUFFER_BYTES);
  const backend = new JsBackend(options, listener);
  backend.publish(backend.prepare(initial));
  if (options.workers > 1) log.info({ workers: options.workers }, 'the js backend uses one socket; --workers applies to the socket backend');
  return backend;
};
