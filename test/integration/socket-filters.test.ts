// SPDX-License-Identifier: Apache-2.0
// The socket backend running a real filter chain in the native engine: token routing picks
// the endpoint, Concatenate grows replies in place, chain drops land in the metrics with
// Quilkin's labels, and a chain swap keeps sessions.
import { expect } from 'chai';
import * as dgram from 'node:dgram';
import { parseEndpointAddress } from '../../config/address';
import type { Config, FilterConfig } from '../../config/model';
import type { ProxyBackend } from '../../data-plane/backends/backend';
import { EngineDebugLog } from '../../data-plane/backends/engine-debug-log';
import { createSocketBackend } from '../../data-plane/backends/socket/socket-backend';
import { compileChain } from '../../data-plane/compiler/description';
import { registerAll } from '../../data-plane/filters/index';
import { FilterRegistry } from '../../data-plane/filters/registry';
import { loadEngine } from '../../native/engine/engine-addon';
import { loadNative } from '../../native/index';
import type { ModuleLogger } from '../../runtime/logger';
import { QuilkinMetrics } from '../../runtime/metrics';
import { snappyCodec } from '../../data-plane/filters/compress/codecs';
import { eventually } from '../support/net';
import { sample } from '../support/metrics-text';
import { applyConfig, compiled } from '../support/compiled';

const GEO = 'asn="",ip_prefix=""';
const CAPTURE = 'quilkin.filters.capture.v1alpha1.Capture';
const TOKEN_ROUTER = 'quilkin.filters.token_router.v1alpha1.TokenRouter';
const CONCATENATE = 'quilkin.filters.concatenate.v1alpha1.Concatenate';
const DROP = 'quilkin.filters.drop.v1alpha1.Drop';
const DEBUG = 'quilkin.filters.debug.v1alpha1.Debug';
const MATCH = 'quilkin.filters.match.v1alpha1.Match';
const TIMESTAMP = 'quilkin.filters.timestamp.v1alpha1.Timestamp';
const PASS = 'quilkin.filters.pass.v1alpha1.Pass';
const COMPRESS = 'quilkin.filters.compress.v1alpha1.Compress';

describe('socket backend with native filters', function () {
  this.timeout(20000);
  const registry = registerAll(new FilterRegistry());
  const sockets: dgram.Socket[] = [];
  const backends: ProxyBackend[] = [];
  afterEach(async () => {
    for (const b of backends.splice(0)) await b.stop();
    for (const s of sockets.splice(0)) s.close();
  });

  async function udp(echo = false) {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    const received: string[] = [];
    socket.on('message', (msg, rinfo) => {
      received.push(msg.toString());
      if (echo) socket.send(msg, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    sockets.push(socket);
    return { socket, received, port: socket.address().port };
  }

  function config(endpoints: Array<{ port: number; token: string }>, filters: FilterConfig[]): Config {
    const list = endpoints.map((e) => ({
      address: parseEndpointAddress(`127.0.0.1:${e.port}`),
      tokens: [Buffer.from(e.token)],
      userMetadata: {},
    }));
    const validated = filters.map((f) => ({ ...f, config: registry.validate(f.name, f.config) }));
    return { version: 'v1alpha1', clusters: [{ endpoints: list }], filters: validated, icaoCode: 'XXXX' };
  }

  const tokenChain: FilterConfig[] = [
    { name: CAPTURE, config: { suffix: { size: 1, remove: true } } },
    { name: TOKEN_ROUTER },
    { name: CONCATENATE, config: { on_write: 'APPEND', bytes: Buffer.from('!').toString('base64') } },
  ];

  async function start(cfg: Config) {
    const metrics = new QuilkinMetrics();
    const backend = await createSocketBackend(
      { port: 0, qcmpPort: 0, workers: 2, sessionTimeoutSecs: 60, maxSessions: 100, metrics, registry },
      compiled(cfg, registry),
    );
    backends.push(backend);
    return { backend, metrics, port: Number(String(backend.describe().listen).split(':').pop()) };
  }

  it('routes by token, strips it, and appends to replies', async () => {
    const [a, b] = [await udp(true), await udp(true)];
    const { port, metrics } = await start(
      config(
        [
          { port: a.port, token: 'a' },
          { port: b.port, token: 'b' },
        ],
        tokenChain,
      ),
    );
    const client = await udp();
    client.socket.send('to-a' + 'a', port, '127.0.0.1');
    client.socket.send('to-b' + 'b', port, '127.0.0.1');
    client.socket.send('to-nobody' + 'c', port, '127.0.0.1');
    await eventually(() => client.received.length === 2, 5000, 'two replies');
    expect(a.received).to.deep.equal(['to-a']);
    expect(b.received).to.deep.equal(['to-b']);
    expect(client.received.sort()).to.deep.equal(['to-a!', 'to-b!']);
    const series = `quilkin_packets_dropped_total{event="read",source="filter::token_router::no endpoint match",${GEO}}`;
    await eventually(async () => sample(await metrics.render(), series) === 1, 5000, 'the counted drop');
  });

  it('swaps to a dropping chain without closing sessions, and labels the drops', async () => {
    const a = await udp(true);
    const { port, metrics, backend } = await start(config([{ port: a.port, token: 'a' }], tokenChain));
    const client = await udp();
    client.socket.send('first' + 'a', port, '127.0.0.1');
    await eventually(() => client.received.length === 1, 5000, 'the reply');
    applyConfig(backend, config([{ port: a.port, token: 'a' }], [{ name: DROP }]), registry);
    client.socket.send('second' + 'a', port, '127.0.0.1');
    const series = `quilkin_packets_dropped_total{event="read",source="filter::drop::dropped",${GEO}}`;
    await eventually(async () => sample(await metrics.render(), series) === 1, 5000, 'the drop');
    expect(a.received).to.deep.equal(['first']);
    expect(backend.sessionCount()).to.equal(1);
  });

  it('exports Match counts and Timestamp samples from the engine, across a chain swap', async () => {
    const a = await udp(true);
    const sentAt = 'example.com/sent_at';
    const chain: FilterConfig[] = [
      { name: CAPTURE, config: { metadataKey: sentAt, suffix: { size: 8, remove: true } } },
      { name: TIMESTAMP, config: { metadataKey: sentAt } },
      { name: CAPTURE, config: { suffix: { size: 1, remove: true } } },
      {
        name: MATCH,
        config: { on_read: { metadataKey: 'quilkin.dev/capture', branches: [{ value: 'a', name: PASS }], fallthrough: { name: DROP } } },
      },
      { name: TOKEN_ROUTER },
    ];
    const { port, metrics, backend } = await start(config([{ port: a.port, token: 'a' }], chain));
    const client = await udp();
    const stamped = (body: string): Buffer => {
      const ts = Buffer.alloc(8);
      ts.writeBigInt64BE(BigInt(Math.floor(Date.now() / 1000) - 2));
      return Buffer.concat([Buffer.from(body), ts]);
    };
    const matched = `quilkin_filter_int_counter{id="${MATCH}",label="packets_matched_total",help="Total number of packets where the dynamic metadata matches a branch value.",event="read"}`;
    const fallthrough = `quilkin_filter_int_counter{id="${MATCH}",label="packets_fallthrough_total",help="Total number of packets that are processed by the fallthrough configuration",event="read"}`;
    const samples = `quilkin_filter_histogram_count{id="${TIMESTAMP}",label="duration",help="duration in seconds of time since the timestamp in metadata compared to now",event="read",shared_metadata_1="${sentAt}"}`;
    const aged = `quilkin_filter_histogram_bucket{le="1",id="${TIMESTAMP}",label="duration",help="duration in seconds of time since the timestamp in metadata compared to now",event="read",shared_metadata_1="${sentAt}"}`;
    client.socket.send(stamped('one' + 'a'), port, '127.0.0.1');
    client.socket.send(stamped('two' + 'z'), port, '127.0.0.1');
    await eventually(() => a.received.length === 1, 5000, 'the forwarded packet');
    await eventually(
      async () => {
        const text = await metrics.render();
        return sample(text, matched) === 1 && sample(text, fallthrough) === 1 && sample(text, samples) === 2;
      },
      5000,
      'both counters and samples',
    );
    expect(a.received).to.deep.equal(['one']);
    expect(sample(await metrics.render(), aged)).to.equal(0); // two seconds old: above the 1 s bound
    // A different chain starts with fresh engine cells: the exported totals must carry on.
    applyConfig(backend, config([{ port: a.port, token: 'a' }], [...chain, { name: PASS }]), registry);
    client.socket.send(stamped('three' + 'a'), port, '127.0.0.1');
    await eventually(() => a.received.length === 2, 5000, 'the second forwarded packet');
    await eventually(
      async () => {
        const text = await metrics.render();
        return sample(text, matched) === 2 && sample(text, fallthrough) === 1 && sample(text, samples) === 3;
      },
      5000,
      'totals across the swap',
    );
  });

  it("decompresses reads and compresses replies as Quilkin's server proxy does, exporting its byte counters and drops", async () => {
    const a = await udp(true);
    const { port, metrics } = await start(
      config([{ port: a.port, token: 'a' }], [{ name: COMPRESS, config: { on_read: 'DECOMPRESS', on_write: 'COMPRESS' } }]),
    );
    const client = await udp();
    const replies: Buffer[] = [];
    client.socket.on('message', (msg) => replies.push(msg));
    const plain = Buffer.from('hello my name is mark and I like to do things'.repeat(100));
    const packed = snappyCodec.encode(plain);
    if (!packed.ok) throw new Error(packed.error);
    client.socket.send(packed.contents, port, '127.0.0.1');
    client.socket.send('not snappy', port, '127.0.0.1');
    await eventually(() => replies.length === 1, 5000, 'the compressed echo');
    expect(a.received).to.deep.equal([plain.toString()]);
    const unpacked = snappyCodec.decode(replies[0]!);
    expect(unpacked.ok && unpacked.contents.equals(plain)).to.equal(true);
    const counter = (label: string, event: string) =>
      `quilkin_filter_int_counter{id="${COMPRESS}",label="${label}",help="Total number of ${label.split('_')[0]} bytes either received or sent.",event="${event}"}`;
    const dropped = `quilkin_packets_dropped_total{event="read",source="filter::compression::io",${GEO}}`;
    await eventually(
      async () => {
        const text = await metrics.render();
        return (
          sample(text, counter('compressed_bytes_total', 'read')) === packed.contents.length &&
          sample(text, counter('decompressed_bytes_total', 'read')) === plain.length &&
          sample(text, counter('decompressed_bytes_total', 'write')) === plain.length &&
          sample(text, counter('compressed_bytes_total', 'write')) === replies[0]!.length &&
          sample(text, dropped) === 1
        );
      },
      5000,
      'the byte counters and the counted drop',
    );
  });

  it('rejects a config the engine cannot compile with a precise error and keeps the old one', async () => {
    const a = await udp(true);
    const { port, backend } = await start(config([{ port: a.port, token: 'a' }], tokenChain));
    const bad: Config = { ...config([{ port: a.port, token: 'a' }], []), filters: [{ name: 'quilkin.filters.nope.v1alpha1.Nope' }] };
    expect(() => applyConfig(backend, bad, registry)).to.throw(/nope/i);
    const client = await udp();
    client.socket.send('still' + 'a', port, '127.0.0.1');
    await eventually(() => client.received.length === 1, 5000, 'the reply through the old chain');
    expect(client.received).to.deep.equal(['still!']);
  });

  it('logs Debug filter events from the workers with the filter id, source and contents', async () => {
    const a = await udp(true);
    const cfg = config([{ port: a.port, token: 'a' }], [{ name: DEBUG, config: { id: 'probe' } }]);
    const compiled = compileChain(cfg.filters, cfg.clusters, registry);
    const Engine = loadEngine().engine?.Engine;
    const SocketBackend = loadNative().addon?.socket.SocketBackend;
    if (!Engine || !SocketBackend) throw new Error('addon not built');
    const engine = new Engine(1);
    engine.publish(compiled.description);
    const native = new SocketBackend({
      port: 0,
      workers: 1,
      sessionTimeoutMs: 60_000,
      unrepliedTimeoutMs: 60_000,
      maxSessions: 10,
      maxSessionsPerSource: 0,
      engine,
    });
    const lines: Array<{ fields: Record<string, unknown>; message?: string }> = [];
    const record = (fields: Record<string, unknown> | string, message?: string): void =>
      void lines.push({ fields: typeof fields === 'string' ? {} : fields, message });
    const log: ModuleLogger = { trace: record, debug: record, info: record, warn: record, error: record, fatal: record, isLevelEnabled: () => true };
    const debugLog = new EngineDebugLog(engine, log);
    debugLog.follow(compiled.slots);
    try {
      const client = await udp();
      client.socket.send('peek', native.describe().port, '127.0.0.1');
      await eventually(() => client.received.length === 1, 5000, 'the reply');
      await eventually(() => lines.length === 2, 2000, 'both events');
      const read = lines.find((l) => l.message === 'Read filter event');
      const write = lines.find((l) => l.message === 'Write filter event');
      expect(read?.fields).to.deep.equal({ id: 'probe', source: `127.0.0.1:${client.port}`, contents: 'peek' });
      expect(write?.fields).to.deep.equal({ id: 'probe', source: `127.0.0.1:${a.port}`, dest: `127.0.0.1:${client.port}`, contents: 'peek' });
    } finally {
      native.stop();
      debugLog.stop();
    }
  });

  it('keeps forwarding and accounting while configs swap under traffic', async () => {
    const [a, b] = [await udp(true), await udp(true)];
    const both = config(
      [
        { port: a.port, token: 'a' },
        { port: b.port, token: 'b' },
      ],
      tokenChain,
    );
    const onlyA = config([{ port: a.port, token: 'a' }], [{ name: CONCATENATE, config: { on_read: 'PREPEND', bytes: Buffer.from('>').toString('base64') } }]);
    const { port, metrics, backend } = await start(both);
    const clients = await Promise.all(Array.from({ length: 4 }, () => udp()));
    let sent = 0;
    for (let round = 0; round < 40; round++) {
      applyConfig(backend, round % 2 === 0 ? onlyA : both, registry);
      for (const c of clients) {
        c.socket.send('xa', port, '127.0.0.1');
        sent++;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    // Every packet is either forwarded to one endpoint (both chains route 'xa' to a alone) or dropped and counted.
    const read = `quilkin_packets_total{event="read",${GEO}}`;
    const accounted = async (): Promise<number> => {
      const text = await metrics.render();
      const drops = text.split('\n').filter((l) => l.startsWith('quilkin_packets_dropped_total{event="read"'));
      return sample(text, read) + drops.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    };
    await eventually(async () => (await accounted()) === sent, 5000, 'every packet accounted for');
    expect(b.received).to.deep.equal([]);
    expect(backend.sessionCount()).to.equal(4);
  });
});
