// SPDX-License-Identifier: Apache-2.0
// The compile stage runs before a config is committed: a config that validates but that the data
// path cannot run (here a Capture regex whose repetition RE2, every backend's regex engine,
// refuses) is rejected from a file and NACKed over xDS, with the reason; the previous chain keeps
// forwarding and /config does not move. And endpoint names keep their answers across reloads.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sample } from '../support/metrics-text';
import { eventually, freePort, udpClient, udpServer, type UdpPeer } from '../support/net';
import { type QuilkinProcess, startQuilkin, stopAllQuilkin, waitForLog } from '../support/proxy-process';

/** Validates (a Rust/JS regex may repeat 1001 times) but RE2, the native engine's regex, refuses it. */
const UNRUNNABLE_CAPTURE = `- name: quilkin.filters.capture.v1alpha1.Capture
  config: { metadataKey: k, regex: { pattern: "a{1001}" } }`;
const RE2_REASON = /invalid repetition size/;

function configYaml(echoPort: number, filters = ''): string {
  return `version: v1alpha1\nfilters:\n${filters || '  []'}\nclusters: [{ endpoints: [{ address: "127.0.0.1:${echoPort}" }] }]\n`;
}

async function configJson(proc: QuilkinProcess): Promise<{ filters: unknown[]; clusters: Array<{ endpoints: Array<{ address: string }> }> }> {
  return JSON.parse((await proc.get('/config')).body) as never;
}

/** Sends one datagram and waits for its echo: the running chain forwards to `echo`. */
async function roundTrip(client: Awaited<ReturnType<typeof udpClient>>, port: number, echo: UdpPeer, text: string): Promise<void> {
  const before = echo.received.length;
  client.send(text, port);
  await eventually(() => client.received.some((r) => r.data.toString() === text), 5000, `the echo of ${text}`);
  expect(echo.received.length).to.equal(before + 1);
}

describe('compile stage', function () {
  this.timeout(60000);
  const peers: UdpPeer[] = [];
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qk-compile-'))));
  afterEach(async () => {
    await stopAllQuilkin();
    for (const p of peers.splice(0)) await p.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('a config that validates but cannot run', () => {
    it('from a file: rejected with the reason, counted, the previous chain forwarding, /config unchanged (socket backend)', async () => {
      const [echoA, echoB, client] = [await udpServer('echo'), await udpServer('echo'), await udpClient()];
      peers.push(echoA, echoB, client);
      const file = path.join(dir, 'quilkin.yaml');
      fs.writeFileSync(file, configYaml(echoA.port));
      const port = await freePort();
      const proc = await startQuilkin(['-c', file, 'proxy', '--backend', 'socket', '--port', String(port), '--qcmp-port', String(await freePort())]);
      expect(proc.output()).to.include('"socket backend started"');
      await roundTrip(client, port, echoA, 'before');
      const before = await configJson(proc);

      fs.writeFileSync(file, configYaml(echoB.port, UNRUNNABLE_CAPTURE));
      await waitForLog(proc, 'config file change rejected');
      const rejection =
        proc
          .output()
          .split('\n')
          .find((l) => l.includes('config file change rejected')) ?? '';
      expect(rejection).to.match(RE2_REASON);
      expect(rejection).to.include('filters[0] (quilkin.filters.capture.v1alpha1.Capture)');
      const metrics = (await proc.get('/metrics')).body;
      expect(sample(metrics, `quilkin_config_rejected_total{source="file:${file}"}`)).to.equal(1);
      expect(await configJson(proc)).to.deep.equal(before);
      await roundTrip(client, port, echoA, 'after');
      expect(echoB.received).to.have.length(0);
    });

    it('from xDS: NACKed with the reason, the previous chain forwarding, /config unchanged (socket backend)', async () => {
      const [echoA, client] = [await udpServer('echo'), await udpClient()];
      peers.push(echoA, client);
      const file = path.join(dir, 'manage.yaml');
      fs.writeFileSync(file, configYaml(echoA.port));
      const xdsPort = await freePort();
      const manage = await startQuilkin(['manage', '--port', String(xdsPort), 'file', file]);
      const port = await freePort();
      const proc = await startQuilkin([
        'proxy',
        '--backend',
        'socket',
        '--port',
        String(port),
        '--qcmp-port',
        String(await freePort()),
        '-m',
        `http://127.0.0.1:${xdsPort}`,
      ]);
      await eventually(async () => (await proc.get('/ready')).status === 200, 10000, 'the proxy ready on xDS');
      await roundTrip(client, port, echoA, 'before');
      const before = await configJson(proc);

      // Clusters and the filter chain are separate xDS resources: only the chain changes here.
      fs.writeFileSync(file, configYaml(echoA.port, UNRUNNABLE_CAPTURE));
      await waitForLog(proc, 'rejected xDS update (NACK)', 10000);
      const nack =
        proc
          .output()
          .split('\n')
          .find((l) => l.includes('rejected xDS update (NACK)')) ?? '';
      expect(nack).to.match(RE2_REASON);
      expect(await configJson(proc)).to.deep.equal(before);
      await roundTrip(client, port, echoA, 'after');
      expect(manage.output()).to.not.include('"level":"error"');
    });

    it('the js backend refuses it too: its Capture regexes run on the same RE2, in linear time', async () => {
      const [echoA, client] = [await udpServer('echo'), await udpClient()];
      peers.push(echoA, client);
      const file = path.join(dir, 'quilkin.yaml');
      fs.writeFileSync(file, configYaml(echoA.port));
      const port = await freePort();
      const proc = await startQuilkin(['-c', file, 'proxy', '--backend', 'js', '--port', String(port), '--qcmp-port', String(await freePort())]);
      const before = await configJson(proc);
      fs.writeFileSync(file, configYaml(echoA.port, UNRUNNABLE_CAPTURE));
      await waitForLog(proc, 'config file change rejected');
      expect(
        proc
          .output()
          .split('\n')
          .find((l) => l.includes('config file change rejected')),
      ).to.match(RE2_REASON);
      expect(await configJson(proc)).to.deep.equal(before);
      await roundTrip(client, port, echoA, 'after');
    });
  });

  describe('endpoint names across reloads', () => {
    for (const backend of ['js', 'socket'] as const) {
      it(`a DNS endpoint loses no packet of a paced sender across 20 reloads (${backend} backend)`, async () => {
        // `localhost` is answered from the hosts file (IPv6 first: ::1); the echo listens dual-stack.
        const echo = await udpServer('echo', '::');
        const client = await udpClient();
        peers.push(echo, client);
        const file = path.join(dir, 'quilkin.yaml');
        const write = (round: number): void =>
          fs.writeFileSync(
            file,
            `version: v1alpha1\nid: round-${round}\nfilters: [{ name: quilkin.filters.debug.v1alpha1.Debug, config: { id: "r${round}" } }]\nclusters: [{ endpoints: [{ address: "localhost:${echo.port}" }] }]\n`,
          );
        write(0);
        const port = await freePort();
        const proc = await startQuilkin(['-c', file, 'proxy', '--backend', backend, '--port', String(port), '--qcmp-port', String(await freePort())]);
        await roundTrip(client, port, echo, 'warm');
        const total = 600;
        for (let i = 0; i < total; i++) {
          client.send(`packet ${i}`, port);
          if (i % 30 === 15) write((i - 15) / 30 + 1);
          await new Promise((r) => setTimeout(r, 4));
        }
        await eventually(async () => await configJson(proc).then((c) => JSON.stringify(c).includes('"round-20"')), 5000, 'the 20th reload applied');
        await eventually(() => client.received.length === total + 1, 5000, `${total} replies`).catch(() => undefined);
        expect(client.received.length - 1, 'replies to the paced sender').to.equal(total);
        const metrics = (await proc.get('/metrics')).body;
        expect(metrics).to.not.match(/^quilkin_config_rejected_total\{[^}]*\} [1-9]/m);
        expect(metrics).to.not.match(/quilkin_packets_dropped_total\{[^}]*source="no route"/);
      });
    }
  });
});
