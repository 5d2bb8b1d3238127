// SPDX-License-Identifier: Apache-2.0
// One host spraying fresh source ports into the socket backend (issue: it used to take one
// upstream socket per session until RLIMIT_NOFILE ran out, killing admin, reloads and new
// clients for good). The proxy runs as its own process under a small descriptor limit, so a
// bounded spray on loopback reaches the limit. Legitimate clients must see no loss and admin
// must answer throughout; every refusal must be counted.
import { expect } from 'chai';
import { freePort, udpServer, type UdpPeer } from '../support/net';
import { startQuilkin, type QuilkinProcess } from '../support/proxy-process';
import { sprayFromProcess } from '../support/udp-spray-process';
import { sample } from '../support/metrics-text';

const NOFILE = 3000; // sessions are then capped near 3000 - 1024 - Node's own descriptors
const SPRAY_RATE = 5000;
const SPRAY_SECONDS = 5;
// The endpoint and clients live in this test's event loop, which also takes the forwarded spray:
// big receive buffers so a pause of the loop is not a kernel drop charged to the proxy.
const RECV_BUFFER = 4 << 20;

function spray(port: number, from: string): Promise<{ sent: number; errors: number }> {
  return sprayFromProcess(port, from, SPRAY_RATE, SPRAY_SECONDS);
}

/** A client sending numbered datagrams every 10 ms and counting the echoes. */
async function pacedClient(from: string, port: number) {
  const peer = await udpServer(() => undefined, from);
  peer.socket.setRecvBufferSize(RECV_BUFFER);
  let sent = 0;
  const timer = setInterval(() => {
    peer.socket.send(Buffer.from(`legit ${sent++}`), port, '127.0.0.1');
  }, 10);
  return {
    get sent() {
      return sent;
    },
    received: () => new Set(peer.received.map((r) => r.data.toString())).size,
    async stop() {
      clearInterval(timer);
      await new Promise((r) => setTimeout(r, 300)); // the last echoes in flight
      await peer.close();
    },
  };
}

/** Polls /live every 50 ms; records the slowest answer and any failure. */
function watchAdmin(proxy: QuilkinProcess) {
  let worstMs = 0;
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      try {
        const res = await fetch(proxy.adminUrl + '/live', { signal: AbortSignal.timeout(2000) });
        if (res.status !== 200) failures++;
      } catch {
        failures++;
      }
      worstMs = Math.max(worstMs, Date.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { worstMs, failures };
    },
  };
}

describe('socket backend: a host spraying source ports (own process, RLIMIT_NOFILE 3000)', function () {
  this.timeout(60000);
  let proxy: QuilkinProcess | undefined;
  let endpoint: UdpPeer | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await endpoint?.close();
    proxy = endpoint = undefined;
  });

  async function start(reply: (d: Buffer) => Buffer | undefined, extra: string[] = []): Promise<number> {
    endpoint = await udpServer(reply);
    endpoint.socket.setRecvBufferSize(RECV_BUFFER);
    endpoint.socket.setSendBufferSize(RECV_BUFFER);
    const port = await freePort();
    proxy = await startQuilkin(
      [
        'proxy',
        '--backend',
        'socket',
        '-w',
        '2',
        '-p',
        String(port),
        '-q',
        String(await freePort()),
        '--to',
        `127.0.0.1:${endpoint.port}`,
        '--session-timeout-secs',
        '3',
        '--unreplied-session-timeout-secs',
        '2',
        ...extra,
      ],
      { prefix: ['prlimit', `--nofile=${NOFILE}:${NOFILE}`] },
    );
    return port;
  }

  const metrics = async () => (await proxy!.get('/metrics')).body;
  const dropped = (text: string, source: string) => sample(text, `quilkin_packets_dropped_total{event="read",source="${source}",asn="",ip_prefix=""}`) ?? 0;

  it('unanswered spray: established and new clients served, admin alive, spray sessions evicted', async () => {
    const port = await start((d) => (d.toString().startsWith('legit') ? d : undefined));
    const established = await pacedClient('127.0.0.1', port);
    await new Promise((r) => setTimeout(r, 300));
    const admin = watchAdmin(proxy!);
    const spraying = spray(port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 2500)); // the table is full by now
    const newcomer = await pacedClient('127.0.0.1', port);
    const result = await spraying;
    await newcomer.stop();
    await established.stop();
    const { worstMs, failures } = await admin.stop();
    expect(result.sent).to.be.greaterThan(SPRAY_RATE * SPRAY_SECONDS * 0.9);
    expect(established.received()).to.equal(established.sent);
    expect(newcomer.received()).to.equal(newcomer.sent);
    expect(failures, 'admin /live failures').to.equal(0);
    expect(worstMs, 'slowest /live (ms)').to.be.lessThan(1000);
    const config = JSON.parse((await proxy!.get('/config')).body) as { backend?: { sessionLimit?: number } } & Record<string, unknown>;
    expect(JSON.stringify(config)).to.match(/"sessionLimit":\d+/);
    // The pressure line comes once per 10 s, and once more on the way out.
    await proxy!.stop();
    expect(proxy!.output()).to.include('sessions under pressure');
  });

  it('answered spray: capped below the descriptor limit, refusals counted, admin alive, new clients served once it ends', async () => {
    const port = await start((d) => d);
    const established = await pacedClient('127.0.0.1', port);
    await new Promise((r) => setTimeout(r, 300));
    const admin = watchAdmin(proxy!);
    await spray(port, '127.0.0.1');
    await established.stop();
    const { failures } = await admin.stop();
    expect(established.received()).to.equal(established.sent);
    expect(failures, 'admin /live failures').to.equal(0);
    expect(dropped(await metrics(), 'session table full')).to.be.greaterThan(0);
    // Reloads and new clients work once the spray's sessions idle out (3 s).
    await new Promise((r) => setTimeout(r, 4500));
    const after = await pacedClient('127.0.0.1', port);
    await new Promise((r) => setTimeout(r, 500));
    await after.stop();
    expect(after.sent).to.be.greaterThan(0);
    expect(after.received()).to.equal(after.sent);
  });

  it('--max-sessions-per-source: a spraying IP is held to its share while another host opens sessions', async () => {
    const port = await start((d) => d, ['--max-sessions-per-source', '100']);
    const admin = watchAdmin(proxy!);
    const spraying = spray(port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 1500));
    const other = await pacedClient('127.0.0.2', port);
    await spraying;
    await other.stop();
    const { failures } = await admin.stop();
    expect(other.received()).to.equal(other.sent);
    expect(failures).to.equal(0);
    const text = await metrics();
    expect(dropped(text, 'source session limit')).to.be.greaterThan(SPRAY_RATE * SPRAY_SECONDS * 0.5);
    expect(sample(text, 'quilkin_session_active{asn="",ip_prefix="",organization="",country_code="",prefix_entity="",prefix_name=""}') ?? 0).to.be.at.most(101);
  });
});
