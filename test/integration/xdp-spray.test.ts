// SPDX-License-Identifier: Apache-2.0
// One host spraying source ports into `proxy xdp` (issue 17): with a small session port range
// (1000 ports towards the one endpoint), the spray's sessions, which the endpoint never answers,
// would hold every port and lock out new clients until they idle out. Unanswered sessions make way
// instead: an established client and one that starts mid-spray both get every echo, admin answers
// throughout, and the evictions are counted. With --max-sessions-per-source the spraying IP is
// held to its share and the rest of its datagrams are counted as `source session limit`.
// The spray comes from its own namespace (one host, its own address), through raw sockets so
// that thousands of source ports cost no sockets; the server echoes only the legitimate clients.
import { expect } from 'chai';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { sample } from '../support/metrics-text';
import { Star } from '../support/netns';
import { canSendRaw, sprayRawUdp4 } from '../support/raw-udp';
import { ADMIN_PORT, adminGet, LISTEN_PORT, type Proxy, runClient, SERVER_PORTS, Servers, startXdpProxy, writeConfig } from './xdp-topology';

const SUBNET = 93;
const SESSION_PORTS = '62000-62999'; // 1000 ports towards the endpoint
const SPRAY_PORTS = 5000;
const SPRAY_RATE = 3000; // datagrams per second
const SPRAY_SECONDS = 3;
const LEGIT = 'legit';

/**
 * Polls /live from the client namespace every 200 ms (curl in a child, so the event loop runs).
 * A failed poll is kept with curl's status (000: no answer within 2 s) and when it happened.
 */
function watchLive(star: Star) {
  const failures: string[] = [];
  let polls = 0;
  let running = true;
  const started = Date.now();
  const url = `http://${star.host('prx').ipv4}:${ADMIN_PORT}/live`;
  const once = (): Promise<string> =>
    new Promise((resolve) => {
      const child = star.spawn('cli', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', url]);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      // 'close', not 'exit': stdout may still hold the status when the process has exited.
      child.once('close', (code) => resolve(`${out.trim() || 'nothing'} (curl exit ${code})`));
    });
  const loop = (async () => {
    for (let i = 0; running && i < 200; i++) {
      polls++;
      const at = Date.now() - started;
      const status = await once();
      if (!status.startsWith('200 ')) failures.push(`${status} at ${at} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { polls, failures };
    },
  };
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('proxy xdp: a host spraying source ports (1000 session ports)', function () {
  this.timeout(90000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let config = '';

  before(async function () {
    skipWithoutBpf(this);
    if (!canSendRaw()) this.skip();
    star = new Star({ prefix: 'qkxdp', hosts: ['cli', 'prx', 'srv', 'spr'], subnet: [77, SUBNET], txChecksumOff: true }).create();
    const servers = new Servers(star, 170000, 'srv', [SERVER_PORTS[0]], LEGIT);
    await servers.ready();
    config = writeConfig(`version: v1alpha1\nclusters: [{ endpoints: [{ address: "${star.host('srv').ipv4}:${SERVER_PORTS[0]}" }] }]\n`);
  });

  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  after(() => star?.destroy());

  const spray = () =>
    sprayRawUdp4(
      {
        src: star!.host('spr').ipv4,
        portMin: 20000,
        ports: SPRAY_PORTS,
        dst: star!.host('prx').ipv4,
        dstPort: LISTEN_PORT,
        payload: Buffer.from('spray'),
        count: SPRAY_RATE * SPRAY_SECONDS,
        packetsPerSecond: SPRAY_RATE,
      },
      star!.host('spr').ns,
    );
  const legit = (rounds: number) => runClient(star!, star!.host('prx').ipv4, rounds, 20, [LEGIT]);
  const echoes = (run: { replies: string[] }) => new Set(run.replies.filter((t) => t.endsWith(LEGIT))).size;
  const dropped = (text: string, source: string) => sample(text, `quilkin_packets_dropped_total{event="read",source="${source}",asn="",ip_prefix=""}`);
  const active = (text: string) => sample(text, 'quilkin_session_active{asn="",ip_prefix="",organization="",country_code="",prefix_entity="",prefix_name=""}');

  it('unanswered spray: established and new clients get every echo, /live answers, spray sessions evicted', async () => {
    proxy = await startXdpProxy(star!, config, { args: ['--xdp.session-ports', SESSION_PORTS] });
    const shown = JSON.parse(adminGet(star!, '/config')) as { proxy: Record<string, unknown> };
    expect(shown.proxy).to.include({ sessionPorts: SESSION_PORTS, unrepliedSessionTimeoutSecs: 5, maxSessionsPerSource: 0 });
    // 20 ms apart: 250 rounds span the spray with margins; the newcomer starts with the ports full.
    const established = legit(250);
    await delay(500);
    const live = watchLive(star!);
    const spraying = spray();
    await delay(1500);
    const newcomer = legit(80);
    const [sprayed, old, fresh] = await Promise.all([spraying, established, newcomer]);
    const { polls, failures } = await live.stop();
    expect(sprayed.sent).to.equal(SPRAY_RATE * SPRAY_SECONDS);
    expect(sprayed.secs, 'spray duration (s)').to.be.lessThan(SPRAY_SECONDS * 2);
    expect(echoes(old), 'established client').to.equal(old.sent);
    expect(echoes(fresh), 'client started mid-spray').to.equal(fresh.sent);
    expect(polls).to.be.greaterThan(5);
    expect(failures, '/live failures').to.deep.equal([]);
    const metrics = adminGet(star!, '/metrics');
    // Every spray port past the first 1000 took the port of an older spray session.
    expect(sample(metrics, 'quilkin_xdp_sessions_evicted_total')).to.be.greaterThan(SPRAY_PORTS - 1000);
    expect(dropped(metrics, 'session')).to.equal(0);
    expect(dropped(metrics, 'session table full')).to.equal(0);
    expect(active(metrics)).to.be.at.most(1000);
    await proxy.stop();
    expect(proxy.output()).to.include('sessions under pressure');
  });

  it('--max-sessions-per-source: the spraying IP is held to its share, counted, while another host is served', async () => {
    proxy = await startXdpProxy(star!, config, { args: ['--xdp.session-ports', SESSION_PORTS, '--max-sessions-per-source', '100'] });
    expect(JSON.parse(adminGet(star!, '/config')).proxy).to.include({ maxSessionsPerSource: 100 });
    const live = watchLive(star!);
    const spraying = spray();
    await delay(1000);
    const other = legit(80);
    const [, run] = await Promise.all([spraying, other]);
    const { failures } = await live.stop();
    expect(echoes(run), 'client of another host').to.equal(run.sent);
    expect(failures, '/live failures').to.deep.equal([]);
    const metrics = adminGet(star!, '/metrics');
    expect(dropped(metrics, 'source session limit')).to.be.greaterThan(SPRAY_RATE * SPRAY_SECONDS * 0.5);
    expect(sample(metrics, 'quilkin_xdp_sessions_evicted_total')).to.equal(0);
    expect(active(metrics)).to.be.at.most(101);
  });
});
