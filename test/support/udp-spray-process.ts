// SPDX-License-Identifier: Apache-2.0
// Runs udp-spray.ts (a fresh source port per datagram) as its own process and reports what it
// sent; killed if it overruns its time by 30 s.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './repo';

export function sprayFromProcess(port: number, from: string, rate: number, seconds: number): Promise<{ sent: number; errors: number }> {
  const script = path.join(repoRoot(), 'dist', 'test', 'support', 'udp-spray.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, '127.0.0.1', String(port), from, String(rate), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as { sent: number; errors: number });
      else reject(new Error(`udp-spray exited with ${code}`));
    });
  });
}
