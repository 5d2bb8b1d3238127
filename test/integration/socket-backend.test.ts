// SPDX-License-Identifier: Apache-2.0
// The native socket backend over loopback: per-client routing, fan-out, config swaps that keep
// sessions, idle expiry and the session bound. Started directly, not through the CLI.
import { expect } from 'chai';
import * as dgram from 'node:dgram';
import { parseEndpointAddress } from '../../config/address';
import type { Config } from '../../config/model';
import type { ProxyBackend } from '../../data-plane/backends/backend';
import { createSocketBackend } from '../../data-plane/backends/socket/socket-backend';
import { FilterRegistry } from '../../data-plane/filters/registry';
import { QuilkinMetrics } from '../../runtime/metrics';
import { eventually } from '../support/net';
import { sample } from '../support/metrics-text';
import { applyConfig, compiled } from '../support/compiled';

interface Echo {
  readonly port: number;
  /** Payloads received, with the proxy-side source port they came from. */
  readonly seen: Array<{ text: string; fromPort: number }>;
  close(): void;
}

async function bound(socket: dgram.Socket, address: string): Promise<number> {
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return socket.address().port;
}

/** Bursts from the native workers outrun node's default 208 KiB receive buffer. */
const RECV_BUFFER = 4 << 20;

async function echoServer(): Promise<Echo> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: RECV_BUFFER });
  const seen: Echo['seen'] = [];
  socket.on('message', (msg, rinfo) => {
    seen.push({ text: msg.toString(), fromPort: rinfo.port });
    socket.send(msg, rinfo.port, rinfo.address);
  });
  const port = await bound(socket, '127.0.0.1');
  return { port, seen, close: () => socket.close() };
}

function configFor(ports: readonly number[]): Config {
  const endpoints = ports.map((p) => ({ address: parseEndpointAddress(`127.0.0.1:${p}`), tokens: [], userMetadata: {} }));
  return { version: 'v1alpha1', clusters: [{ endpoints }], filters: [], icaoCode: 'XXXX' };
}

function proxyPort(backend: ProxyBackend): number {
  return Number(String(backend.describe().listen).split(':').pop());
}

/** A metric sample's value from a render, or 0 when absent. */
describe('socket backend (native workers, loopback)', function () {
  this.timeout(20000);
  const cleanup: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const undo of cleanup.splice(0).reverse()) await undo();
  });

  async function start(config: Config, overrides: { sessionTimeoutSecs?: number; maxSessions?: number } = {}) {
    const metrics = new QuilkinMetrics();
    const backend = await createSocketBackend(
      { port: 0, qcmpPort: 0, workers: 2, sessionTimeoutSecs: 60, maxSessions: 10_000, metrics, registry: new FilterRegistry(), ...overrides },
      compiled(config),
    );
    cleanup.push(() => backend.stop());
    return { backend, metrics, port: proxyPort(backend) };
  }

  async function echo(): Promise<Echo> {
    const e = await echoServer();
    cleanup.push(() => e.close());
    return e;
  }

  async function client(family: 'udp4' | 'udp6' = 'udp4') {
    const socket = dgram.createSocket(family);
    const replies: Array<{ text: string; fromPort: number }> = [];
    socket.on('message', (msg, rinfo) => replies.push({ text: msg.toString(), fromPort: rinfo.port }));
    await bound(socket, family === 'udp4' ? '127.0.0.1' : '::1');
    cleanup.push(() => void socket.close());
    return { socket, replies };
  }

  it('gives each of 100 concurrent clients only its own replies, from the proxy port', async () => {
    const e = await echo();
    const { port, backend } = await start(configFor([e.port]));
    const clients = await Promise.all(Array.from({ length: 100 }, () => client()));
    expect(new Set(clients.map((c) => c.socket.address().port)).size).to.equal(100);
    const perClient = 5;
    clients.forEach((c, i) => {
      for (let j = 0; j < perClient; j++) c.socket.send(`client${i}-${j}`, port, '127.0.0.1');
    });
    await eventually(() => clients.every((c) => c.replies.length >= perClient), 5000, 'every reply');
    clients.forEach((c, i) => {
      expect(c.replies.map((r) => r.text).sort()).to.deep.equal(Array.from({ length: perClient }, (_, j) => `client${i}-${j}`));
      expect(c.replies.every((r) => r.fromPort === port)).to.equal(true);
    });
    expect(backend.sessionCount()).to.equal(100);
    // Each client has its own upstream socket towards the one endpoint.
    expect(new Set(e.seen.map((s) => s.fromPort)).size).to.equal(100);
  });

  it('sends every packet to both endpoints (fan-out) and both replies back', async () => {
    const [a, b] = [await echo(), await echo()];
    const { port, metrics } = await start(configFor([a.port, b.port]));
    const c = await client();
    for (let i = 0; i < 10; i++) c.socket.send(`p${i}`, port, '127.0.0.1');
    await eventually(() => c.replies.length === 20, 5000, '20 replies');
    expect(a.seen.map((s) => s.text).sort()).to.deep.equal(b.seen.map((s) => s.text).sort());
    expect(a.seen).to.have.length(10);
    const text = await metrics.render();
    expect(sample(text, 'quilkin_packets_total{event="read",asn="",ip_prefix=""}')).to.equal(20);
    expect(sample(text, 'quilkin_packets_total{event="write",asn="",ip_prefix=""}')).to.equal(20);
    expect(sample(text, 'quilkin_session_total')).to.equal(2);
    // One observation per packet handled (10 from the client, each fanned out to two endpoints;
    // 20 replies), timed by the workers: exact, not sampled.
    const duration = 'quilkin_packets_processing_duration_seconds';
    expect(sample(text, `${duration}_count{event="read"}`)).to.equal(10);
    expect(sample(text, `${duration}_bucket{le="+Inf",event="read"}`)).to.equal(10);
    expect(sample(text, `${duration}_count{event="write"}`)).to.equal(20);
    expect(sample(text, `${duration}_sum{event="read"}`))
      .to.be.greaterThan(0)
      .and.lessThan(10);
    expect(sample(text, `${duration}_bucket{le="1.024",event="write"}`)).to.equal(20);
  });

  it('serves IPv6 clients on the same dual-stack socket, and IPv6 endpoints', async () => {
    const e4 = await echo();
    const e6 = dgram.createSocket({ type: 'udp6', recvBufferSize: RECV_BUFFER });
    e6.on('message', (msg, rinfo) => e6.send(msg, rinfo.port, rinfo.address));
    const port6 = await bound(e6, '::1');
    cleanup.push(() => void e6.close());
    const config = configFor([e4.port]);
    const v6Endpoint = { address: parseEndpointAddress(`[::1]:${port6}`), tokens: [], userMetadata: {} };
    const { port } = await start({ ...config, clusters: [{ endpoints: [...config.clusters[0].endpoints, v6Endpoint] }] });
    const c = await client('udp6');
    c.socket.send('over v6', port, '::1');
    await eventually(() => c.replies.length === 2, 5000, 'both replies');
    expect(c.replies).to.deep.equal([
      { text: 'over v6', fromPort: port },
      { text: 'over v6', fromPort: port },
    ]);
  });

  it('applies a new endpoint list without dropping an established session', async () => {
    const [a, b] = [await echo(), await echo()];
    const { port, backend, metrics } = await start(configFor([a.port]));
    const c = await client();
    c.socket.send('before', port, '127.0.0.1');
    await eventually(() => c.replies.length === 1, 5000, 'first reply');
    const upstreamPort = a.seen[0].fromPort;

    applyConfig(backend, configFor([a.port, b.port]));
    c.socket.send('after', port, '127.0.0.1');
    await eventually(() => c.replies.length === 3, 5000, 'replies from both endpoints');
    expect(b.seen.map((s) => s.text)).to.deep.equal(['after']);
    // Same session, so same upstream socket, towards the endpoint that was already there.
    expect(a.seen.map((s) => s.fromPort)).to.deep.equal([upstreamPort, upstreamPort]);
    expect(backend.sessionCount()).to.equal(2);
    expect(sample(await metrics.render(), 'quilkin_session_total')).to.equal(2);
  });

  it('expires idle sessions after the session timeout', async () => {
    const e = await echo();
    const { port, backend, metrics } = await start(configFor([e.port]), { sessionTimeoutSecs: 1 });
    const c = await client();
    c.socket.send('one', port, '127.0.0.1');
    await eventually(() => c.replies.length === 1, 5000, 'reply');
    expect(backend.sessionCount()).to.equal(1);
    await eventually(() => backend.sessionCount() === 0, 5000, 'expiry');
    const text = await metrics.render();
    expect(sample(text, 'quilkin_session_duration_secs_count')).to.equal(1);
    expect(sample(text, 'quilkin_session_active{asn="",ip_prefix="",organization="",country_code="",prefix_entity="",prefix_name=""}')).to.equal(0);
    c.socket.send('two', port, '127.0.0.1');
    await eventually(() => c.replies.length === 2, 5000, 'reply on a new session');
    expect(sample(await metrics.render(), 'quilkin_session_total')).to.equal(2);
  });

  it('bounds the session table and counts `session table full` drops', async () => {
    const e = await echo();
    const { port, backend, metrics } = await start(configFor([e.port]), { maxSessions: 3 });
    const clients = await Promise.all(Array.from({ length: 5 }, () => client()));
    // One at a time, so which clients got in is deterministic.
    for (const c of clients.slice(0, 3)) {
      c.socket.send('x', port, '127.0.0.1');
      await eventually(() => c.replies.length === 1, 5000, 'a reply');
    }
    for (const c of clients.slice(3)) c.socket.send('x', port, '127.0.0.1');
    const fullDrops = 'quilkin_packets_dropped_total{event="read",source="session table full",asn="",ip_prefix=""}';
    await eventually(async () => sample(await metrics.render(), fullDrops) === 2, 5000, 'two drops');
    expect(clients.slice(3).every((c) => c.replies.length === 0)).to.equal(true);
    expect(backend.sessionCount()).to.equal(3);
  });
});
