// SPDX-License-Identifier: Apache-2.0
// Child processes of the benchmark: started inside one of our namespaces, pinned to a
// CPU, always bounded in time, and measured from /proc (CPU time, resident memory).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as readline from 'node:readline';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** argv that runs `cmd` inside network namespace `ns`, pinned to `cpu`. */
export function inNs(ns: string, cpu: number | null, cmd: string[]): string[] {
  const pin = cpu === null ? [] : ['taskset', '-c', String(cpu)];
  return ['ip', 'netns', 'exec', ns, ...pin, ...cmd];
}

/** Runs a command to completion; kills it after timeoutMs so no run is unbounded. */
export function run(argv: string[], timeoutMs: number, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // the child may exit before reading its input
    child.stdin.end(input ?? '');
  });
}

/** Runs a command that must succeed and print one JSON object on its last stdout line. */
export async function runJson<T>(argv: string[], timeoutMs: number): Promise<T> {
  const r = await run(argv, timeoutMs);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) {
    throw new Error(`${argv.slice(argv.indexOf('exec') + 2).join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return JSON.parse(last) as T;
}

/** A long-running child (proxy, echo server, XDP loader) with its recent output kept. */
export class Daemon {
  readonly child: ChildProcess;
  private text = '';
  private exited: Promise<number | null>;

  constructor(
    readonly name: string,
    argv: string[],
    env: Record<string, string> = {},
  ) {
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const keep = (d: Buffer): void => {
      this.text = (this.text + d.toString()).slice(-8000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.child.on('error', (err) => keep(Buffer.from(`spawn failed: ${err.message}\n`)));
    this.child.stdin?.on('error', () => undefined); // writes after the child died: seen via `alive`
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name}: not started: ${this.recentOutput()}`);
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Throws with the exit status and last output when the process is gone. */
  check(): void {
    if (!this.alive) throw new Error(`${this.name} exited during the run (${this.child.exitCode ?? this.child.signalCode}): ${this.recentOutput()}`);
  }

  /** The last 8000 characters of stdout and stderr. */
  get output(): string {
    return this.text;
  }

  /** Whether the output seen so far (last 8000 characters) contains text. */
  printed(text: string): boolean {
    return this.text.includes(text);
  }

  /** The last lines of output; lines that name an error first, since they say why. */
  recentOutput(): string {
    const lines = this.text.trim().split('\n');
    const errors = lines.filter((l) => /error|fail|cannot|not /i.test(l) && !l.startsWith('{"level":30'));
    return (errors.length ? errors.slice(-3) : lines.slice(-6)).join(' | ');
  }

  /** Resolves once `ready` returns true (polled), rejects if the child dies or time runs out. */
  async waitFor(ready: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}): ${this.recentOutput()}`);
      if (await ready()) return;
      await sleep(50);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms: ${this.recentOutput()}`);
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. Children it
   *  started (nginx workers) are killed by pid if they outlive it, so no orphan keeps a
   *  port or an XDP socket into the next subject's runs. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.alive) return;
    const family = (this.child.pid === undefined ? [] : processTree(this.child.pid).slice(1)).map((pid) => ({ pid, started: startTime(pid) }));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    for (const { pid, started } of family) {
      if (started === null || startTime(pid) !== started) continue; // gone, or the pid was reused
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited in between, as it should have
      }
    }
  }
}

/** A loader that answers one JSON line per command written to its stdin (xdp_sink). */
export class LineClient {
  private lines: string[] = [];
  private waiters: ((line: string) => void)[] = [];

  constructor(readonly daemon: Daemon) {
    const rl = readline.createInterface({ input: daemon.child.stdout! });
    rl.on('line', (line) => {
      const w = this.waiters.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
  }

  next(timeoutMs = 3000): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.daemon.name}: no answer: ${this.daemon.recentOutput()}`)), timeoutMs);
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  async ask<T>(command: string, timeoutMs = 3000): Promise<T> {
    this.daemon.child.stdin!.write(`${command}\n`);
    const answer = JSON.parse(await this.next(timeoutMs)) as T & { error?: string };
    if (answer.error) throw new Error(`${this.daemon.name} ${command}: ${answer.error}`);
    return answer;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** pid and all its descendants (nginx master + workers), from /proc. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process exited while we were listing: not part of the tree any more
    }
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(parents.get(pid) ?? []));
  }
  return out;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Start time of a process (clock ticks since boot): with the pid, it names one process. */
export function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return null;
  }
}

/** User + system CPU seconds of a process tree so far. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // exited between listing and reading
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** Resident set size of a process tree in MiB (sum of VmRSS; shared pages count per process). */
export function treeRssMiB(root: number): number {
  let kib = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      kib += m ? Number(m[1]) : 0;
    } catch {
      // exited between listing and reading
    }
  }
  return kib / 1024;
}
