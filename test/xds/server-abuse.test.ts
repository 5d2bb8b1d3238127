// SPDX-License-Identifier: Apache-2.0
// The xDS server (manage's, relay's) against hostile clients, all on loopback: a flood of streams
// from one peer, thousands of random node ids, oversized and unprintable node ids.
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { expect } from 'chai';
import { parseConfigText } from '../../config/parse';
import { ConfigStore } from '../../config/store';
import { startXdsServer, type XdsServer } from '../../control-plane/xds/server';
import type { XdsServerLimits } from '../../control-plane/xds/server-limits';
import { filterRegistry } from '../../data-plane/filters';
import type { DeltaDiscoveryRequestInit, DeltaDiscoveryResponse } from '../../proto/messages';
import { CLUSTER_TYPE, PROXY_TYPES } from '../../proto/type-urls';
import { QuilkinMetrics } from '../../runtime/metrics';
import { eventually } from '../support/net';
import { adsService, type DeltaStream, PlainStream } from './plain-ads';

const CONFIG = 'clusters: [{ endpoints: [{ address: 127.0.0.1:7001 }] }]';

function store(): ConfigStore {
  const r = parseConfigText(CONFIG, filterRegistry());
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return new ConfigStore(r.value);
}

/** Lines of `name` series (not HELP/TYPE) in a Prometheus text rendering. */
function series(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`));
}

function sumOf(lines: string[]): number {
  return lines.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Many delta streams over one channel to `address`, closed together. */
class StreamPool {
  readonly client: grpc.Client;
  private readonly open: DeltaStream[] = [];

  constructor(address: string) {
    const Ads = adsService();
    this.client = new Ads(address, grpc.credentials.createInsecure());
  }

  stream(): DeltaStream {
    const def = adsService().service.DeltaAggregatedResources as grpc.MethodDefinition<DeltaDiscoveryRequestInit, DeltaDiscoveryResponse>;
    const s = new PlainStream(this.client, this.client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize));
    this.open.push(s);
    return s;
  }

  /**
   * Half-closes every stream opened so far, as a client that is done does; the channel stays.
   * (Cancelling hundreds at once is a rapid-reset pattern Node's HTTP/2 answers by closing the
   * whole connection.)
   */
  endAll(): void {
    this.open.splice(0).forEach((s) => s.call.end());
  }

  /** Cancels every stream opened so far; the channel stays for more. */
  cancelAll(): void {
    this.open.splice(0).forEach((s) => s.call.cancel());
  }

  close(): void {
    this.cancelAll();
    this.client.close();
  }
}

describe('xDS server under abuse (loopback)', function () {
  this.timeout(60_000);
  let server: XdsServer | undefined;
  let metrics: QuilkinMetrics;
  const pools: StreamPool[] = [];
  const pool = (address: string): StreamPool => {
    const p = new StreamPool(address);
    pools.push(p);
    return p;
  };
  const start = async (limits: Partial<XdsServerLimits>, host = '127.0.0.1', config = store()): Promise<XdsServer> => {
    server = await startXdsServer({ port: 0, host, serverId: 'abuse-test', store: config, types: PROXY_TYPES, metrics, limits, debounceMs: 5 });
    return server;
  };

  beforeEach(() => {
    metrics = new QuilkinMetrics();
  });
  afterEach(async () => {
    pools.splice(0).forEach((p) => p.close());
    await server?.close();
    server = undefined;
  });

  it('refuses streams past the per-peer cap with RESOURCE_EXHAUSTED, counts them, and still serves another peer', async () => {
    // Dual stack, so a second peer (::1) exists on loopback; every client below dials loopback.
    const s = await start({ maxStreamsPerPeer: 8 }, '::');
    const flood = pool(`127.0.0.1:${s.port}`);
    const streams = Array.from({ length: 40 }, (_, i) => {
      const st = flood.stream();
      st.send({ node: { id: `flood-${i}` }, typeUrl: CLUSTER_TYPE });
      return st;
    });
    await eventually(() => streams.every((st) => st.received.length > 0 || st.error), 10_000, 'every flood stream answered or refused');
    const refused = streams.filter((st) => st.error);
    expect(refused).to.have.length(32);
    expect(refused.every((st) => st.error?.code === grpc.status.RESOURCE_EXHAUSTED)).to.equal(true);
    expect(refused[0].error?.details).to.equal('peer stream limit reached (8 streams)');
    expect(s.streams()).to.equal(8);

    const legit = pool(`[::1]:${s.port}`).stream();
    legit.send({ node: { id: 'legit-proxy' }, typeUrl: CLUSTER_TYPE });
    const answer = await legit.next(5000);
    expect(answer.resources.map((r) => r.name)).to.deep.equal(['']);

    const text = await metrics.render();
    expect(text).to.contain('quilkin_xds_streams_refused_total{reason="peer stream limit"} 32');
    // Refused streams never reach the publisher: no series for their node ids.
    expect(series(text, 'quilkin_delta_discovery_requests')).to.have.length(9);

    // Slots come back when the flood goes.
    flood.cancelAll();
    await eventually(() => s.streams() === 1, 5000, 'flood streams released');
    const again = flood.stream();
    again.send({ node: { id: 'after-flood' }, typeUrl: CLUSTER_TYPE });
    expect((await again.next(5000)).typeUrl).to.equal(CLUSTER_TYPE);
  });

  it('closes TCP connections past the per-peer cap on accept, counted, while another peer connects', async () => {
    const s = await start({ maxStreamsPerPeer: 4 }, '::');
    const sockets: net.Socket[] = [];
    let closed = 0;
    try {
      await Promise.all(
        Array.from(
          { length: 20 },
          () =>
            new Promise<void>((resolve) => {
              const c = net.connect(s.port, '127.0.0.1', () => resolve());
              c.on('error', () => resolve());
              c.on('close', () => closed++);
              sockets.push(c);
            }),
        ),
      );
      await eventually(() => closed === 16, 5000, 'the 16 connections over the cap closed');
      expect(await metrics.render()).to.contain('quilkin_xds_connections_refused_total{reason="peer connection limit"} 16');
      const legit = pool(`[::1]:${s.port}`).stream();
      legit.send({ node: { id: 'legit' }, typeUrl: CLUSTER_TYPE });
      expect((await legit.next(5000)).typeUrl).to.equal(CLUSTER_TYPE);
    } finally {
      sockets.forEach((c) => c.destroy());
    }
    // Their slots come back once they close.
    await eventually(
      async () => {
        const st = pool(`127.0.0.1:${s.port}`).stream();
        st.send({ node: { id: 'later' }, typeUrl: CLUSTER_TYPE });
        return await st.next(2000).then(
          () => true,
          () => false,
        );
      },
      10_000,
      'a connection from 127.0.0.1 again',
    );
  });

  it('survives a PING flood from a client that never reads: that connection is closed, others are served', async () => {
    const s = await start({});
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
    const settings = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    const ping = Buffer.from([0, 0, 8, 0x6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // Control: the same frames, a few PINGs only, keep the connection open.
    const calm = net.connect(s.port, '127.0.0.1');
    let calmClosed = false;
    calm.on('error', () => undefined);
    calm.on('close', () => (calmClosed = true));
    calm.write(Buffer.concat([preface, settings, ping, ping, ping]));
    await new Promise((r) => setTimeout(r, 500));
    expect(calmClosed, 'a connection with three PINGs closed').to.equal(false);
    calm.destroy();

    const flood = Buffer.concat([preface, settings, ...Array.from({ length: 20_000 }, () => ping)]);
    const c = net.connect(s.port, '127.0.0.1');
    let closed = false;
    c.on('error', () => undefined);
    c.on('close', () => (closed = true));
    c.pause(); // never read the ACKs
    try {
      await new Promise<void>((resolve) => c.once('connect', () => resolve()));
      for (let i = 0; i < 50 && !closed; i++) {
        c.write(flood);
        await new Promise((r) => setTimeout(r, 20));
      }
      await eventually(() => closed, 10_000, 'the flooding connection closed by the server');
    } finally {
      c.destroy();
    }
    const legit = pool(`127.0.0.1:${s.port}`).stream();
    legit.send({ node: { id: 'legit' }, typeUrl: CLUSTER_TYPE });
    expect((await legit.next(5000)).typeUrl).to.equal(CLUSTER_TYPE);
  });

  it('ends the stream of a client that stops reading once responses queue up, and keeps serving others', async () => {
    const config = store();
    const s = await start({}, '127.0.0.1', config);
    const clustersOf = (port: number): ConfigStore['current']['clusters'] => {
      const endpoints = Array.from({ length: 1500 }, (_, i) => `{ address: '10.${(i >> 8) & 255}.${i & 255}.1:${port}' }`).join(', ');
      const r = parseConfigText(`clusters: [{ endpoints: [${endpoints}] }]`, filterRegistry());
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      return r.value.clusters;
    };
    const big = [clustersOf(7000), clustersOf(7001)];
    const p = pool(`127.0.0.1:${s.port}`);
    const stuck = p.stream();
    stuck.send({ node: { id: 'stuck' }, typeUrl: CLUSTER_TYPE });
    await stuck.next(5000);
    stuck.call.pause(); // reads nothing more: HTTP/2 flow control soon stops the server's writes
    const healthy = p.stream();
    healthy.send({ node: { id: 'healthy' }, typeUrl: CLUSTER_TYPE });
    await healthy.next(5000);
    let pushes = 0;
    const deadline = Date.now() + 20_000;
    while (s.streams() === 2 && Date.now() < deadline && pushes < 400) {
      config.apply({ clusters: big[pushes++ % 2] }, 'test');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(s.streams(), `streams after ${pushes} pushes`).to.equal(1);
    expect(pushes).to.be.above(100);
    expect(await metrics.render()).to.contain('quilkin_xds_streams_refused_total{reason="client not reading"} 1');
    // The healthy client read along and is still served.
    healthy.received.splice(0);
    config.apply({ clusters: clustersOf(7002) }, 'test');
    expect((await healthy.next(5000)).typeUrl).to.equal(CLUSTER_TYPE);
  });

  it('closes a connection that never opens a stream after the idle limit, and one that leaves its pings unanswered', async () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
    const settings = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    const raw: net.Socket[] = [];
    /** Opens a raw HTTP/2 client that sends the preface and then nothing (no stream, no PING ACK); resolves with ms until the server closed it, -1 if not within 5 s. */
    const silentClosedAfter = async (port: number): Promise<number> => {
      const c = net.connect(port, '127.0.0.1');
      raw.push(c);
      c.on('error', () => undefined);
      c.resume(); // read (and drop) what the server sends, so its FIN is seen
      const opened = Date.now();
      const closed = new Promise<number>((resolve) => c.on('close', () => resolve(Date.now() - opened)));
      await new Promise<void>((resolve) => c.once('connect', () => resolve()));
      c.write(Buffer.concat([preface, settings]));
      return Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5000))]);
    };
    try {
      const idle = await start({ maxConnectionIdleMs: 400 });
      expect(await silentClosedAfter(idle.port), 'ms until the idle connection closed').to.be.within(300, 3000);
      await idle.close();

      // Pings every 300 ms, 300 ms to answer; the idle limit is far away, so only a ping can close it.
      const pinging = await start({ keepaliveTimeMs: 300, keepaliveTimeoutMs: 300 });
      expect(await silentClosedAfter(pinging.port), 'ms until the unanswering connection closed').to.be.within(400, 3000);
      // A real client answers the pings and keeps its stream past several intervals.
      const live = pool(`127.0.0.1:${pinging.port}`).stream();
      live.send({ node: { id: 'answers-pings' }, typeUrl: CLUSTER_TYPE });
      await live.next(5000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(live.error).to.equal(undefined);
      expect(pinging.streams()).to.equal(1);
    } finally {
      raw.forEach((c) => c.destroy());
    }
  });

  it('caps the streams of all peers together', async () => {
    const s = await start({ maxStreams: 5 });
    const p = pool(`127.0.0.1:${s.port}`);
    const streams = Array.from({ length: 12 }, (_, i) => {
      const st = p.stream();
      st.send({ node: { id: `n-${i}` }, typeUrl: 'ignore-me' });
      return st;
    });
    await eventually(() => streams.every((st) => st.received.length > 0 || st.error), 10_000, 'every stream answered or refused');
    expect(streams.filter((st) => st.error?.code === grpc.status.RESOURCE_EXHAUSTED)).to.have.length(7);
    expect(await metrics.render()).to.contain('quilkin_xds_streams_refused_total{reason="stream limit"} 7');
  });

  it('keeps /metrics bounded under 2000 random node ids: at most the cap plus `other`, freed as streams close', async () => {
    const cap = 100;
    const s = await start({ maxNodeLabels: cap, maxStreamsPerPeer: 400 });
    const p = pool(`127.0.0.1:${s.port}`);
    const wave = 200;
    let sent = 0;
    for (let w = 0; w < 10; w++) {
      const streams = Array.from({ length: wave }, () => {
        const st = p.stream();
        st.send({ node: { id: `node-${randomBytes(12).toString('hex')}` }, typeUrl: 'ignore-me' });
        return st;
      });
      sent += wave;
      await eventually(() => streams.every((st) => st.received.length > 0 || st.error), 20_000, `wave ${w} answered`);
      expect(streams.filter((st) => st.error).map((st) => st.error?.details)).to.deep.equal([]);
      const lines = series(await metrics.render(), 'quilkin_delta_discovery_requests');
      expect(lines.length, `series after wave ${w}`).to.be.at.most(cap + 1);
      expect(lines.some((l) => l.includes('node="other"'))).to.equal(true);
      p.endAll();
      await eventually(() => s.streams() === 0, 10_000, `wave ${w} closed`);
    }
    const text = await metrics.render();
    const lines = series(text, 'quilkin_delta_discovery_requests');
    // Every node has gone, and with it its series; the overflow series holds what the nodes past the cap sent.
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/node="other"/);
    expect(sumOf(lines)).to.equal(sent - cap * 10);
    expect(text.length).to.be.below(64 * 1024);
  });

  it('refuses a 50 MiB node id by message size and over-long or unprintable ids by name, with no label for them', async () => {
    const s = await start({});
    const p = pool(`127.0.0.1:${s.port}`);
    const huge = p.stream();
    huge.send({ node: { id: 'x'.repeat(50 * 1024 * 1024) }, typeUrl: CLUSTER_TYPE });
    const hugeErr = await huge.failure(20_000);
    expect(hugeErr.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    expect(hugeErr.details).to.match(/larger than max/);

    const long = p.stream();
    long.send({ node: { id: 'y'.repeat(129) }, typeUrl: CLUSTER_TYPE });
    const longErr = await long.failure();
    expect(longErr.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(longErr.details).to.equal('node id is 129 bytes long, more than the limit of 128');

    const control = p.stream();
    control.send({ node: { id: 'proxy\n{"level":"ERROR"}' }, typeUrl: CLUSTER_TYPE });
    const controlErr = await control.failure();
    expect(controlErr.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(controlErr.details).to.contain('contains the control character U+000A');

    const unknown = p.stream();
    unknown.send({ node: { id: 'fine' }, typeUrl: `type.googleapis.com/${'z'.repeat(10_000)}` });
    const unknownErr = await unknown.failure();
    expect(unknownErr.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(unknownErr.details.length).to.be.below(200);

    const text = await metrics.render();
    expect(series(text, 'quilkin_delta_discovery_requests')).to.have.length(0);
    expect(text).to.contain('quilkin_xds_streams_refused_total{reason="invalid node id"} 2');
    expect(text).to.contain('quilkin_xds_streams_refused_total{reason="unknown type"} 1');
    expect(text.length).to.be.below(64 * 1024);
  });
});
