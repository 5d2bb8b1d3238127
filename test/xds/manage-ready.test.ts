// SPDX-License-Identifier: Apache-2.0
// manage's /ready waits for the provider's first config; the fs provider retries a missing file,
// and an invalid edit leaves the last good config served.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startManage, type RunningControlPlane } from '../../control-plane/manage';
import { FsProvider } from '../../control-plane/providers/fs/fs-provider';
import { filterRegistry } from '../../data-plane/filters';
import { QuilkinMetrics } from '../../runtime/metrics';
import { eventually, freePort } from '../support/net';

describe('manage readiness and the fs provider', () => {
  let dir: string;
  let running: RunningControlPlane | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qkx-ready-'));
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is not ready until the file exists and loads, then serves it and ignores an invalid edit', async function () {
    this.timeout(15000);
    const file = path.join(dir, 'quilkin.yaml');
    const adminPort = await freePort();
    const starting = startManage({
      port: 0,
      host: '127.0.0.1',
      id: 'm',
      relays: [],
      provider: new FsProvider({ path: file, validator: filterRegistry() }),
      metrics: new QuilkinMetrics(),
      adminAddress: `127.0.0.1:${adminPort}`,
    });
    const ready = async (): Promise<number> => (await fetch(`http://127.0.0.1:${adminPort}/ready`)).status;
    await eventually(async () => (await fetch(`http://127.0.0.1:${adminPort}/live`).catch(() => undefined))?.status === 200, 5000, 'admin up');
    expect(await ready()).to.equal(500);
    await new Promise((r) => setTimeout(r, 600));
    expect(await ready()).to.equal(500);

    fs.writeFileSync(file, 'clusters: [{ endpoints: [{ address: 127.0.0.1:9000 }] }]\n');
    running = await starting;
    expect(await ready()).to.equal(200);
    expect(running.store.current.clusters[0].endpoints[0].address.key).to.equal('127.0.0.1:9000');

    fs.writeFileSync(file, 'clusters: [{ endpoints: [{ address: not-an-address }] }]\n');
    await new Promise((r) => setTimeout(r, 300));
    expect(running.store.current.clusters[0].endpoints[0].address.key).to.equal('127.0.0.1:9000');
    expect(await ready()).to.equal(200);
    fs.writeFileSync(file, 'clusters: [{ endpoints: [{ address: 127.0.0.1:9001 }] }]\n');
    await eventually(() => running?.store.current.clusters[0].endpoints[0].address.key === '127.0.0.1:9001', 3000, 'the next good edit');
  });
});
