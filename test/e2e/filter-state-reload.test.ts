// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy` with a LocalRateLimit, config file reloads on loopback: a reload that only adds
// an unrelated filter keeps every client's bucket (on js and on the native socket workers alike);
// a reload that changes the limiter itself starts it afresh.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKENDS } from '../../data-plane/backends/index';
import { eventually, freePort, type UdpPeer, udpClient, udpServer } from '../support/net';
import { type QuilkinProcess, startQuilkin, stopAllQuilkin } from '../support/proxy-process';

const LIMIT = (maxPackets: number) =>
  `  - name: quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit\n    config: { max_packets: ${maxPackets}, period: 60 }\n`;
const DEBUG = '  - name: quilkin.filters.debug.v1alpha1.Debug\n    config: { id: added-by-reload }\n';
const PASS = '  - name: quilkin.filters.pass.v1alpha1.Pass\n';

/** `quilkin_packets_dropped_total` of read-side rate-limit drops, summed over every label set. */
function rateLimited(metrics: string): number {
  return metrics
    .split('\n')
    .filter((l) => l.startsWith('quilkin_packets_dropped_total{') && l.includes('event="read"') && l.includes('source="filter::rate_limit::dropped"'))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

for (const backend of ['js', 'socket'] as const) {
  describe(`filter state across config reloads (--backend ${backend})`, function () {
    this.timeout(30000);
    const peers: UdpPeer[] = [];
    let dir: string;

    before(function () {
      if (!BACKENDS[backend]) this.skip();
    });
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-state-'))));
    afterEach(async () => {
      await stopAllQuilkin();
      await Promise.all(peers.splice(0).map((p) => p.close()));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    function writeConfig(endpoint: number, filters: string): string {
      const file = path.join(dir, 'quilkin.yaml');
      fs.writeFileSync(file, `version: v1alpha1\nfilters:\n${filters}clusters:\n  - endpoints:\n      - address: 127.0.0.1:${endpoint}\n`);
      return file;
    }

    async function reload(proc: QuilkinProcess, endpoint: number, filters: string, count: number): Promise<void> {
      writeConfig(endpoint, filters);
      await eventually(async () => JSON.parse((await proc.get('/config')).body).filters.length === count, 5000, `the reload to ${count} filters`);
    }

    it('keeps LocalRateLimit buckets when an unrelated filter is added, and resets them when the limiter changes', async () => {
      const echo = await udpServer('echo');
      peers.push(echo);
      const port = await freePort();
      const proc = await startQuilkin([
        '-c',
        writeConfig(echo.port, LIMIT(5)),
        'proxy',
        '--backend',
        backend,
        '--port',
        String(port),
        '--qcmp-port',
        String(await freePort()),
      ]);
      expect(JSON.parse((await proc.get('/config')).body).proxy.backend).to.equal(backend);
      const client = await udpClient();
      peers.push(client);

      for (let i = 0; i < 5; i++) client.send(`allowed-${i}`, port);
      await eventually(() => client.received.length === 5, 5000, 'five replies');

      await reload(proc, echo.port, DEBUG + LIMIT(5) + PASS, 3);
      for (let i = 0; i < 3; i++) client.send(`over-${i}`, port);
      await eventually(async () => rateLimited((await proc.get('/metrics')).body) === 3, 5000, 'three rate-limited drops');
      expect(echo.received.map((r) => r.data.toString()).sort()).to.deep.equal([0, 1, 2, 3, 4].map((i) => `allowed-${i}`));

      // The limiter's own config changed: a fresh bucket, so the next packet passes.
      await reload(proc, echo.port, DEBUG + LIMIT(6), 2);
      client.send('fresh', port);
      await eventually(() => client.received.length === 6, 5000, 'a reply through the new limiter');
      expect(echo.received.map((r) => r.data.toString())).to.include('fresh');
      expect(rateLimited((await proc.get('/metrics')).body)).to.equal(3);
      expect(proc.child.exitCode).to.equal(null);
    });
  });
}
