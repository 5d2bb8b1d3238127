// SPDX-License-Identifier: Apache-2.0
// The admin port against idle connection hoarding: connections beyond the cap are refused, idle
// ones are cut after the idle timeout, and then a fresh /live is answered; game traffic through
// the same process keeps flowing all along.
import { expect } from 'chai';
import * as net from 'node:net';
import { parseEndpointAddress } from '../../config/address';
import type { ProxyBackend } from '../../data-plane/backends/backend';
import { createJsBackend } from '../../data-plane/backends/js/js-backend';
import { FilterRegistry } from '../../data-plane/filters/registry';
import { type AdminServer, startAdmin } from '../../runtime/admin';
import { QuilkinMetrics } from '../../runtime/metrics';
import { eventually, udpClient, udpServer, type UdpPeer } from '../support/net';
import { compiled } from '../support/compiled';

describe('admin server: connection cap and idle timeouts', function () {
  this.timeout(30000);
  let admin: AdminServer | undefined;
  let backend: ProxyBackend | undefined;
  const peers: UdpPeer[] = [];
  const sockets: net.Socket[] = [];
  after(async () => {
    for (const s of sockets) s.destroy();
    await admin?.close();
    await backend?.stop();
    for (const p of peers) await p.close();
  });

  it('drops idle connections beyond and within the cap, then answers /live; UDP unaffected', async () => {
    const metrics = new QuilkinMetrics();
    const cap = 20;
    admin = await startAdmin({
      address: '127.0.0.1:0',
      metrics,
      ready: () => true,
      config: () => ({}),
      limits: { maxConnections: cap, idleTimeoutMs: 800, headersTimeoutMs: 800, requestTimeoutMs: 2000 },
    });
    const echo = await udpServer('echo');
    peers.push(echo);
    const endpoints = [{ address: parseEndpointAddress(`127.0.0.1:${echo.port}`), tokens: [], userMetadata: {} }];
    backend = await createJsBackend(
      { port: 0, qcmpPort: 0, workers: 1, sessionTimeoutSecs: 60, maxSessions: 10, metrics, registry: new FilterRegistry() },
      compiled({ version: 'v1alpha1', clusters: [{ endpoints }], filters: [], icaoCode: 'XXXX' }),
    );
    const udpPort = Number(String(backend.describe().listen).split(':').pop());
    const client = await udpClient();
    peers.push(client);

    // Three times the cap of connections that never send a byte.
    let closedByServer = 0;
    await Promise.all(
      Array.from(
        { length: cap * 3 },
        () =>
          new Promise<void>((resolve) => {
            const s = net.connect(admin!.port, '127.0.0.1', () => resolve());
            s.on('error', () => resolve());
            s.on('close', () => closedByServer++);
            sockets.push(s);
          }),
      ),
    );
    for (let i = 0; i < 20; i++) client.send(`during ${i}`, udpPort);
    await eventually(() => closedByServer === cap * 3, 5000, 'every idle connection closed by the server');
    const started = Date.now();
    const res = await fetch(`${admin.url.replace('localhost', '127.0.0.1')}/live`, { signal: AbortSignal.timeout(2000) });
    expect(res.status).to.equal(200);
    expect(Date.now() - started).to.be.below(500);
    await eventually(() => client.received.length === 20, 5000, 'all game replies');
  });
});
