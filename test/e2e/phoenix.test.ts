// SPDX-License-Identifier: Apache-2.0
// Phoenix as a Quilkin v0.9 proxy serves it: an agent advertises its datacenter (ICAO code and
// QCMP port) to a relay, the relay hands it to the proxy over xDS, and the proxy measures it with
// QCMP and serves the latency document over TCP on its own QCMP port number.
import { expect } from 'chai';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigStore } from '../../config/store';
import { emptyConfig } from '../../config/model';
import { startXdsServer, type XdsServer } from '../../control-plane/xds/server';
import { startQcmpServer, type QcmpServer } from '../../data-plane/qcmp/server';
import { PROXY_TYPES } from '../../proto/type-urls';
import { QuilkinMetrics } from '../../runtime/metrics';
import { sample } from '../support/metrics-text';
import { eventually, freePort, udpServer, type UdpPeer } from '../support/net';
import { startQuilkin, stopAllQuilkin } from '../support/proxy-process';

/** Forwards datagrams between `listen` and `target`, holding each for `delayMs` both ways: a far datacenter on loopback. */
async function delayingRelay(listen: string, target: { host: string; port: number }, delayMs: number): Promise<{ port: number; close(): void }> {
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  let client: dgram.RemoteInfo | undefined;
  front.on('message', (data, rinfo) => {
    client = rinfo;
    setTimeout(() => back.send(data, target.port, target.host), delayMs);
  });
  back.on('message', (data) => {
    const to = client;
    if (to) setTimeout(() => front.send(data, to.port, to.address), delayMs);
  });
  await new Promise<void>((resolve) => front.bind(0, listen, resolve));
  await new Promise<void>((resolve) => back.bind(0, '127.0.0.1', resolve));
  return { port: front.address().port, close: () => (front.close(), back.close()) };
}

describe('phoenix on the proxy: datacenters from xDS, measured with QCMP', function () {
  this.timeout(40000);
  let dir: string;
  const peers: UdpPeer[] = [];
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    await stopAllQuilkin();
    for (const p of peers.splice(0)) await p.close();
    for (const c of cleanups.splice(0)) await c();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the measured datacenter by ICAO code on GET / of the QCMP port (TCP)', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qk-phoenix-'));
    const echo = await udpServer('echo');
    peers.push(echo);
    const agentConfig = path.join(dir, 'agent.yaml');
    fs.writeFileSync(agentConfig, `version: v1alpha1\nclusters: [{ endpoints: [{ address: "127.0.0.1:${echo.port}" }] }]\n`);
    const [mdsPort, xdsPort, agentQcmp, proxyQcmp, proxyPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    await startQuilkin(['relay', '--mds-port', String(mdsPort), '--xds-port', String(xdsPort)]);
    await startQuilkin(['agent', '--relay', `http://127.0.0.1:${mdsPort}`, '--qcmp-port', String(agentQcmp), '--icao-code', 'EGLL', 'file', agentConfig]);
    const proxy = await startQuilkin(['proxy', '--port', String(proxyPort), '--qcmp-port', String(proxyQcmp), '-m', `http://127.0.0.1:${xdsPort}`]);

    let document: Record<string, number> = {};
    await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${proxyQcmp}/`).catch(() => undefined);
        if (res?.status !== 200) return false;
        document = JSON.parse(await res.text()) as Record<string, number>;
        return 'EGLL' in document;
      },
      20000,
      'EGLL in the phoenix document',
    );
    // A distance in nanoseconds: positive, and well under a second on loopback.
    expect(document.EGLL).to.be.greaterThan(0).and.below(1e9);
    expect(Object.keys(document)).to.deep.equal(['EGLL']);
    const metrics = (await proxy.get('/metrics')).body;
    expect(sample(metrics, 'quilkin_phoenix_requests')).to.be.greaterThan(0);
    expect(proxy.output()).to.include('starting phoenix HTTP service');
  });

  it('orders datacenters by measured latency: a 25 ms-each-way datacenter comes out farther', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qk-phoenix-'));
    const near: QcmpServer = await startQcmpServer(0, '127.0.0.1');
    const farResponder: QcmpServer = await startQcmpServer(0, '127.0.0.1');
    const far = await delayingRelay('127.0.0.2', { host: '127.0.0.1', port: farResponder.port }, 25);
    cleanups.push(
      () => near.close(),
      () => farResponder.close(),
      () => far.close(),
    );
    const store = new ConfigStore({
      ...emptyConfig(),
      datacenters: [
        { host: '127.0.0.1', qcmpPort: near.port, icaoCode: 'EGLL' },
        { host: '127.0.0.2', qcmpPort: far.port, icaoCode: 'KJFK' },
      ],
    });
    const server: XdsServer = await startXdsServer({
      port: 0,
      host: '127.0.0.1',
      serverId: 'phoenix-test',
      store,
      types: PROXY_TYPES,
      metrics: new QuilkinMetrics(),
      debounceMs: 10,
    });
    cleanups.push(() => server.close());
    const proxyQcmp = await freePort();
    await startQuilkin(['proxy', '--port', String(await freePort()), '--qcmp-port', String(proxyQcmp), '-m', `http://127.0.0.1:${server.port}`]);
    let document: Record<string, number> = {};
    await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${proxyQcmp}/`).catch(() => undefined);
        document = res?.status === 200 ? (JSON.parse(await res.text()) as Record<string, number>) : {};
        return 'EGLL' in document && 'KJFK' in document;
      },
      20000,
      'both datacenters measured',
    );
    expect(document.KJFK - document.EGLL, 'KJFK farther than EGLL by most of the added 50 ms round trip (ns)').to.be.greaterThan(20e6);
  });
});
