// SPDX-License-Identifier: Apache-2.0
// Metrics every backend must produce as Quilkin does: quilkin_filter_read_duration_seconds /
// quilkin_filter_write_duration_seconds{filter} (one packet in 64 per worker and direction times
// each filter of the chain, Quilkin v0.9's bounds) and quilkin_packet_jitter{event} (nanoseconds
// between the last two packets received). js and socket on loopback, xdp in network namespaces
// of its own.
import { expect } from 'chai';
import * as dgram from 'node:dgram';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { parseEndpointAddress } from '../../config/address';
import type { Config } from '../../config/model';
import type { ProxyBackend } from '../../data-plane/backends/backend';
import { createJsBackend } from '../../data-plane/backends/js/js-backend';
import { createSocketBackend } from '../../data-plane/backends/socket/socket-backend';
import { filterRegistry } from '../../data-plane/filters/index';
import { FILTER_DURATION_BOUNDS, QuilkinMetrics } from '../../runtime/metrics';
import { sample } from '../support/metrics-text';
import { eventually } from '../support/net';
import { compiled } from '../support/compiled';
import type { Star } from '../support/netns';
import {
  adminGet,
  defaultEndpoints,
  embarkConfig,
  embarkPayload,
  type Proxy,
  runClient,
  Servers,
  startXdpProxy,
  teardown,
  TOKENS,
  topology,
  writeConfig,
} from './xdp-topology';

const PASS = 'quilkin.filters.pass.v1alpha1.Pass';
const CONCATENATE = 'quilkin.filters.concatenate.v1alpha1.Concatenate';
const CAPTURE = 'quilkin.filters.capture.v1alpha1.Capture';
const TOKEN_ROUTER = 'quilkin.filters.token_router.v1alpha1.TokenRouter';
const SAMPLE_EVERY = 64;
const PACKETS = 4 * SAMPLE_EVERY;

/** A pause long enough that the jitter it leaves cannot come from anything else. */
const PAUSE_MS = 150;

function jitter(text: string, event: 'read' | 'write'): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`quilkin_packet_jitter{event="${event}",asn="",ip_prefix=""} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Both directions' jitter after a lone packet that followed a PAUSE_MS silence. */
function expectPauseJitter(text: string): void {
  for (const event of ['read', 'write'] as const) {
    expect(jitter(text, event), `quilkin_packet_jitter ${event}`).to.be.within(PAUSE_MS * 0.9e6, 10e9);
  }
}

function series(text: string, metric: string, filter: string, suffix: string): number {
  return sample(text, `${metric}_${suffix}{filter="${filter}"}`);
}

/** The bucket bounds exported for one filter's series, in order. */
function bounds(text: string, metric: string, filter: string): string[] {
  const prefix = `${metric}_bucket{le="`;
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix) && l.includes(`filter="${filter}"`))
    .map((l) => l.slice(prefix.length, l.indexOf('"', prefix.length)));
}

async function bound(socket: dgram.Socket): Promise<number> {
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket.address().port;
}

describe('per-filter durations and packet jitter on the js and socket backends (loopback)', function () {
  this.timeout(30000);
  const cleanup: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const undo of cleanup.splice(0).reverse()) await undo();
  });

  for (const kind of ['js', 'socket'] as const) {
    it(`${kind}: times ${PACKETS / SAMPLE_EVERY} of ${PACKETS} packets per filter and direction, with Quilkin's bounds; sets the jitter`, async () => {
      const echo = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
      echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
      const echoPort = await bound(echo);
      cleanup.push(() => void echo.close());
      const config: Config = {
        version: 'v1alpha1',
        clusters: [{ endpoints: [{ address: parseEndpointAddress(`127.0.0.1:${echoPort}`), tokens: [], userMetadata: {} }] }],
        filters: [{ name: PASS }, { name: CONCATENATE, config: { on_read: 'APPEND', on_write: 'DO_NOTHING', bytes: 'IQ==' } }],
        icaoCode: 'XXXX',
      };
      const metrics = new QuilkinMetrics({ processMetrics: false });
      const options = { port: 0, qcmpPort: 0, workers: 1, sessionTimeoutSecs: 60, maxSessions: 100, metrics, registry: filterRegistry() };
      const backend: ProxyBackend = kind === 'js' ? await createJsBackend(options, compiled(config)) : await createSocketBackend(options, compiled(config));
      cleanup.push(() => backend.stop());
      expect(backend.describe().backend).to.equal(kind);
      const port = Number(String(backend.describe().listen).split(':').pop());

      const client = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
      let replies = 0;
      client.on('message', (msg) => void (msg.toString().endsWith('!') && replies++));
      await bound(client);
      cleanup.push(() => void client.close());
      // In small bursts, so no socket buffer on the way overflows.
      for (let i = 0; i < PACKETS; i++) {
        client.send(`p${i}`, port, '127.0.0.1');
        if (i % 16 === 15) await eventually(() => replies === i + 1, 5000, `reply ${i}`);
      }

      // One more packet after a pause: the last two packets, either way, are the pause apart.
      await new Promise((r) => setTimeout(r, PAUSE_MS));
      client.send('lone', port, '127.0.0.1');
      await eventually(() => replies === PACKETS + 1, 5000, 'the lone reply');

      const read = 'quilkin_filter_read_duration_seconds';
      const write = 'quilkin_filter_write_duration_seconds';
      const timed = (PACKETS + 1 - ((PACKETS + 1) % SAMPLE_EVERY)) / SAMPLE_EVERY;
      await eventually(async () => series(await metrics.render(), write, CONCATENATE, 'count') === timed, 5000, 'the timed writes');
      const text = await metrics.render();
      expectPauseJitter(text);
      for (const filter of [PASS, CONCATENATE]) {
        for (const metric of [read, write]) {
          expect(series(text, metric, filter, 'count'), `${metric} ${filter}`).to.equal(timed);
          const sum = series(text, metric, filter, 'sum');
          expect(sum, `${metric} ${filter} sum`)
            .to.be.above(0)
            .and.below(timed * 0.1);
          expect(bounds(text, metric, filter)).to.deep.equal([...FILTER_DURATION_BOUNDS.map(String), '+Inf']);
        }
      }
    });
  }
});

describe('per-filter durations and packet jitter on the xdp backend (netns)', function () {
  this.timeout(60000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;

  before(async function () {
    skipWithoutBpf(this);
    star = topology(86);
    const servers = new Servers(star);
    await servers.ready();
    proxy = await startXdpProxy(star, writeConfig(embarkConfig(defaultEndpoints(star))), { env: { QUILKIN_XDP_ATTACH_MODE: 'generic' } });
  });
  after(() => teardown(proxy, star));

  it("times the Embark chain's filters in the AF_XDP worker, reads and writes; sets the jitter", async function () {
    const run = await runClient(star!, star!.host('prx').ipv4, PACKETS, 2, [embarkPayload('timed', TOKENS[0])]);
    expect(run.replies).to.have.length(PACKETS);
    // The client's run ended more than PAUSE_MS ago (it waits for late replies): a lone packet now.
    await new Promise((r) => setTimeout(r, PAUSE_MS));
    const lone = await runClient(star!, star!.host('prx').ipv4, 1, 1, [embarkPayload('lone', TOKENS[0])], 500);
    expect(lone.replies).to.have.length(1);
    const timed = PACKETS / SAMPLE_EVERY; // one queue: one worker
    let text = '';
    for (let i = 0; i < 20; i++) {
      text = adminGet(star!, '/metrics');
      if (series(text, 'quilkin_filter_write_duration_seconds', TOKEN_ROUTER, 'count') >= timed) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expectPauseJitter(text);
    for (const metric of ['quilkin_filter_read_duration_seconds', 'quilkin_filter_write_duration_seconds']) {
      // Two Capture filters in the chain share their name's series, as in Quilkin.
      expect(series(text, metric, CAPTURE, 'count'), `${metric} Capture`).to.equal(2 * timed);
      expect(series(text, metric, TOKEN_ROUTER, 'count'), `${metric} TokenRouter`).to.equal(timed);
      expect(bounds(text, metric, TOKEN_ROUTER)).to.deep.equal([...FILTER_DURATION_BOUNDS.map(String), '+Inf']);
    }
  });
});
