// SPDX-License-Identifier: Apache-2.0
// Runs `quilkin` as a child process for end-to-end tests, and always stops it.
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from './net';
import { repoRoot } from './repo';

export interface QuilkinProcess {
  readonly child: ChildProcess;
  readonly adminPort: number;
  readonly adminUrl: string;
  /** stdout + stderr so far (JSON log lines). */
  output(): string;
  get(pathname: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

const running = new Set<QuilkinProcess>();

export function cliPath(): string {
  return path.join(repoRoot(), 'dist', 'cli', 'main.js');
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  waitReady?: boolean;
  /** Runs the process under another command, e.g. `prlimit --nofile=N:N`. */
  prefix?: string[];
  /** What runs the CLI (default: this node and dist/cli/main.js of the checkout), and where. */
  command?: readonly string[];
  cwd?: string;
  /**
   * Pass `args` exactly as given (a command line from documentation): nothing is prepended, so the
   * caller moves the admin server with QUILKIN_ADMIN_ADDRESS or `--admin-address` and names its port.
   */
  verbatim?: { adminPort: number };
}

/** Starts `node dist/cli/main.js --admin-address 127.0.0.1:<free> --log-format json <args>`. */
export async function startQuilkin(args: string[], options: StartOptions = {}): Promise<QuilkinProcess> {
  const adminPort = options.verbatim?.adminPort ?? (await freePort());
  const prepended = options.verbatim ? [] : ['--admin-address', `127.0.0.1:${adminPort}`, '--log-format', 'json'];
  const argv = [...(options.command ?? [process.execPath, cliPath()]), ...prepended, ...args];
  const command = [...(options.prefix ?? []), ...argv];
  const child = spawn(command[0], command.slice(1), {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const proc: QuilkinProcess = {
    child,
    adminPort,
    adminUrl,
    output: () => out,
    get: async (pathname) => {
      const res = await fetch(adminUrl + pathname);
      return { status: res.status, body: await res.text() };
    },
    stop: async () => {
      running.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(proc);
  if (options.waitReady !== false) await waitForLog(proc, 'Quilkin is ready', 15000);
  return proc;
}

export async function waitForLog(proc: QuilkinProcess, text: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output().includes(text)) {
    if (proc.child.exitCode !== null) throw new Error(`quilkin exited with ${proc.child.exitCode} before "${text}":\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}":\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs the CLI to completion (for commands that exit). */
export function runQuilkin(
  args: string[],
  timeoutMs = 15000,
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`quilkin ${args.join(' ')} did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Stops every process a test left running (call from an afterEach/after hook). */
export async function stopAllQuilkin(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}
