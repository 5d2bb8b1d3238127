// SPDX-License-Identifier: Apache-2.0
// End to end with processes: `quilkin agent` (fs provider) -> `quilkin relay` -> `quilkin proxy`.
// The relay's file supplies the filter chain; the agent's file supplies the endpoints.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventually, freePort } from '../support/net';
import { startQuilkin, stopAllQuilkin } from '../support/proxy-process';
import { type TaggedEcho, taggedEcho, untilRoutedTo } from './flow';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('xDS end to end: agent -> relay -> proxy', function () {
  this.timeout(60000);
  let dir: string;
  let echoes: TaggedEcho[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qkx-relay-'));
  });
  after(async () => {
    await stopAllQuilkin();
    await Promise.all(echoes.map((e) => e.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('routes to the endpoints an agent reports, with the relay’s filter chain, and follows the agent’s edits', async () => {
    echoes = [await taggedEcho('A'), await taggedEcho('B')];
    const relayFile = path.join(dir, 'relay.yaml');
    fs.writeFileSync(
      relayFile,
      'filters:\n  - name: quilkin.filters.capture.v1alpha1.Capture\n    config: { suffix: { size: 3, remove: true } }\n  - name: quilkin.filters.token_router.v1alpha1.TokenRouter\n',
    );
    const agentFile = path.join(dir, 'agent.yaml');
    const agentConfig = (token: string, port: number): string =>
      `clusters:\n  - endpoints:\n      - { address: "127.0.0.1:${port}", metadata: { quilkin.dev: { tokens: [${b64(token)}] } } }\n`;
    fs.writeFileSync(agentFile, agentConfig('xyz', echoes[0].port));

    const [mdsPort, xdsPort, qcmpPort, proxyPort, proxyQcmp] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const relay = await startQuilkin([
      'relay',
      '--mds-port',
      String(mdsPort),
      '--xds-port',
      String(xdsPort),
      '--provider',
      'fs',
      '-c',
      relayFile,
      '--id',
      'e2e-relay',
    ]);
    const agent = await startQuilkin([
      'agent',
      '--relay',
      `http://127.0.0.1:${mdsPort}`,
      '--provider',
      'fs',
      '-c',
      agentFile,
      '--region',
      'eu',
      '--qcmp-port',
      String(qcmpPort),
      '--icao-code',
      'EGLL',
      '--id',
      'e2e-agent',
    ]);
    await eventually(async () => (await agent.get('/ready')).status === 200, 10000, 'agent ready (relay stream up)');
    const proxy = await startQuilkin([
      'proxy',
      '--backend',
      'js',
      '--port',
      String(proxyPort),
      '--qcmp-port',
      String(proxyQcmp),
      '--management-server',
      `http://127.0.0.1:${xdsPort}`,
    ]);

    await untilRoutedTo(proxyPort, Buffer.from('helloxyz'), 'A', 10000);
    const config = JSON.parse((await proxy.get('/config')).body) as { clusters: Array<{ locality?: string }> };
    expect(config.clusters.map((c) => c.locality)).to.deep.equal(['eu']);
    expect((await relay.get('/ready')).status).to.equal(200);

    fs.writeFileSync(agentFile, agentConfig('xyz', echoes[1].port));
    await untilRoutedTo(proxyPort, Buffer.from('helloxyz'), 'B', 2000);
    expect((await relay.get('/metrics')).body).to.match(/quilkin_xds_connected\{peer="e2e-agent",role="mds-server"\} 1/);
  });
});
