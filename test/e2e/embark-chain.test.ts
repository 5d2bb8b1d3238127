// SPDX-License-Identifier: Apache-2.0
// Embark's production chain (version byte suffix, token suffix, TokenRouter) through a real
// `quilkin proxy --backend js` on loopback: each endpoint gets exactly the payload, only its own
// client's packets, and replies come back unchanged.
import { expect } from 'chai';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EMBARK_FILTERS_YAML } from '../../config/embark-chain';
import { eventually, freePort, type UdpPeer, udpClient, udpServer } from '../support/net';
import { repoRoot } from '../support/repo';

const TOKEN_A = Buffer.from('abc');
const TOKEN_B = Buffer.from('xyz');

function embarkConfig(endpointA: number, endpointB: number): string {
  return `version: v1alpha1
filters:
${EMBARK_FILTERS_YAML}clusters:
  - endpoints:
      - address: 127.0.0.1:${endpointA}
        metadata: { quilkin.dev: { tokens: [${TOKEN_A.toString('base64')}] } }
      - address: 127.0.0.1:${endpointB}
        metadata: { quilkin.dev: { tokens: [${TOKEN_B.toString('base64')}] } }
`;
}

/**
 * Starts `quilkin --no-admin -c <file> proxy --backend js --port <p>` and waits for its readiness log
 * line. `-c` is a root option of our CLI, so it goes before the `proxy` subcommand.
 */
async function startProxy(configPath: string, port: number, qcmpPort: number): Promise<{ child: ChildProcess; output: () => string }> {
  const cli = path.join(repoRoot(), 'dist', 'cli', 'main.js');
  const args = [
    cli,
    '--no-admin',
    '--log-format',
    'json',
    '-c',
    configPath,
    'proxy',
    '--backend',
    'js',
    '--port',
    String(port),
    '--qcmp-port',
    String(qcmpPort),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 15000;
  while (!out.includes('Quilkin is ready')) {
    if (child.exitCode !== null) throw new Error(`quilkin exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`quilkin not ready after 15 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, output: () => out };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

const packet = (payload: Buffer, token: Buffer, version: number): Buffer => Buffer.concat([payload, token, Buffer.from([version])]);

describe('Embark production chain through quilkin proxy (--backend js)', function () {
  this.timeout(30000);
  const peers: UdpPeer[] = [];
  let proxy: ChildProcess | undefined;
  let dir: string;

  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-embark-'))));
  afterEach(async () => {
    await stop(proxy);
    await Promise.all(peers.splice(0).map((p) => p.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers exactly the payload to the token owner only, and replies unchanged', async () => {
    // Servers answer with a reply that names what they got, so the client can check it verbatim.
    const reply = (tag: string) => (data: Buffer) => Buffer.concat([Buffer.from(`${tag}:`), data]);
    const serverA = await udpServer(reply('A'));
    const serverB = await udpServer(reply('B'));
    const clientA = await udpClient();
    const clientB = await udpClient();
    peers.push(serverA, serverB, clientA, clientB);
    const configPath = path.join(dir, 'quilkin.yaml');
    fs.writeFileSync(configPath, embarkConfig(serverA.port, serverB.port));
    const port = await freePort();
    const started = await startProxy(configPath, port, await freePort());
    proxy = started.child;

    const payloadsA = [Buffer.from('hello from a'), Buffer.from([0x00, 0xff, 0x10]), Buffer.from('ünïcödé 😀')];
    const payloadsB = [Buffer.from('hello from b'), Buffer.alloc(0), Buffer.from('abc')];
    // A packet with an unknown token must reach nobody.
    clientA.send(packet(Buffer.from('stray'), Buffer.from('???'), 1), port);
    payloadsA.forEach((p, i) => clientA.send(packet(p, TOKEN_A, i + 1), port));
    payloadsB.forEach((p, i) => clientB.send(packet(p, TOKEN_B, i + 1), port));

    await eventually(() => serverA.received.length >= 3 && serverB.received.length >= 3, 10000, 'both endpoints to get their packets');
    await eventually(() => clientA.received.length >= 3 && clientB.received.length >= 3, 10000, 'both clients to get their replies');
    // Give a misrouted or stray packet time to show up before asserting there was none.
    await new Promise((r) => setTimeout(r, 200));

    const hex = (list: Array<{ data: Buffer }>) => list.map((r) => r.data.toString('hex')).sort();
    expect(hex(serverA.received)).to.deep.equal(payloadsA.map((p) => p.toString('hex')).sort());
    expect(hex(serverB.received)).to.deep.equal(payloadsB.map((p) => p.toString('hex')).sort());
    expect(hex(clientA.received)).to.deep.equal(payloadsA.map((p) => reply('A')(p).toString('hex')).sort());
    expect(hex(clientB.received)).to.deep.equal(payloadsB.map((p) => reply('B')(p).toString('hex')).sort());
    // Replies come from the proxy's port, not from the endpoints.
    for (const r of [...clientA.received, ...clientB.received]) expect(r.from).to.equal(`127.0.0.1:${port}`);
  });
});
