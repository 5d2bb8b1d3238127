// SPDX-License-Identifier: Apache-2.0
// The native socket backend under hostile or odd input: empty and maximum-size datagrams,
// oversize IPv6 datagrams, replies from strangers, no endpoints; every drop must be counted,
// nothing may crash, and stop() must release every fd and the port.
import { expect } from 'chai';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import { parseEndpointAddress } from '../../config/address';
import type { Config } from '../../config/model';
import type { ProxyBackend } from '../../data-plane/backends/backend';
import { createSocketBackend } from '../../data-plane/backends/socket/socket-backend';
import { FilterRegistry } from '../../data-plane/filters/registry';
import { QuilkinMetrics } from '../../runtime/metrics';
import { eventually, udpClient, udpServer } from '../support/net';
import { canSendRaw, sendRawUdp4 } from '../support/raw-udp';
import { sample } from '../support/metrics-text';
import { compiled } from '../support/compiled';

const RECV_BUFFER = 4 << 20;
const GEO = 'asn="",ip_prefix=""';

function configFor(ports: readonly number[]): Config {
  const endpoints = ports.map((p) => ({ address: parseEndpointAddress(`127.0.0.1:${p}`), tokens: [], userMetadata: {} }));
  return { version: 'v1alpha1', clusters: ports.length ? [{ endpoints }] : [], filters: [], icaoCode: 'XXXX' };
}

/** What each open fd is (socket:[inode], anon_inode:[eventpoll], ...); inodes are unique while open. */
function openFdTargets(): string[] {
  const targets: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      targets.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed between readdir and readlink (the readdir's own fd, or another test's)
    }
  }
  return targets;
}

const count = (list: string[], what: string): number => list.filter((t) => t === what).length;

describe('socket backend: hostile input and teardown', function () {
  this.timeout(20000);
  const sockets: dgram.Socket[] = [];
  const backends: ProxyBackend[] = [];
  afterEach(async () => {
    for (const b of backends.splice(0)) await b.stop();
    for (const s of sockets.splice(0)) s.close();
  });

  async function udp(type: 'udp4' | 'udp6', address: string, echo = false) {
    const socket = dgram.createSocket({ type, recvBufferSize: RECV_BUFFER, sendBufferSize: RECV_BUFFER });
    const received: Array<{ length: number; port: number }> = [];
    socket.on('message', (msg, rinfo) => {
      received.push({ length: msg.length, port: rinfo.port });
      if (echo) socket.send(msg, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, address, resolve));
    sockets.push(socket);
    return { socket, received, port: socket.address().port };
  }

  async function start(config: Config) {
    const metrics = new QuilkinMetrics();
    const backend = await createSocketBackend(
      { port: 0, qcmpPort: 0, workers: 2, sessionTimeoutSecs: 60, maxSessions: 100, metrics, registry: new FilterRegistry() },
      compiled(config),
    );
    backends.push(backend);
    return { backend, metrics, port: Number(String(backend.describe().listen).split(':').pop()) };
  }

  it('drops datagrams from source port 0 and from 0.0.0.0/8 (counted, never forwarded) and keeps serving', async function () {
    if (!canSendRaw()) this.skip();
    const echo = await udpServer('echo');
    const { metrics, port } = await start(configFor([echo.port]));
    sendRawUdp4([
      { src: '127.0.0.1', srcPort: 0, dst: '127.0.0.1', dstPort: port, payload: Buffer.from('from port zero') },
      { src: '0.0.0.7', srcPort: 4000, dst: '127.0.0.1', dstPort: port, payload: Buffer.from('from this network') },
    ]);
    const dropped = `quilkin_packets_dropped_total{event="read",source="invalid source address",asn="",ip_prefix=""}`;
    await eventually(async () => sample(await metrics.render(), dropped) === 2, 5000, 'both invalid-source drops');
    const client = await udpClient();
    client.send('still alive', port);
    await eventually(() => client.received.length === 1, 5000, 'the legitimate reply');
    expect(echo.received.map((r) => r.data.toString())).to.deep.equal(['still alive']);
    await client.close();
    await echo.close();
  });

  it('forwards zero-length and 65507-byte datagrams both ways', async () => {
    const echo = await udp('udp4', '127.0.0.1', true);
    const { port, metrics } = await start(configFor([echo.port]));
    const client = await udp('udp4', '127.0.0.1');
    client.socket.send(Buffer.alloc(0), port, '127.0.0.1');
    client.socket.send(Buffer.alloc(65507, 7), port, '127.0.0.1');
    await eventually(() => client.received.length === 2, 5000, 'both replies');
    expect(client.received.map((r) => r.length).sort((a, b) => a - b)).to.deep.equal([0, 65507]);
    const text = await metrics.render();
    expect(sample(text, `quilkin_bytes_total{event="read",${GEO}}`)).to.equal(65507);
    expect(sample(text, `quilkin_bytes_total{event="write",${GEO}}`)).to.equal(65507);
  });

  it('drops and counts an IPv6 datagram larger than any IPv4 endpoint can take', async () => {
    const echo = await udp('udp4', '127.0.0.1', true);
    const { port, metrics } = await start(configFor([echo.port]));
    const client = await udp('udp6', '::1');
    client.socket.send(Buffer.alloc(65527, 1), port, '::1');
    client.socket.send(Buffer.from('small'), port, '::1');
    await eventually(() => client.received.length === 1, 5000, 'the small reply');
    expect(client.received[0].length).to.equal(5);
    expect(echo.received.map((r) => r.length)).to.deep.equal([5]);
    expect(sample(await metrics.render(), `quilkin_packets_dropped_total{event="read",source="packet too large",${GEO}}`)).to.equal(1);
  });

  it('counts packets that arrive while there are no endpoints', async () => {
    const { port, metrics } = await start(configFor([]));
    const client = await udp('udp4', '127.0.0.1');
    for (let i = 0; i < 3; i++) client.socket.send('nowhere', port, '127.0.0.1');
    const series = `quilkin_packets_dropped_total{event="read",source="no upstream endpoints",${GEO}}`;
    await eventually(async () => sample(await metrics.render(), series) === 3, 5000, 'three drops');
  });

  it('drops replies that reach an upstream socket from a stranger, and counts them', async () => {
    const echo = await udp('udp4', '127.0.0.1', true);
    const { port, metrics } = await start(configFor([echo.port]));
    const client = await udp('udp4', '127.0.0.1');
    client.socket.send('hello', port, '127.0.0.1');
    await eventually(() => client.received.length === 1, 5000, 'the reply');
    const upstreamPort = echo.received[0].port;
    const stranger = await udp('udp4', '127.0.0.1');
    stranger.socket.send('spoofed', upstreamPort, '127.0.0.1');
    const series = `quilkin_packets_dropped_total{event="write",source="no downstream session",${GEO}}`;
    await eventually(async () => sample(await metrics.render(), series) === 1, 5000, 'the drop');
    expect(client.received).to.have.length(1);
  });

  it('stop() closes every fd it opened and frees the port', async () => {
    const echo = await udp('udp4', '127.0.0.1', true);
    const before = openFdTargets();
    const { backend, port } = await start(configFor([echo.port]));
    const clients = await Promise.all(Array.from({ length: 10 }, () => udp('udp4', '127.0.0.1')));
    for (const c of clients) c.socket.send('x', port, '127.0.0.1');
    await eventually(() => clients.every((c) => c.received.length === 1), 5000, 'all replies');
    const running = openFdTargets();
    const opened = running.filter((t) => t.startsWith('socket:') && !before.includes(t));
    // 2 listening sockets + 10 upstream sockets (one per client) + the 10 clients.
    expect(opened.length).to.be.at.least(22);
    expect(count(running, 'anon_inode:[eventpoll]')).to.equal(count(before, 'anon_inode:[eventpoll]') + 2);
    const started = Date.now();
    await backend.stop();
    expect(Date.now() - started).to.be.below(2000);
    expect(backend.sessionCount()).to.equal(0);
    const after = openFdTargets();
    // Only the ten client sockets remain of what was opened; the epoll sets and eventfds are gone.
    expect(opened.filter((t) => after.includes(t)).length).to.be.at.most(10);
    expect(count(after, 'anon_inode:[eventpoll]')).to.equal(count(before, 'anon_inode:[eventpoll]'));
    expect(count(after, 'anon_inode:[eventfd]')).to.equal(count(before, 'anon_inode:[eventfd]'));
    const rebind = dgram.createSocket({ type: 'udp6', ipv6Only: false });
    await new Promise<void>((resolve, reject) => {
      rebind.once('error', reject);
      rebind.bind(port, '::', resolve);
    });
    rebind.close();
  });

  it('survives a flood of random-sized datagrams from many clients and accounts for every one', async () => {
    const echo = await udp('udp4', '127.0.0.1', true);
    const { port, metrics, backend } = await start(configFor([echo.port]));
    const clients = await Promise.all(Array.from({ length: 8 }, () => udp('udp4', '127.0.0.1')));
    let sent = 0;
    for (let round = 0; round < 25; round++) {
      for (const c of clients) {
        c.socket.send(Buffer.alloc(Math.floor(Math.random() * 2000)), port, '127.0.0.1');
        sent++;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const read = `quilkin_packets_total{event="read",${GEO}}`;
    await eventually(async () => sample(await metrics.render(), read) === sent, 5000, 'every packet forwarded');
    expect(backend.sessionCount()).to.equal(8);
  });

  it('fails to start with a precise error when the port is taken or the worker count is impossible', async () => {
    const holder = await udp('udp6', '::');
    const options = { qcmpPort: 0, sessionTimeoutSecs: 60, maxSessions: 10, metrics: new QuilkinMetrics(), registry: new FilterRegistry() };
    let error: Error | undefined;
    await createSocketBackend({ ...options, port: holder.port, workers: 1 }, compiled(configFor([]))).catch((e: Error) => (error = e));
    expect(error?.message).to.match(new RegExp(`bind\\(\\[::\\]:port\\) for port ${holder.port}: Address already in use`));
    await createSocketBackend({ ...options, port: 0, workers: 0 }, compiled(configFor([]))).catch((e: Error) => (error = e));
    expect(error?.message).to.equal('socket backend: workers must be 1..64, got 0');
  });
});
