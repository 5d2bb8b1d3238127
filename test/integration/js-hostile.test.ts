// SPDX-License-Identifier: Apache-2.0
// The js backend under hostile addresses: a datagram from port 0, an endpoint on port 0, replies
// to a thousand spoofed unroutable sources. Each must be a counted drop with a bounded label set,
// never an exception that ends the process.
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { parseEndpointAddress } from '../../config/address';
import type { Config } from '../../config/model';
import type { ProxyBackend } from '../../data-plane/backends/backend';
import { createJsBackend } from '../../data-plane/backends/js/js-backend';
import { CAPTURE_NAME } from '../../data-plane/filters/capture/capture';
import { filterRegistry } from '../../data-plane/filters/index';
import { FilterRegistry } from '../../data-plane/filters/registry';
import { QuilkinMetrics } from '../../runtime/metrics';
import { sample } from '../support/metrics-text';
import { eventually, freePort, udpClient, udpServer, type UdpPeer } from '../support/net';
import { cliPath } from '../support/proxy-process';
import { canSendRaw, sendRawUdp4 } from '../support/raw-udp';
import { compiled } from '../support/compiled';

const GEO = 'asn="",ip_prefix=""';

function configFor(addresses: readonly string[]): Config {
  const endpoints = addresses.map((a) => ({ address: parseEndpointAddress(a), tokens: [], userMetadata: {} }));
  return { version: 'v1alpha1', clusters: [{ endpoints }], filters: [], icaoCode: 'XXXX' };
}

describe('js backend: hostile addresses', function () {
  this.timeout(30000);
  const backends: ProxyBackend[] = [];
  const peers: UdpPeer[] = [];
  afterEach(async () => {
    for (const b of backends.splice(0)) await b.stop();
    for (const p of peers.splice(0)) await p.close();
  });

  async function start(config: Config) {
    const metrics = new QuilkinMetrics();
    const backend = await createJsBackend(
      { port: 0, qcmpPort: 0, workers: 1, sessionTimeoutSecs: 60, maxSessions: 100, metrics, registry: new FilterRegistry() },
      compiled(config),
    );
    backends.push(backend);
    return { metrics, port: Number(String(backend.describe().listen).split(':').pop()) };
  }

  it('drops a datagram from source port 0 (counted) and keeps serving', async function () {
    if (!canSendRaw()) this.skip();
    const echo = await udpServer('echo');
    peers.push(echo);
    const { metrics, port } = await start(configFor([`127.0.0.1:${echo.port}`]));
    sendRawUdp4([{ src: '127.0.0.1', srcPort: 0, dst: '127.0.0.1', dstPort: port, payload: Buffer.from('from port zero') }]);
    await eventually(
      async () => sample(await metrics.render(), `quilkin_packets_dropped_total{event="read",source="invalid source address",${GEO}}`) === 1,
      5000,
      'the port-0 drop',
    );
    // Never reached the endpoint: nothing can be answered to port 0.
    expect(echo.received.map((r) => r.data.toString())).to.not.include('from port zero');
    const client = await udpClient();
    peers.push(client);
    client.send('still alive', port);
    await eventually(() => client.received.length === 1, 5000, 'the legitimate reply');
  });

  it('drops packets to an endpoint on port 0 or the unspecified address instead of throwing', async () => {
    const { metrics, port } = await start(configFor(['127.0.0.1:0', '0.0.0.0:7000']));
    const client = await udpClient();
    peers.push(client);
    for (let i = 0; i < 3; i++) client.send(`p${i}`, port);
    await eventually(
      async () => sample(await metrics.render(), `quilkin_packets_dropped_total{event="read",source="invalid destination address",${GEO}}`) === 6,
      5000,
      'six counted drops',
    );
  });
});

describe('js backend: replies to spoofed unroutable sources', function () {
  this.timeout(60000);
  const ns = `qkhst-${process.pid % 10000}-${Math.floor(Math.random() * 1e4)}`;
  let proxy: ReturnType<typeof spawnInNs> | undefined;
  let echo: ReturnType<typeof spawnInNs> | undefined;

  function spawnInNs(args: string[]) {
    const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    return { child, output: () => out };
  }
  const inNs = (args: string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', timeout: 10000 });

  before(function () {
    if (!canSendRaw()) this.skip();
    try {
      execFileSync('ip', ['netns', 'add', ns]);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    } catch {
      this.skip();
    }
  });
  after(() => {
    for (const p of [proxy, echo]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
    try {
      execFileSync('ip', ['netns', 'del', ns]);
    } catch {
      // never created
    }
  });

  it('labels send errors by errno class: 1000 sources make one series, not 1000', async () => {
    const [echoPort, proxyPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    echo = spawnInNs([
      process.execPath,
      '-e',
      `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(${echoPort},'127.0.0.1',()=>console.log('echo up'))`,
    ]);
    proxy = spawnInNs([
      process.execPath,
      cliPath(),
      '--admin-address',
      `127.0.0.1:${adminPort}`,
      '--log-format',
      'json',
      'proxy',
      '--backend',
      'js',
      '--port',
      String(proxyPort),
      '--to',
      `127.0.0.1:${echoPort}`,
    ]);
    const metrics = (): string => inNs(['curl', '-s', '--max-time', '5', `http://127.0.0.1:${adminPort}/metrics`]);
    await eventually(() => proxy!.output().includes('Quilkin is ready') && echo!.output().includes('echo up'), 15000, 'proxy and echo up');
    const spoofed = Array.from({ length: 1000 }, (_, i) => ({
      src: `10.77.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      srcPort: 20000 + i,
      dst: '127.0.0.1',
      dstPort: proxyPort,
      payload: Buffer.from(`spoof ${i}`),
    }));
    // Paced: a 1000-datagram burst can overflow the proxy's receive buffer on a loaded machine, and
    // loss there says nothing about labels.
    sendRawUdp4(spoofed, ns, 2000);
    const errors = (text: string) => sample(text, `quilkin_errors_total{event="write",display="send ENETUNREACH",${GEO}}`);
    let last = -1;
    let stableSince = Date.now();
    await eventually(
      () => {
        const now = errors(metrics());
        if (now !== last) [last, stableSince] = [now, Date.now()];
        return now === 1000 || (now >= 950 && Date.now() - stableSince > 2000);
      },
      20000,
      'the ENETUNREACH replies counted (at least 950 of 1000)',
    );
    const text = metrics();
    expect(proxy.child.exitCode, proxy.output()).to.equal(null);
    const series = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
    expect(series('quilkin_errors_total')).to.have.length(1);
    expect(series('quilkin_packets_dropped_total').filter((l) => l.includes('event="write"'))).to.have.length(1);
    expect(sample(text, `quilkin_packets_dropped_total{event="write",source="io",${GEO}}`)).to.equal(errors(text));
    expect(text).to.not.include('10.77.');
  });
});

describe('js backend: a catastrophic-backtracking Capture regex', function () {
  this.timeout(30000);
  const peers: UdpPeer[] = [];
  let backend: ProxyBackend | undefined;
  afterEach(async () => {
    await backend?.stop();
    for (const p of peers.splice(0)) await p.close();
  });

  it('(a+)+$ against 40-byte packets never stalls the event loop: legitimate packets are answered at once', async () => {
    const echo = await udpServer('echo');
    const client = await udpClient();
    peers.push(echo, client);
    const registry = filterRegistry();
    const config: Config = {
      ...configFor([`127.0.0.1:${echo.port}`]),
      filters: [{ name: CAPTURE_NAME, config: registry.validate(CAPTURE_NAME, { metadataKey: 'k', regex: { pattern: '(a+)+$|^ok' } }) }],
    };
    const metrics = new QuilkinMetrics();
    backend = await createJsBackend(
      { port: 0, qcmpPort: 0, workers: 1, sessionTimeoutSecs: 60, maxSessions: 100, metrics, registry },
      compiled(config, registry),
    );
    const port = Number(String(backend.describe().listen).split(':').pop());
    // With V8's backtracking each of these took seconds (doubling per byte): the loop stalled.
    for (let i = 0; i < 20; i++) client.send(`${'a'.repeat(39)}b`, port);
    const started = Date.now();
    client.send('ok legit', port);
    await eventually(() => client.received.some((r) => r.data.toString() === 'ok legit'), 5000, 'the legitimate echo');
    expect(Date.now() - started).to.be.below(1000);
    await eventually(
      async () => sample(await metrics.render(), `quilkin_packets_dropped_total{event="read",source="filter::capture::no value captured",${GEO}}`) === 20,
      5000,
      'the 20 no-match drops',
    );
  });
});
