// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy xdp` in network namespaces of our own (prefix qkk8s, 10.79.1.0/24), to read the
// /metrics of a proxy whose XDP program is attached. Everything is removed again, also on failure.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Star } from '../support/netns';
import { repoRoot } from '../support/repo';

const ADMIN_PORT = 8000;

/** Root (CAP_NET_ADMIN, CAP_BPF) is needed to create namespaces and attach XDP. */
export function canRunXdp(): boolean {
  return process.getuid?.() === 0;
}

/** Starts `proxy xdp` on a veth, waits until XDP is attached, and returns its /metrics text. */
export async function xdpProxyExposition(timeoutMs = 30000): Promise<string> {
  const star = new Star({ prefix: 'qkk8s', hosts: ['cli', 'prx'], subnet: [79, 1], txChecksumOff: true }).create();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qkk8s-'));
  try {
    const config = path.join(dir, 'quilkin.yaml');
    fs.writeFileSync(config, `version: v1alpha1\nclusters:\n  - endpoints:\n      - address: "${star.host('cli').ipv4}:9001"\n`);
    const cli = path.join(repoRoot(), 'dist', 'cli', 'main.js');
    const args = [
      '--admin-address',
      `0.0.0.0:${ADMIN_PORT}`,
      '--log-format',
      'json',
      '-c',
      config,
      'proxy',
      'xdp',
      '--xdp.force',
      '--xdp.interface',
      star.host('prx').dev,
      '-p',
      '7777',
      '-q',
      '7600',
    ];
    const child = star.spawn('prx', [process.execPath, cli, ...args]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`proxy xdp exited with ${child.exitCode}:\n${out}`);
      try {
        const text = star.exec('cli', ['curl', '-sS', '--fail', '--max-time', '3', `http://${star.host('prx').ipv4}:${ADMIN_PORT}/metrics`]);
        if (text.includes('quilkin_xdp_')) return text;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`proxy xdp exported no quilkin_xdp_ metrics within ${timeoutMs} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    star.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
