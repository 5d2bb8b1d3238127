// SPDX-License-Identifier: Apache-2.0
// Runs every Quilkin v0.9.0 documented command line (quilkin-v0.9-command-lines.yaml) on loopback:
// the real CLI for those that run, the program's own parser for those that need Kubernetes.
import { expect } from 'chai';
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { buildProgram } from '../../cli/main';
import { freePort, udpClient, udpServer, type UdpPeer } from '../support/net';
import { type QuilkinProcess, runQuilkin, startQuilkin, stopAllQuilkin } from '../support/proxy-process';
import { repoRoot } from '../support/repo';

type Outcome = 'runs' | 'exits' | 'usage-error' | 'needs-k8s' | 'parse-only';

interface FileSpec {
  from: string;
  substitute?: Record<string, string>;
}

interface ProcessSpec {
  command: string;
  env?: Record<string, string>;
}

interface Row extends ProcessSpec {
  name: string;
  source: string;
  v09: Outcome;
  ours: Outcome;
  difference?: string;
  files?: Record<string, FileSpec>;
  background?: ProcessSpec[];
  code?: number;
  output_contains?: string[];
  error?: string;
  echo?: { server: number; via: number };
  /** /ready must turn 200 (bounded wait): the process got its config (for a proxy: endpoints). */
  ready?: boolean;
  parsed?: { command: string; values: Record<string, unknown> };
}

const TABLE = path.join(repoRoot(), 'test', 'cli', 'quilkin-v0.9-command-lines.yaml');
const CONFIGS = path.join(repoRoot(), 'test', 'conformance', 'quilkin-v0.9-configs');
const rows = (parse(fs.readFileSync(TABLE, 'utf8')) as { rows: Row[] }).rows;

/** Documented port numbers → free loopback ports, one map per row (shared with its background). */
class PortMap {
  private readonly ports = new Map<number, number>();
  /** A documented port that stands for a socket the test already opened (an echo server). */
  bind(documented: number, actual: number): void {
    this.ports.set(documented, actual);
  }
  async resolve(documented: number): Promise<number> {
    let port = this.ports.get(documented);
    if (port === undefined) {
      port = await freePort();
      this.ports.set(documented, port);
    }
    return port;
  }
  /** `{N}` placeholders in a text (env values, expected errors). */
  async text(value: string): Promise<string> {
    let text = value;
    for (const m of value.matchAll(/\{(\d+)\}/g)) text = text.replace(m[0], String(await this.resolve(Number(m[1]))));
    return text;
  }
  async env(env: Record<string, string> = {}): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(env)) out[key] = await this.text(value);
    return out;
  }
  /** Every token ending in a 4-5 digit port (`7801`, `--port=26001`, `http://localhost:7900`). */
  async argv(command: string): Promise<string[]> {
    const out: string[] = [];
    for (const token of command.trim().split(/\s+/)) {
      const m = /^(.*?)(^|[:=])(\d{4,5})$/.exec(token);
      out.push(m ? `${m[1]}${m[2]}${await this.resolve(Number(m[3]))}` : token);
    }
    return out;
  }
}

/** The admin port a process will use: its own `--admin-address`, else one we give it by env. */
async function adminFor(argv: string[], env: Record<string, string>): Promise<number> {
  const i = argv.indexOf('--admin-address');
  if (i >= 0) return Number(/(\d+)\/?$/.exec(argv[i + 1])![1]);
  const port = await freePort();
  env.QUILKIN_ADMIN_ADDRESS = `127.0.0.1:${port}`;
  return port;
}

function writeFiles(dir: string, files: Record<string, FileSpec> = {}): void {
  for (const [name, spec] of Object.entries(files)) {
    let text = fs.readFileSync(path.join(CONFIGS, spec.from), 'utf8');
    for (const [placeholder, value] of Object.entries(spec.substitute ?? {})) text = text.split(placeholder).join(value);
    fs.writeFileSync(path.join(dir, name), text);
  }
}

async function start(spec: ProcessSpec, ports: PortMap, cwd: string): Promise<QuilkinProcess> {
  const argv = await ports.argv(spec.command);
  const env = await ports.env(spec.env);
  const adminPort = await adminFor(argv, env);
  return startQuilkin(argv, { env, cwd, verbatim: { adminPort } });
}

/** The leaf command and its values, parsed by the real program with every action replaced. */
function parseOnly(argv: string[]): { command: string; values: Record<string, unknown> } {
  const program = buildProgram();
  let chosen: { command: string; values: Record<string, unknown> } | undefined;
  const visit = (command: Command): void => {
    command.action((...args: unknown[]) => {
      const self = args[args.length - 1] as Command;
      const names: string[] = [];
      for (let c: Command | null = self; c?.parent; c = c.parent) names.unshift(c.name());
      chosen = { command: names.join(' '), values: { ...self.parent?.opts(), ...self.opts() } };
    });
    command.commands.forEach(visit);
  };
  program.commands.forEach(visit);
  program.parse(['node', 'quilkin', ...argv]);
  if (!chosen) throw new Error(`no command ran for ${argv.join(' ')}`);
  return chosen;
}

/** One datagram through the proxy's port to the echo server and back. */
async function echoThrough(row: Row, ports: PortMap): Promise<void> {
  const client = await udpClient();
  try {
    const via = await ports.resolve(row.echo!.via);
    const text = `hello ${row.name}`;
    // Bounded: at most 20 sends, 100 ms apart, until the echo comes back.
    for (let i = 0; i < 20 && client.received.length === 0; i++) {
      client.send(text, via);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      client.received.map((r) => r.data.toString()),
      'echo through the proxy',
    ).to.include(text);
  } finally {
    await client.close();
  }
}

describe('Quilkin v0.9.0 command lines (test/cli/quilkin-v0.9-command-lines.yaml)', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-v09-cli-'))));
  afterEach(async () => {
    await stopAllQuilkin();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every row says what v0.9 does and, where we differ, why', () => {
    for (const row of rows) {
      const same = row.ours === row.v09 || (row.ours === 'parse-only' && row.v09 === 'needs-k8s');
      if (same) expect(row.difference, `${row.name}: a difference where there is none`).to.equal(undefined);
      else expect(row.difference, `${row.name}: ours differs from v0.9 without a reason`).to.be.a('string');
    }
  });

  for (const row of rows) {
    const title = `${row.source}: \`quilkin ${row.command}\` ${row.ours}${row.difference ? ` (v0.9: ${row.v09})` : ''}`;
    it(title, async () => {
      const ports = new PortMap();
      writeFiles(dir, row.files);
      if (row.ours === 'parse-only') {
        // Nothing binds here, so the documented ports stay as written.
        const got = parseOnly(row.command.trim().split(/\s+/));
        expect(got.command).to.equal(row.parsed!.command);
        for (const [key, value] of Object.entries(row.parsed!.values)) expect(got.values[key], key).to.deep.equal(value);
        return;
      }
      for (const spec of row.background ?? []) await start(spec, ports, dir);
      if (row.ours === 'exits' || row.ours === 'usage-error') {
        const argv = await ports.argv(row.command);
        const env = await ports.env(row.env);
        await adminFor(argv, env);
        const result = await runQuilkin(argv, 20000, { env, cwd: dir });
        if (row.ours === 'usage-error') {
          expect(result.code, result.output).to.equal(2);
          const first = result.output.split('\n')[0];
          expect(first).to.match(/^error: /);
          expect(first).to.include(await ports.text(row.error!));
          expect(result.output, 'nothing may bind before the refusal').to.not.match(/listening/);
        } else {
          expect(result.code, result.output).to.equal(row.code ?? 0);
          for (const text of row.output_contains ?? []) expect(result.output).to.include(text);
        }
        return;
      }
      // The game server behind the proxy: the documented endpoint port stands for its socket.
      const server: UdpPeer | undefined = row.echo ? await udpServer('echo') : undefined;
      if (server) ports.bind(row.echo!.server, server.port);
      try {
        const proc = await start(row, ports, dir);
        const live = await proc.get('/live');
        expect(live.status).to.equal(200);
        if (row.ready) {
          let status = 0;
          for (let i = 0; i < 100 && status !== 200; i++) {
            status = (await proc.get('/ready')).status;
            if (status !== 200) await new Promise((r) => setTimeout(r, 100));
          }
          expect(status, '/ready').to.equal(200);
        }
        if (row.echo) await echoThrough(row, ports);
      } finally {
        await server?.close();
      }
    });
  }
});
