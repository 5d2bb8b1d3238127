// SPDX-License-Identifier: Apache-2.0
// The TypeScript end of bpf/tests/fast_run.c: builds the driver, starts one long-lived process and
// talks to it synchronously (the conformance runner's process() returns its output directly).
// Node has no blocking read on a child's pipe, so stdin and stdout are FIFOs this process opens
// itself: the driver's stdout is the only writer of the reply FIFO, so a crash reads as EOF.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** R flags of fast_run.c. */
export const RUN_F_TRACE = 1;
export const RUN_F_COUNTERS = 2;

/** XDP action codes (enum xdp_action). */
export const XDP = { aborted: 0, drop: 1, pass: 2, tx: 3, redirect: 4 } as const;

export interface CounterDelta {
  readonly packets: number;
  readonly bytes: number;
}

export interface RunResult {
  readonly retval: number;
  /** The frame as the program left it (for XDP_TX, the rewrite it sends). */
  readonly frame: Buffer;
  /** qk_fast_trace[0] after the run (all zeros when the fast path did not trace it). */
  readonly trace?: Buffer;
  /** qk_counters indices that moved during the run. */
  readonly counters: ReadonlyMap<number, CounterDelta>;
}

let built: { tool?: string; error?: string } | undefined;

/** Compiles fast_run into a temporary directory once per process; the path or why not. */
export function buildDriver(root: string): { tool?: string; error?: string } {
  if (built) return built;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qk-fast-run-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const tool = path.join(dir, 'fast_run');
  const t = path.join(root, 'bpf/tests');
  const args = ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', `-I${root}/bpf/lib`, `-I${t}`, `${t}/fast_run.c`, `${t}/prog_run.c`, '-lbpf', '-o', tool];
  const cc = spawnSync('cc', args, { encoding: 'utf8' });
  built = cc.status === 0 ? { tool } : { error: `cc ${args.join(' ')}: ${cc.error?.message ?? cc.stderr}` };
  return built;
}

function mapName(name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

function blob(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(b.length);
  return Buffer.concat([len, b]);
}

function parseCounters(text: string): Map<number, CounterDelta> {
  const out = new Map<number, CounterDelta>();
  if (text === '-') return out;
  for (const item of text.split(',')) {
    const [idx, packets, bytes] = item.split(':').map(Number);
    out.set(idx, { packets, bytes });
  }
  return out;
}

const hexOrEmpty = (text: string): Buffer => (text === '-' ? Buffer.alloc(0) : Buffer.from(text, 'hex'));

export class FastRunDriver {
  /** Map names of the loaded object. */
  readonly maps: ReadonlySet<string>;
  readonly cpu: number;
  private pending = Buffer.alloc(0);

  private constructor(
    private readonly child: ChildProcess,
    private readonly cmdFd: number,
    private readonly replyFd: number,
    private readonly dir: string,
  ) {
    const ready = /^ready cpu=(\d+) maps=(.*)$/.exec(this.line());
    if (!ready) throw new Error(`fast_run: unexpected first line${this.stderrTail()}`);
    this.cpu = Number(ready[1]);
    this.maps = new Set(ready[2].split(',').filter(Boolean));
  }

  static start(tool: string, object: string): FastRunDriver {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qk-fast-run-io-'));
    const cmd = path.join(dir, 'cmd');
    const reply = path.join(dir, 'reply');
    const mk = spawnSync('mkfifo', [cmd, reply], { encoding: 'utf8' });
    if (mk.status !== 0) throw new Error(`mkfifo: ${mk.error?.message ?? mk.stderr}`);
    // O_RDWR opens of a FIFO never block. The read end of `reply` is reopened read-only after the
    // spawn and the read-write one closed, so the driver is its only writer.
    const cmdFd = fs.openSync(cmd, 'r+');
    const replyRw = fs.openSync(reply, 'r+');
    const stderrFd = fs.openSync(path.join(dir, 'stderr'), 'w');
    const child = spawn(tool, [object], { stdio: [cmdFd, replyRw, stderrFd] });
    child.unref();
    const replyFd = fs.openSync(reply, 'r');
    fs.closeSync(replyRw);
    fs.closeSync(stderrFd);
    try {
      return new FastRunDriver(child, cmdFd, replyFd, dir);
    } catch (err) {
      FastRunDriver.release(child, cmdFd, replyFd, dir);
      throw err;
    }
  }

  writeEntry(map: string, key: Buffer, value: Buffer): void {
    this.ok(Buffer.concat([Buffer.from('W'), mapName(map), blob(key), blob(value)]), `write ${map}`);
  }

  deleteEntry(map: string, key: Buffer): void {
    this.ok(Buffer.concat([Buffer.from('D'), mapName(map), blob(key)]), `delete from ${map}`);
  }

  clearHash(map: string): void {
    this.ok(Buffer.concat([Buffer.from('X'), mapName(map)]), `clear ${map}`);
  }

  zeroArray(map: string): void {
    this.ok(Buffer.concat([Buffer.from('Z'), mapName(map)]), `zero ${map}`);
  }

  run(frame: Buffer, flags: number): RunResult {
    const head = Buffer.alloc(5);
    head.write('R');
    head.writeUInt32LE(flags, 1);
    const line = this.request(Buffer.concat([head, blob(frame)]));
    const m = /^run (\d+) (\S+) (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error(`fast_run run: ${line}`);
    return {
      retval: Number(m[1]),
      frame: hexOrEmpty(m[2]),
      ...(flags & RUN_F_TRACE ? { trace: hexOrEmpty(m[3]) } : {}),
      counters: parseCounters(m[4]),
    };
  }

  close(): void {
    try {
      fs.writeSync(this.cmdFd, 'Q');
    } catch {
      // already gone
    }
    FastRunDriver.release(this.child, this.cmdFd, this.replyFd, this.dir);
  }

  private static release(child: ChildProcess, cmdFd: number, replyFd: number, dir: string): void {
    child.kill();
    fs.closeSync(cmdFd);
    fs.closeSync(replyFd);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  private ok(record: Buffer, what: string): void {
    const line = this.request(record);
    if (line !== 'ok') throw new Error(`fast_run ${what}: ${line}`);
  }

  private request(record: Buffer): string {
    for (let at = 0; at < record.length;) at += fs.writeSync(this.cmdFd, record, at);
    return this.line();
  }

  /** The next reply line; blocks until the driver writes it. */
  private line(): string {
    const chunk = Buffer.alloc(1 << 16);
    for (;;) {
      const nl = this.pending.indexOf(0x0a);
      if (nl >= 0) {
        const text = this.pending.subarray(0, nl).toString('utf8');
        this.pending = this.pending.subarray(nl + 1);
        return text;
      }
      const n = fs.readSync(this.replyFd, chunk, 0, chunk.length, null);
      if (n === 0) throw new Error(`fast_run exited${this.stderrTail()}`);
      this.pending = Buffer.concat([this.pending, chunk.subarray(0, n)]);
    }
  }

  private stderrTail(): string {
    const text = fs.existsSync(path.join(this.dir, 'stderr')) ? fs.readFileSync(path.join(this.dir, 'stderr'), 'utf8').trim() : '';
    return text ? `: ${text.slice(-2000)}` : '';
  }
}
