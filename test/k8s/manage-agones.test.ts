// SPDX-License-Identifier: Apache-2.0
// End to end on loopback: `quilkin manage --provider agones` against the API-server double, one
// proxy fed over xDS, and a game server whose token routes the client's packets.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventually, freePort, type UdpPeer, udpClient, udpServer } from '../support/net';
import { type QuilkinProcess, startQuilkin, stopAllQuilkin } from '../support/proxy-process';
import { KubeApiServerDouble, kubeconfigYaml } from './api-server';
import { gameServer, quilkinConfigMap } from './objects';

const EMBARK_CHAIN = `
filters:
  - name: quilkin.filters.capture.v1alpha1.Capture
    config:
      suffix:
        size: 3
        remove: true
  - name: quilkin.filters.token_router.v1alpha1.TokenRouter
`;

/** The admin page's body, or '' while the process is not listening yet. */
async function adminText(proc: QuilkinProcess, pathname: string): Promise<string> {
  try {
    const res = await proc.get(pathname);
    return res.status === 200 ? res.body : '';
  } catch {
    return '';
  }
}

describe('quilkin manage --provider agones + proxy, end to end on loopback', function () {
  this.timeout(60000);
  let api: KubeApiServerDouble;
  let dir: string;
  const peers: UdpPeer[] = [];

  beforeEach(async () => {
    api = new KubeApiServerDouble();
    await api.listen();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-k8s-e2e-'));
  });

  afterEach(async () => {
    await stopAllQuilkin();
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function startManage(): Promise<{ manage: QuilkinProcess; xdsPort: number }> {
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, kubeconfigYaml(api.url, api.token, api.caCert));
    const xdsPort = await freePort();
    const manage = await startQuilkin(['manage', '--provider', 'agones', '--port', String(xdsPort), '--gameservers-namespace', 'games'], {
      env: { KUBECONFIG: kubeconfig, HOME: dir },
    });
    return { manage, xdsPort };
  }

  it('routes a Ready and then Allocated GameServer by its token, follows ConfigMap chain changes, and stops when it is deleted', async () => {
    const gameServerSocket = await udpServer('echo');
    const client = await udpClient();
    peers.push(gameServerSocket, client);
    api.apply(quilkinConfigMap('quilkin-filters', EMBARK_CHAIN));
    const { manage, xdsPort } = await startManage();
    await eventually(async () => (await adminText(manage, '/ready')) === 'ok', 10000, 'manage ready');

    const port = await freePort();
    const proxy = await startQuilkin(
      ['proxy', '--backend', 'js', '--port', String(port), '--qcmp-port', String(await freePort()), '--management-server', `http://127.0.0.1:${xdsPort}`],
      {
        waitReady: false,
      },
    );

    // xDS delivers the chain and the clusters as separate resources: wait for the chain first, so
    // no packet meets endpoints without the token router.
    await eventually(async () => (await adminText(proxy, '/config')).includes('TokenRouter'), 15000, 'the ConfigMap chain on the proxy');
    api.apply(gameServer({ name: 'gs-1', namespace: 'games', state: 'Ready', address: '127.0.0.1', port: gameServerSocket.port, tokens: ['abc'] }));
    let sent = 0;
    await eventually(
      () => {
        client.send(`hello-${++sent}abc`, port);
        return client.received.length > 0;
      },
      15000,
      'a reply through the proxy routed by token abc',
    );
    const proxyConfig = (await proxy.get('/config')).body;
    expect(client.received[0].data.toString()).to.match(/^hello-\d+$/, `Capture removed the token suffix; proxy config: ${proxyConfig}`);
    expect(gameServerSocket.received.every((r) => !r.data.toString().endsWith('abc'))).to.equal(true);

    api.apply(gameServer({ name: 'gs-1', namespace: 'games', state: 'Allocated', address: '127.0.0.1', port: gameServerSocket.port, tokens: ['abc'] }));
    const before = client.received.length;
    client.send('allocatedabc', port);
    await eventually(() => client.received.length > before, 5000, 'still routed once Allocated');

    // A ConfigMap change reaches the proxy as a new chain: Drop stops the traffic, the Embark chain brings it back.
    api.apply(quilkinConfigMap('quilkin-filters', 'filters:\n  - name: quilkin.filters.drop.v1alpha1.Drop\n'));
    await eventually(async () => (await adminText(proxy, '/config')).includes('Drop'), 10000, 'the Drop chain on the proxy');
    const beforeDrop = gameServerSocket.received.length;
    client.send('droppedabc', port);
    await new Promise((r) => setTimeout(r, 300));
    expect(gameServerSocket.received.length, 'Drop chain drops').to.equal(beforeDrop);
    api.apply(quilkinConfigMap('quilkin-filters', EMBARK_CHAIN));
    await eventually(async () => (await adminText(proxy, '/config')).includes('TokenRouter'), 10000, 'the Embark chain back on the proxy');
    client.send('backabc', port);
    await eventually(() => gameServerSocket.received.some((r) => r.data.toString() === 'back'), 5000, 'routed again after the chain change');

    api.delete('GameServer', 'games', 'gs-1');
    await eventually(
      async () => JSON.parse((await proxy.get('/config')).body).clusters.every((c: { endpoints: unknown[] }) => c.endpoints.length === 0),
      10000,
      'proxy config without the endpoint',
    );
    const afterDelete = gameServerSocket.received.length;
    client.send('gonexyz', port);
    client.send('goneabc', port);
    await new Promise((r) => setTimeout(r, 300));
    expect(gameServerSocket.received.length, 'nothing routed after the GameServer is deleted').to.equal(afterDelete);
  });
});
