// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy` end to end on loopback, for every socket-based backend this build has.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKENDS } from '../../data-plane/backends/index';
import { eventually, freePort, type UdpPeer, udpClient, udpServer } from '../support/net';
import { runQuilkin, startQuilkin, stopAllQuilkin } from '../support/proxy-process';

function configFile(dir: string, endpoints: number[], extra = ''): string {
  const file = path.join(dir, 'quilkin.yaml');
  const list = endpoints.map((p) => `      - address: 127.0.0.1:${p}`).join('\n');
  fs.writeFileSync(file, `version: v1alpha1\nclusters:\n  - endpoints:\n${list}\n${extra}`);
  return file;
}

function metricValue(body: string, name: string, labels: string): number {
  const line = body.split('\n').find((l) => l.startsWith(`${name}{${labels}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

for (const backend of ['js', 'socket'] as const) {
  describe(`quilkin proxy end to end (--backend ${backend})`, function () {
    this.timeout(30000);
    const peers: UdpPeer[] = [];
    let dir: string;

    before(function () {
      if (!BACKENDS[backend]) this.skip(); // the socket backend registers itself once the native part lands
    });
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-e2e-'))));
    afterEach(async () => {
      await stopAllQuilkin();
      await Promise.all(peers.splice(0).map((p) => p.close()));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    async function proxyTo(endpoints: number[], args: string[] = []) {
      const port = await freePort();
      const qcmp = await freePort();
      const proc = await startQuilkin([
        '-c',
        configFile(dir, endpoints),
        'proxy',
        '--backend',
        backend,
        '--port',
        String(port),
        '--qcmp-port',
        String(qcmp),
        ...args,
      ]);
      const config = JSON.parse((await proc.get('/config')).body);
      expect(config.proxy.backend, 'the requested backend is the one running').to.equal(backend);
      return { proc, port, qcmp };
    }

    it('gives each of 100 concurrent clients only its own replies', async () => {
      const echo = await udpServer('echo');
      peers.push(echo);
      const { port } = await proxyTo([echo.port]);
      const clients = await Promise.all(Array.from({ length: 100 }, () => udpClient()));
      peers.push(...clients);
      expect(new Set(clients.map((c) => c.port)).size).to.equal(100);
      // Rounds are paced: 300 datagrams in one burst overflow a default-sized socket buffer (rmem_default).
      for (let round = 0; round < 3; round++) {
        clients.forEach((c, i) => c.send(`client-${i}-round-${round}`, port));
        await eventually(() => clients.every((c) => c.received.length >= round + 1), 10000, `every client to get ${round + 1} replies`);
      }
      clients.forEach((c, i) => {
        const got = c.received.map((r) => r.data.toString()).sort();
        expect(got).to.deep.equal([0, 1, 2].map((r) => `client-${i}-round-${r}`));
        expect(
          c.received.every((r) => r.from === `127.0.0.1:${port}`),
          'replies come from the proxy port',
        ).to.equal(true);
      });
    });

    it('sends every packet to both endpoints when no filter routes', async () => {
      const a = await udpServer(() => undefined);
      const b = await udpServer(() => undefined);
      peers.push(a, b);
      const { port } = await proxyTo([a.port, b.port]);
      const client = await udpClient();
      peers.push(client);
      for (let i = 0; i < 10; i++) client.send(`p${i}`, port);
      await eventually(() => a.received.length === 10 && b.received.length === 10, 5000, 'both endpoints to get 10 packets');
      expect(a.received.map((r) => r.data.toString()).sort()).to.deep.equal(b.received.map((r) => r.data.toString()).sort());
    });

    it('applies a changed endpoint list without restarting or dropping the established session', async () => {
      const first = await udpServer('echo');
      const second = await udpServer('echo');
      peers.push(first, second);
      const { proc, port } = await proxyTo([first.port]);
      const client = await udpClient();
      peers.push(client);
      client.send('before', port);
      await eventually(() => client.received.length === 1, 5000, 'the first reply');
      configFile(dir, [first.port, second.port]);
      await eventually(async () => JSON.parse((await proc.get('/config')).body).clusters[0].endpoints.length === 2, 5000, 'the reload');
      client.send('after', port);
      await eventually(() => second.received.length === 1 && client.received.length === 3, 5000, 'fan-out to the new endpoint');
      expect(first.received.map((r) => r.data.toString())).to.deep.equal(['before', 'after']);
      expect(proc.child.exitCode).to.equal(null);
    });

    it('rejects an invalid reload with its reason and keeps routing on the last good config', async () => {
      const echo = await udpServer('echo');
      peers.push(echo);
      const { proc, port } = await proxyTo([echo.port]);
      fs.writeFileSync(path.join(dir, 'quilkin.yaml'), 'version: v1alpha1\nclusters:\n  - endpoints:\n      - address: 127.0.0.1\n');
      await eventually(() => proc.output().includes('config file change rejected'), 5000, 'the rejection log');
      expect(proc.output()).to.include('clusters[0].endpoints[0].address: invalid address `127.0.0.1`: port is required');
      const client = await udpClient();
      peers.push(client);
      client.send('still-routing', port);
      await eventually(() => client.received.length === 1, 5000, 'a reply through the old config');
      const metrics = (await proc.get('/metrics')).body;
      expect(metrics).to.match(/quilkin_config_rejected_total\{source="file:[^"]+"\} 1/);
    });

    it('serves admin endpoints and counts packets and bytes per direction', async () => {
      const echo = await udpServer('echo');
      peers.push(echo);
      const { proc, port } = await proxyTo([echo.port]);
      expect(await proc.get('/live')).to.deep.equal({ status: 200, body: 'ok' });
      expect(await proc.get('/ready')).to.deep.equal({ status: 200, body: 'ok' });
      expect((await proc.get('/nope')).status).to.equal(404);
      const client = await udpClient();
      peers.push(client);
      for (let i = 0; i < 5; i++) client.send('12345', port);
      await eventually(() => client.received.length === 5, 5000, 'five replies');
      await eventually(
        async () => {
          const body = (await proc.get('/metrics')).body;
          return (
            metricValue(body, 'quilkin_packets_total', 'event="read"') === 5 &&
            metricValue(body, 'quilkin_packets_total', 'event="write"') === 5 &&
            metricValue(body, 'quilkin_packets_processing_duration_seconds_count', 'event="read"') >= 5 &&
            metricValue(body, 'quilkin_packets_processing_duration_seconds_count', 'event="write"') >= 5
          );
        },
        5000,
        'packet counters',
      );
      const body = (await proc.get('/metrics')).body;
      expect(metricValue(body, 'quilkin_bytes_total', 'event="read"')).to.equal(25);
      expect(metricValue(body, 'quilkin_bytes_total', 'event="write"')).to.equal(25);
      // Every backend times each packet it forwarded, once (the native ones in their workers).
      expect(metricValue(body, 'quilkin_packets_processing_duration_seconds_count', 'event="read"')).to.equal(5);
      expect(metricValue(body, 'quilkin_packets_processing_duration_seconds_count', 'event="write"')).to.equal(5);
      expect(metricValue(body, 'quilkin_packets_processing_duration_seconds_bucket', 'le="+Inf",event="read"')).to.equal(5);
      expect(metricValue(body, 'quilkin_packets_processing_duration_seconds_sum', 'event="read"')).to.be.greaterThan(0);
      expect(body).to.include('quilkin_session_total 1');
      expect(body).to.include('quilkin_cluster_active_endpoints 1');
    });

    it('answers QCMP pings', async () => {
      const echo = await udpServer('echo');
      peers.push(echo);
      const { qcmp } = await proxyTo([echo.port]);
      const result = await runQuilkin(['--log-format', 'json', 'qcmp', 'ping', `127.0.0.1:${qcmp}`, '--amount', '3']);
      expect(result.code).to.equal(0);
      const summary = result.output
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((l) => l.fields?.message === 'final results')?.fields;
      expect(summary, result.output).to.include({ attempts: 3, successful_attempts: 3 });
      expect(Number(summary.median_millis)).to.be.greaterThan(0).and.lessThan(1000);
    });
  });
}

describe('quilkin proxy start-up validation', function () {
  this.timeout(20000);

  it('refuses to start with no endpoint and no management server', async () => {
    const r = await runQuilkin(['--no-admin', '-c', '/nonexistent/quilkin.yaml', 'proxy', '--backend', 'js', '--port', String(await freePort())]);
    expect(r.code).to.equal(1);
    expect(r.output).to.include('`quilkin proxy` requires at least one `to` address or `management_server` endpoint.');
  });

  it('reports every problem of an invalid config file with its path and line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-bad-'));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'version: v1alpha1\nport: 7000\nclusters:\n  - endpoints:\n      - address: "ftp://1.2.3.4:5"\n');
    // `-c` after the subcommand, as `quilkin manage ... -c FILE` is written too.
    const r = await runQuilkin(['--no-admin', 'proxy', '-c', file, '--backend', 'js']);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code).to.equal(1);
    expect(r.output).to.include('port: unknown field `port` (line 2');
    expect(r.output).to.include('clusters[0].endpoints[0].address: invalid address `ftp://1.2.3.4:5`: non UDP based URLs are not permitted (line 5');
  });

  it('falls back to the js backend, visibly, when the native addon cannot load', async () => {
    const echo = await udpServer('echo');
    const port = await freePort();
    const proc = await startQuilkin(['proxy', '--port', String(port), '--qcmp-port', String(await freePort()), '--to', `127.0.0.1:${echo.port}`], {
      env: { QUILKIN_NATIVE_ADDON: '/nonexistent/quilkin_native.node' },
    });
    try {
      const config = JSON.parse((await proc.get('/config')).body);
      expect(config.proxy.backend).to.equal('js');
      expect(config.proxy.fallbacks).to.have.length(1);
      expect(config.proxy.fallbacks[0]).to.match(/^socket: .*nonexistent/);
      expect(proc.output()).to.include('backend unavailable, falling back');
      const client = await udpClient();
      client.send('via-js', port);
      await eventually(() => client.received.length === 1, 5000, 'a reply through the fallback backend');
      await client.close();
    } finally {
      await stopAllQuilkin();
      await echo.close();
    }
  });

  it('rejects --to together with --management-server', async () => {
    const r = await runQuilkin(['--no-admin', 'proxy', '--to', '127.0.0.1:1', '--management-server', 'http://127.0.0.1:2']);
    expect(r.code).to.equal(2);
    expect(r.output).to.include('cannot be used together');
  });

  it('says when an argument is wrong', async () => {
    const r = await runQuilkin(['proxy', '--port', 'seventy']);
    expect(r.code).to.not.equal(0);
    expect(r.output).to.include('is not a port number');
  });
});
