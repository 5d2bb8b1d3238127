// SPDX-License-Identifier: Apache-2.0
// Filter state across generations on one engine, with real native workers on loopback: an
// unchanged LocalRateLimit keeps its buckets and an unchanged LoadBalancer its rotation whatever
// else changed (the TS chain's rule), a changed one starts afresh; and prepare/publish.
import { expect } from 'chai';
import fc from 'fast-check';
import * as dgram from 'node:dgram';
import { parseEndpointAddress } from '../../config/address';
import type { ClusterConfig } from '../../config/model';
import { compileChain } from '../../data-plane/compiler/description';
import dropReasons from '../../data-plane/drop_reasons.json';
import { FilterChain } from '../../data-plane/filters/chain';
import { filterRegistry } from '../../data-plane/filters/index';
import { testServices } from '../../test/support/filter-services';
import { loadNative } from '../index';
import type { NativeSocketBackend } from '../socket/socket-addon';
import type { RawFilterConfig } from '../../test/conformance/implementations';
import { normaliseFilters } from '../../test/conformance/native-implementation';
import { filterArb } from '../../test/fuzz/arbitraries';
import { eventually } from '../../test/support/net';
import { type NativeEngine, loadEngine } from './engine-addon';

const LRL = 'quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit';
const LB = 'quilkin.filters.load_balancer.v1alpha1.LoadBalancer';
const PASS = { name: 'quilkin.filters.pass.v1alpha1.Pass' };
const DEBUG = { name: 'quilkin.filters.debug.v1alpha1.Debug', config: { id: 'unrelated' } };
const CAPTURE = 'quilkin.filters.capture.v1alpha1.Capture';
const MATCH = 'quilkin.filters.match.v1alpha1.Match';
const CONCAT = 'quilkin.filters.concatenate.v1alpha1.Concatenate';

const RATE_LIMITED = dropReasons.reasons.find((r) => r.name === 'RATE_LIMITED')!.id;

function limit(maxPackets: number, period = 60): RawFilterConfig {
  return { name: LRL, config: { max_packets: maxPackets, period } };
}

/** Sends everything to branch `x` of a Match on a 1-byte suffix capture (kept, so packets are unchanged). */
function inMatch(branch: RawFilterConfig, key = 'k'): RawFilterConfig[] {
  return [
    { name: CAPTURE, config: { metadataKey: key, suffix: { size: 1, remove: false } } },
    { name: MATCH, config: { on_read: { metadataKey: key, branches: [{ value: 'x', ...branch }], fallthrough: PASS } } },
  ];
}

describe('native engine: filter state across generations', function () {
  this.timeout(20000);
  const { engine: addon, error } = loadEngine();
  const SocketBackend = loadNative().addon?.socket.SocketBackend;
  const sockets: dgram.Socket[] = [];
  const backends: NativeSocketBackend[] = [];
  before(function () {
    if (!addon || !SocketBackend) {
      console.log(`  [engine] native addon not built (npm run build:native): ${error?.message}`);
      this.skip();
    }
  });
  afterEach(() => {
    for (const b of backends.splice(0)) b.stop();
    for (const s of sockets.splice(0)) s.close();
  });

  async function udp(echo: boolean): Promise<{ port: number; socket: dgram.Socket; received: string[] }> {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    sockets.push(socket);
    const received: string[] = [];
    socket.on('message', (msg, rinfo) => {
      received.push(msg.toString());
      if (echo) socket.send(msg, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return { port: socket.address().port, socket, received };
  }

  function clusters(ports: readonly number[]): ClusterConfig[] {
    return [{ endpoints: ports.map((p) => ({ address: parseEndpointAddress(`127.0.0.1:${p}`), tokens: [], userMetadata: {} })) }];
  }

  function describe_(filters: RawFilterConfig[], ports: readonly number[]): Buffer {
    return compileChain(normaliseFilters(filters), clusters(ports), filterRegistry()).description;
  }

  /** One engine with a frozen clock and one native worker (so round robin and buckets are exact). */
  async function proxy(filters: RawFilterConfig[], ports: readonly number[]) {
    const engine: NativeEngine = new addon!.Engine(1);
    engine.freezeClock(1_700_000_000_000);
    engine.publish(describe_(filters, ports));
    const native = new SocketBackend!({
      port: 0,
      workers: 1,
      sessionTimeoutMs: 60_000,
      unrepliedTimeoutMs: 60_000,
      maxSessions: 100,
      maxSessionsPerSource: 0,
      engine,
    });
    backends.push(native);
    const port = native.describe().port;
    const client = await udp(false);
    /** Sends `n` packets and waits until the worker has decided on all of them; returns how many were rate limited. */
    const send = async (n: number, text = 'px'): Promise<number> => {
      const t = native.totals();
      const before = t.passed[0] + t.drops[0].reduce((a, b) => a + b, 0);
      const limited = t.drops[0][RATE_LIMITED];
      for (let i = 0; i < n; i++) client.socket.send(text, port, '127.0.0.1');
      await eventually(
        () => {
          const now = native.totals();
          return now.passed[0] + now.drops[0].reduce((a, b) => a + b, 0) === before + n;
        },
        5000,
        `${n} packets decided`,
      );
      return native.totals().drops[0][RATE_LIMITED] - limited;
    };
    return { engine, native, send, publish: (f: RawFilterConfig[], p: readonly number[] = ports) => engine.publish(describe_(f, p)) };
  }

  describe('LocalRateLimit', function () {
    it('keeps its buckets across an endpoint-only change (the whole chain is reused)', async () => {
      const [a, b] = [await udp(true), await udp(true)];
      const p = await proxy([limit(2)], [a.port]);
      expect(await p.send(2)).to.equal(0);
      const r = p.publish([limit(2)], [a.port, b.port]);
      expect(r).to.include({ chainReused: true, filtersKept: 1 });
      expect(await p.send(1)).to.equal(1);
    });

    it('keeps its buckets when unrelated filters are added before and after it or changed', async () => {
      const a = await udp(true);
      const concat = (bytes: string) => ({ name: CONCAT, config: { on_write: 'APPEND', bytes: Buffer.from(bytes).toString('base64') } });
      const p = await proxy([concat('!'), limit(3)], [a.port]);
      expect(await p.send(2)).to.equal(0);
      expect(p.publish([DEBUG, concat('?'), limit(3), PASS])).to.include({ chainReused: false, filtersKept: 1 });
      expect(await p.send(1)).to.equal(0); // the third of three
      expect(p.publish([limit(3), DEBUG])).to.include({ chainReused: false, filtersKept: 2 });
      expect(await p.send(2)).to.equal(2);
    });

    it('starts afresh when its own config changes, and when changed back', async () => {
      const a = await udp(true);
      const p = await proxy([limit(2)], [a.port]);
      expect(await p.send(3)).to.equal(1);
      expect(p.publish([limit(3)])).to.include({ filtersKept: 0 });
      expect(await p.send(3)).to.equal(0);
      expect(await p.send(1)).to.equal(1);
      expect(p.publish([limit(3, 61)])).to.include({ filtersKept: 0 });
      expect(await p.send(3)).to.equal(0);
      expect(p.publish([limit(2)])).to.include({ filtersKept: 0 });
      expect(await p.send(2)).to.equal(0);
    });

    it('identical limiters are claimed in chain order, each at most once', async () => {
      const a = await udp(true);
      // The first limiter counts every packet; the second only sees what passes the capture (none
      // of these 1-byte packets), so the two hold different buckets for this client.
      const shortDrops = { name: CAPTURE, config: { suffix: { size: 3, remove: false } } };
      const p = await proxy([limit(3), shortDrops, limit(3)], [a.port]);
      expect(await p.send(3, 'x')).to.equal(0);
      // One limiter left: it takes the first one's full bucket, not the second's empty one.
      expect(p.publish([limit(3)])).to.include({ filtersKept: 1 });
      expect(await p.send(1, 'x')).to.equal(1);
      // Two again: the first claims that full bucket; the second finds nothing left to claim.
      expect(p.publish([limit(3), limit(3)])).to.include({ filtersKept: 1 });
      expect(await p.send(1, 'x')).to.equal(1);
    });

    it('moved into a Match branch starts afresh (only top-level filters carry state, as in TS)', async () => {
      const a = await udp(true);
      const p = await proxy([limit(2)], [a.port]);
      expect(await p.send(2, 'x')).to.equal(0);
      expect(p.publish(inMatch(limit(2)))).to.include({ filtersKept: 0 });
      expect(await p.send(2, 'x')).to.equal(0);
      expect(await p.send(1, 'x')).to.equal(1);
      // ... and out again: fresh as well.
      expect(p.publish([limit(2)])).to.include({ filtersKept: 0 });
      expect(await p.send(2, 'x')).to.equal(0);
    });

    it('inside an unchanged Match keeps its buckets when the Match moves and other keys are interned first', async () => {
      const a = await udp(true);
      const p = await proxy(inMatch(limit(2)), [a.port]);
      expect(await p.send(2, 'x')).to.equal(0);
      // A new capture (another key, interned first) in front shifts every slot and key index.
      const other = { name: CAPTURE, config: { metadataKey: 'first', suffix: { size: 1, remove: false } } };
      expect(p.publish([other, ...inMatch(limit(2))])).to.include({ chainReused: false, filtersKept: 2 });
      expect(await p.send(1, 'x')).to.equal(1);
      // The Match's own config changed (another fallthrough): its branches are rebuilt, fresh.
      const changed = inMatch(limit(2));
      (changed[1].config as { on_read: { fallthrough: RawFilterConfig } }).on_read.fallthrough = DEBUG;
      expect(p.publish(changed)).to.include({ filtersKept: 1 });
      expect(await p.send(2, 'x')).to.equal(0);
    });
  });

  it('LoadBalancer ROUND_ROBIN continues its rotation across an unrelated change', async () => {
    const eps = [await udp(true), await udp(true), await udp(true)];
    const ports = eps.map((e) => e.port);
    const p = await proxy([{ name: LB, config: { policy: 'ROUND_ROBIN' } }], ports);
    await p.send(1, 'one');
    expect(p.publish([PASS, { name: LB, config: { policy: 'ROUND_ROBIN' } }, DEBUG])).to.include({ filtersKept: 1 });
    await p.send(1, 'two');
    await p.send(1, 'three');
    await eventually(() => eps.every((e) => e.received.length === 1), 5000, 'one packet per endpoint');
    // A restarted rotation would have sent 'two' where 'one' went.
    expect(eps.map((e) => e.received[0]).sort()).to.deep.equal(['one', 'three', 'two']);
  });

  // Random chain pairs: the next chain reuses some configs of the previous one (any order, some
  // twice) among new ones; the engine must keep exactly as many filters as FilterChain.build.
  it('keeps exactly the filters the TS chain keeps, for random chain pairs', function () {
    const registry = filterRegistry();
    const endpoints = clusters([7001]);
    const next = (prev: RawFilterConfig[]) =>
      fc
        .array(fc.oneof(fc.nat({ max: 7 }), filterArb), { maxLength: 8 })
        .map((picks) => picks.flatMap((p) => (typeof p !== 'number' ? [p] : prev.length > 0 ? [structuredClone(prev[p % prev.length])] : [])));
    const pair = fc.array(filterArb, { maxLength: 6 }).chain((prev) => fc.tuple(fc.constant(prev), next(prev)));
    fc.assert(
      fc.property(pair, ([prev, after]) => {
        const services = testServices({ registry });
        const tsPrev = FilterChain.build(normaliseFilters(prev), registry, services);
        const tsNext = FilterChain.build(normaliseFilters(after), registry, services, tsPrev);
        const tsKept = tsNext.filters.filter((f) => tsPrev.filters.includes(f)).length;
        const engine = new addon!.Engine(1);
        engine.publish(compileChain(normaliseFilters(prev), endpoints, registry).description);
        const result = engine.publish(compileChain(normaliseFilters(after), endpoints, registry).description);
        expect(result.filtersKept, JSON.stringify({ prev, after })).to.equal(tsKept);
      }),
      { numRuns: 400 },
    );
  });

  describe('prepare and publish', function () {
    it('prepare of a bad description throws the engine message and swaps nothing', async () => {
      const a = await udp(true);
      const p = await proxy([limit(2)], [a.port]);
      expect(await p.send(1)).to.equal(0);
      const bad = describe_([{ name: CAPTURE, config: { regex: { pattern: 'a{1001}' } } }], [a.port]);
      expect(() => p.engine.prepare(bad)).to.throw(/repetition|1001|bad/i);
      const truncated = describe_([limit(5)], [a.port]).subarray(0, 40);
      expect(() => p.engine.prepare(truncated)).to.throw(/^chain description: /);
      // Still the first generation, buckets and all.
      expect(await p.send(2)).to.equal(1);
      expect(p.publish([limit(2)], [a.port])).to.include({ generation: 2, chainReused: true });
    });

    it('publishes a prepared generation once, only into the engine that prepared it', async () => {
      const a = await udp(true);
      const p = await proxy([limit(2)], [a.port]);
      const prepared = p.engine.prepare(describe_([PASS, limit(2)], [a.port]));
      expect(prepared).to.include({ maxGrowth: 0, maxDestinations: 1 });
      const other = new addon!.Engine(1);
      expect(() => other.publish(prepared)).to.throw('publish(prepared): prepared by another engine');
      expect(await p.send(2)).to.equal(0);
      expect(p.engine.publish(prepared)).to.include({ generation: 2, chainReused: false, filtersKept: 1 });
      expect(await p.send(1)).to.equal(1);
      expect(() => p.engine.publish(prepared)).to.throw('publish(prepared): already published');
      expect(() => p.engine.publish({ maxGrowth: 0, maxDestinations: 1 })).to.throw(TypeError, /PreparedGeneration/);
      expect(() => p.engine.prepare('not a buffer' as unknown as Buffer)).to.throw(TypeError, 'prepare(description): description must be a Buffer');
    });

    it('a prepared generation inherits from what runs when it is published, not from what ran at prepare', async () => {
      const a = await udp(true);
      const p = await proxy([limit(2)], [a.port]);
      expect(await p.send(2)).to.equal(0);
      const prepared = p.engine.prepare(describe_([DEBUG, limit(2)], [a.port]));
      // In between, the limiter changes (fresh buckets) and lets one packet through.
      expect(p.publish([limit(3)])).to.include({ generation: 2, filtersKept: 0 });
      expect(await p.send(1)).to.equal(0);
      // The prepared limit(2) is no longer in the running chain: it starts afresh.
      expect(p.engine.publish(prepared)).to.include({ generation: 3, filtersKept: 0 });
      expect(await p.send(2)).to.equal(0);
      expect(await p.send(1)).to.equal(1);
    });
  });
});
