// SPDX-License-Identifier: Apache-2.0
// End to end on loopback: `quilkin manage --provider fs` and three `quilkin proxy` processes.
// File edits (tokens, then the filter chain) reach every proxy within 1 s while a steady flow
// keeps getting replies; proxies keep routing with manage killed and resync when it returns.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventually, freePort } from '../support/net';
import { type QuilkinProcess, startQuilkin, stopAllQuilkin } from '../support/proxy-process';
import { SteadyFlow, type TaggedEcho, taggedEcho, untilRoutedTo } from './flow';

const CAPTURE = 'quilkin.filters.capture.v1alpha1.Capture';
const ROUTER = 'quilkin.filters.token_router.v1alpha1.TokenRouter';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function configYaml(ports: { a: number; b: number }, tokens: { a: string; b: string }, capture: 'prefix' | 'suffix'): string {
  return [
    'version: v1alpha1',
    'filters:',
    `  - name: ${CAPTURE}`,
    `    config: { ${capture}: { size: 3, remove: true } }`,
    `  - name: ${ROUTER}`,
    'clusters:',
    '  - endpoints:',
    `      - { address: "127.0.0.1:${ports.a}", metadata: { quilkin.dev: { tokens: [${b64(tokens.a)}] } } }`,
    `      - { address: "127.0.0.1:${ports.b}", metadata: { quilkin.dev: { tokens: [${b64(tokens.b)}] } } }`,
    '',
  ].join('\n');
}

function versionLabel(metrics: string, role: string): string | undefined {
  return new RegExp(`quilkin_xds_config_version\\{role="${role}",type="[^"]*\\.Cluster",version="([^"]+)"\\} 1`).exec(metrics)?.[1];
}

/** Routable under either capture: the same token at both ends. */
const packet = (token: string): Buffer => Buffer.from(`${token}payload${token}`);

describe('xDS end to end: manage --provider fs + three proxies', function () {
  this.timeout(90000);
  let dir: string;
  let echoes: TaggedEcho[] = [];
  const flows: SteadyFlow[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qkx-e2e-'));
  });
  after(async () => {
    flows.forEach((f) => f.stop());
    await Promise.all(flows.splice(0).map((f) => f.close()));
    await stopAllQuilkin();
    await Promise.all(echoes.map((e) => e.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('routes by every file change within 1 s with traffic flowing, survives manage dying, resyncs on restart', async () => {
    echoes = [await taggedEcho('A'), await taggedEcho('B')];
    const ports = { a: echoes[0].port, b: echoes[1].port };
    const file = path.join(dir, 'quilkin.yaml');
    fs.writeFileSync(file, configYaml(ports, { a: 'aaa', b: 'bbb' }, 'suffix'));
    const xdsPort = await freePort();
    const manageArgs = ['manage', '--provider', 'fs', '-c', file, '--port', String(xdsPort), '--id', 'e2e-manage'];
    let manage: QuilkinProcess = await startQuilkin(manageArgs);
    await eventually(async () => (await manage.get('/ready')).status === 200, 5000, 'manage /ready');

    const proxies: Array<{ proc: QuilkinProcess; port: number }> = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const qcmp = await freePort();
      const proc = await startQuilkin([
        'proxy',
        '--backend',
        'js',
        '--port',
        String(port),
        '--qcmp-port',
        String(qcmp),
        '--management-server',
        `http://127.0.0.1:${xdsPort}`,
        '--id',
        `proxy-${i}`,
      ]);
      proxies.push({ proc, port });
    }
    for (const p of proxies) {
      await eventually(async () => (await p.proc.get('/ready')).status === 200, 10000, 'proxy /ready');
      await untilRoutedTo(p.port, packet('aaa'), 'A', 5000);
      const flow = new SteadyFlow(p.port, packet('aaa'));
      await flow.start();
      flows.push(flow);
    }
    const flowStart = Date.now();

    // 1. New endpoint tokens: `aaa` now belongs to B.
    fs.writeFileSync(file, configYaml(ports, { a: 'bbb', b: 'aaa' }, 'suffix'));
    const tokenTimes = await Promise.all(proxies.map((p) => untilRoutedTo(p.port, packet('aaa'), 'B', 1000)));
    // 2. A new filter chain: capture the token from the front; `ccc` now routes to A.
    fs.writeFileSync(file, configYaml(ports, { a: 'ccc', b: 'aaa' }, 'prefix'));
    const chainTimes = await Promise.all(proxies.map((p) => untilRoutedTo(p.port, Buffer.from('cccpayload'), 'A', 1000)));
    expect(Math.max(...tokenTimes, ...chainTimes), `propagation times (ms): tokens ${tokenTimes}, chain ${chainTimes}`).to.be.below(1000);

    // 3. manage dies: proxies keep routing on their last good config (and report not ready).
    manage.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of proxies) {
      await untilRoutedTo(p.port, Buffer.from('cccpayload'), 'A', 1000);
      expect((await p.proc.get('/ready')).status).to.equal(500);
    }

    // 4. manage returns with a changed file: every proxy resyncs (reconnect backoff is at most a few seconds here).
    fs.writeFileSync(file, configYaml(ports, { a: 'aaa', b: 'ddd' }, 'prefix'));
    manage = await startQuilkin(manageArgs);
    for (const p of proxies) {
      await untilRoutedTo(p.port, Buffer.from('dddpayload'), 'B', 15000);
      await eventually(async () => (await p.proc.get('/ready')).status === 200, 5000, 'proxy ready again');
    }
    const flowEnd = Date.now();
    flows.forEach((f) => f.stop());
    // Packets go out every 20 ms; a pause this long would mean dozens lost, not scheduling noise.
    for (const f of flows) expect(f.longestGap(flowStart, flowEnd), 'longest pause in replies (ms)').to.be.below(750);

    // Every proxy reports the Cluster version manage serves (the config-version gauge converges).
    const served = versionLabel((await manage.get('/metrics')).body, 'server');
    expect(served, 'manage serves a Cluster version').to.match(/^[0-9a-f]+$/);
    for (const p of proxies)
      await eventually(async () => versionLabel((await p.proc.get('/metrics')).body, 'client') === served, 3000, `proxy on ${p.port} at version ${served}`);
    const metrics = (await proxies[0].proc.get('/metrics')).body;
    expect(metrics).to.match(/quilkin_xds_acks\{control_plane="e2e-manage",type="[^"]*FilterChain"\} \d+/);
    expect(metrics).to.match(/quilkin_xds_connected\{peer="http:\/\/127\.0\.0\.1:\d+",role="client"\} 1/);
  });
});
