// SPDX-License-Identifier: Apache-2.0
// Phoenix as a Quilkin v0.9 proxy serves it: an agent advertises its datacenter (ICAO code and
// QCMP port) to a relay, the relay hands it to the proxy over xDS, and the proxy measures it with
// QCMP and serves the latency document over TCP on its own QCMP port number.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sample } from '../support/metrics-text';
import { eventually, freePort, udpServer, type UdpPeer } from '../support/net';
import { startQuilkin, stopAllQuilkin } from '../support/proxy-process';

describe('phoenix on the proxy: datacenters from a relay, measured with QCMP', function () {
  this.timeout(40000);
  let dir: string;
  const peers: UdpPeer[] = [];
  afterEach(async () => {
    await stopAllQuilkin();
    for (const p of peers.splice(0)) await p.close();
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
});
