// SPDX-License-Identifier: Apache-2.0
// End-to-end differential: generated chains (the same arbitraries as the engine differential,
// endpoints remapped to real UDP echo servers on loopback) run in the js and socket backends,
// in process; generated packets go through them from a real client socket, and what reaches each
// endpoint and what comes back to the client must be what the TS reference computes for the same
// input (read chain, echo, write chain). Left out: LocalRateLimit (real time vs the reference's
// clock), Debug (log volume) and pre-set metadata (a wire packet carries none). Compared as multisets per
// config. CI: 120 configs per backend; soak: until >= 1M packets per backend.
import { expect } from 'chai';
import fc from 'fast-check';
import { parseEndpointAddress, socketAddr } from '../../config/address';
import type { ClusterConfig, Config, FilterConfig } from '../../config/model';
import type { ProxyBackend } from '../../data-plane/backends/backend';
import { createJsBackend } from '../../data-plane/backends/js/js-backend';
import { createSocketBackend } from '../../data-plane/backends/socket/socket-backend';
import { ClusterMap } from '../../data-plane/cluster-map';
import { FilterChain } from '../../data-plane/filters/chain';
import type { FilterServices } from '../../data-plane/filters/filter';
import { filterRegistry } from '../../data-plane/filters/index';
import { processRead, processWrite } from '../../data-plane/pipeline';
import { QuilkinMetrics } from '../../runtime/metrics';
import { normaliseFilters } from '../conformance/native-implementation';
import { applyConfig, compiled } from '../support/compiled';
import { udpServer, type UdpPeer } from '../support/net';
import { configArb, type FuzzConfig } from './arbitraries';
import { announce, PROFILE, seedFor, sized, withReplay } from './profile';

const CONFIGS = sized(120, 20_000);
const PACKET_TARGET = PROFILE === 'soak' && process.env.FUZZ_CASES === undefined ? 1_000_000 : 0;
const PACKETS_PER_CONFIG = PROFILE === 'soak' ? 400 : 24;
const ENDPOINTS = 5;

function quietServices(): FilterServices {
  const registry = filterRegistry();
  const services: FilterServices = {
    now: () => Date.now(),
    random: Math.random,
    log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
    metrics: { counter: () => ({ inc: () => undefined }), histogram: () => ({ observe: () => undefined }) },
    createFilter: (name, config) => registry.create(name, config, services),
  };
  return services;
}

/** The generated config with its endpoints moved to the echo servers (index i -> server i). */
function routable(config: FuzzConfig, servers: readonly UdpPeer[]): { filters: FilterConfig[]; clusters: ClusterConfig[] } | undefined {
  // Debug is left out too: it logs every packet (correct, but floods the test output).
  if (/local_rate_limit|debug\.v1alpha1/.test(JSON.stringify(config.filters))) return undefined;
  let filters: FilterConfig[];
  try {
    filters = normaliseFilters(config.filters);
  } catch {
    return undefined;
  }
  const original = ['127.0.0.1:7001', '127.0.0.2:7002', '10.0.0.1:9000', '[::1]:7003', '[2001:db8::1]:8000'];
  const clusters = config.clusters.map((c) => ({
    ...c,
    endpoints: c.endpoints
      .map((e) => ({ ...e, address: parseEndpointAddress(`127.0.0.1:${servers[original.indexOf(e.address.key)]!.port}`) }))
      .sort((a, b) => a.address.port - b.address.port),
  }));
  return { filters, clusters };
}

interface Expected {
  atEndpoints: string[];
  atClient: string[];
}

function reference(filters: FilterConfig[], clusters: ClusterConfig[], clientPort: number, packets: Buffer[]): Expected {
  const services = quietServices();
  const registry = filterRegistry();
  const chain = new FilterChain(
    filters,
    filters.map((c) => ({ name: c.name, filter: registry.get(c.name).create(c.config, services) })),
  );
  const endpoints = new ClusterMap(clusters);
  const client = socketAddr('127.0.0.1', clientPort);
  const out: Expected = { atEndpoints: [], atClient: [] };
  for (const p of packets) {
    const read = processRead(chain, endpoints, client, Buffer.from(p));
    if (read.dropped) continue;
    for (const d of read.destinations) {
      out.atEndpoints.push(`${d.port}:${read.contents.toString('hex')}`);
      const write = processWrite(chain, socketAddr('127.0.0.1', d.port), client, Buffer.from(read.contents));
      if (!write.dropped) out.atClient.push(write.contents.toString('hex'));
    }
  }
  return out;
}

const sorted = (xs: string[]): string[] => [...xs].sort();

for (const kind of ['js', 'socket'] as const) {
  describe(`end-to-end differential: ${kind} backend vs the TS reference`, function () {
    this.timeout(PROFILE === 'soak' ? 1_800_000 : 120_000);
    let backend: ProxyBackend | undefined;
    const peers: UdpPeer[] = [];
    after(async () => {
      await backend?.stop();
      for (const p of peers.splice(0)) await p.close();
    });

    it(`forwards and answers generated packets as the reference computes (${CONFIGS} configs)`, async () => {
      announce(`${kind} backend end to end`, CONFIGS, 'configs');
      await withReplay(__filename, CONFIGS, async () => {
        const servers: UdpPeer[] = [];
        const seen: string[] = [];
        for (let i = 0; i < ENDPOINTS; i++) {
          const s = await udpServer((d) => d);
          s.socket.setRecvBufferSize(4 << 20);
          servers.push(s);
          peers.push(s);
        }
        const empty: Config = { version: 'v1alpha1', clusters: [], filters: [], icaoCode: 'XXXX' };
        const factory = kind === 'js' ? createJsBackend : createSocketBackend;
        backend = await factory(
          { port: 0, qcmpPort: 0, workers: 1, sessionTimeoutSecs: 60, maxSessions: 10_000, metrics: new QuilkinMetrics(), registry: filterRegistry() },
          compiled(empty),
        );
        const port = Number(String(backend.describe().listen).split(':').pop());
        const seed = seedFor(`backend-differential-${kind}`);
        const rand = fc.sample(fc.uint8Array({ maxLength: 24 }), { seed, numRuns: 4096 }).map((a) => Buffer.from(a));
        let packets = 0;
        let ran = 0;
        let round = 0;
        while (ran < CONFIGS || packets < PACKET_TARGET) {
          const batch = fc.sample(configArb, { seed: seed + round++, numRuns: 50 });
          for (const config of batch) {
            if (ran >= CONFIGS && packets >= PACKET_TARGET) break;
            const r = routable(config, servers);
            if (!r) continue;
            // An empty chain in between: the next chain is built fresh (no state carried over).
            applyConfig(backend, empty);
            applyConfig(backend, { ...empty, clusters: r.clusters, filters: r.filters });
            const steps = config.sequences.flat().map((s) => s.contents);
            const contents = Array.from({ length: PACKETS_PER_CONFIG }, (_, i) => (i < steps.length ? steps[i]! : rand[(ran * 31 + i) % rand.length]!));
            const client = await udpServer(() => undefined);
            client.socket.setRecvBufferSize(4 << 20);
            // Quiet first: nothing of the previous config still in flight (bounded: 2 s).
            const total = () => servers.reduce((n, s) => n + s.received.length, 0);
            for (let last = -1, t = Date.now(); last !== total() && Date.now() - t < 2000;) {
              last = total();
              await new Promise((res) => setTimeout(res, 30));
            }
            for (const s of servers) s.received.length = 0;
            const want = reference(r.filters, r.clusters, client.port, contents);
            for (const c of contents) client.socket.send(c, port, '127.0.0.1');
            const deadline = Date.now() + 10_000;
            const count = () => servers.reduce((n, s) => n + s.received.length, 0);
            while ((count() < want.atEndpoints.length || client.received.length < want.atClient.length) && Date.now() < deadline)
              await new Promise((res) => setTimeout(res, 5));
            await new Promise((res) => setTimeout(res, 20)); // anything extra in flight
            const gotEndpoints = servers.flatMap((s) => s.received.map((m) => `${s.port}:${m.data.toString('hex')}`));
            const gotClient = client.received.map((m) => m.data.toString('hex'));
            await client.close();
            const what = `config ${ran}: ${JSON.stringify(config.filters)} endpoints ${r.clusters.flatMap((c) => c.endpoints.map((e) => e.address.key)).join(',')}`;
            expect(sorted(gotEndpoints), `at the endpoints, ${what}`).to.deep.equal(sorted(want.atEndpoints));
            expect(sorted(gotClient), `back at the client, ${what}`).to.deep.equal(sorted(want.atClient));
            packets += contents.length;
            seen.push(...gotEndpoints.slice(0, 1));
            ran++;
          }
        }
        console.log(`  [fuzz] ${kind} backend: ${ran} configs, ${packets} packets sent, agreed with the reference`);
        expect(seen.length, 'some configs forward something').to.be.greaterThan(ran / 4);
      });
    });
  });
}
