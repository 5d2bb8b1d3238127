// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the `proxy xdp` netns tests: a client, a proxy and a server namespace on one
// bridge (the proxy's one interface sees both sides), the proxy run with the real CLI inside its
// namespace, UDP peers as child processes, and admin reads over TCP from the client namespace
// (which also proves TCP still crosses the XDP interface).
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EMBARK_FILTERS_YAML } from '../../config/embark-chain';
import { Star } from '../support/netns';
import { repoRoot } from '../support/repo';

export const LISTEN_PORT = 7777;
export const QCMP_PORT = 7600;
export const ADMIN_PORT = 8000;
export const SERVER_PORTS = [9001, 9002] as const;
export const TOKENS = ['aaa', 'bbb'] as const;
export const VERSION_BYTE = '\x01';

export function cli(): string {
  return path.join(repoRoot(), 'dist', 'cli', 'main.js');
}

function peerCli(): string {
  return path.join(repoRoot(), 'dist', 'test', 'support', 'udp-peer-cli.js');
}

export function topology(subnet: number, queues = 1): Star {
  return new Star({ prefix: 'qkxdp', hosts: ['cli', 'prx', 'srv'], subnet: [77, subnet], txChecksumOff: true, queues }).create();
}

/** The Embark chain: version byte and 3-byte token captured from the end (removed), then TokenRouter. */
export function embarkConfig(endpoints: ReadonlyArray<{ address: string; token: string }>, extraFilter = ''): string {
  const eps = endpoints
    .map(
      (e) => `      - address: "${e.address}"\n        metadata:\n          quilkin.dev:\n            tokens: ["${Buffer.from(e.token).toString('base64')}"]\n`,
    )
    .join('');
  return `version: v1alpha1
clusters:
  - endpoints:
${eps}filters:
${extraFilter}${EMBARK_FILTERS_YAML}`;
}

export function defaultEndpoints(star: Star): Array<{ address: string; token: string }> {
  const srv = star.host('srv');
  return [
    { address: `${srv.ipv4}:${SERVER_PORTS[0]}`, token: TOKENS[0] },
    { address: `[${srv.ipv6}]:${SERVER_PORTS[1]}`, token: TOKENS[1] },
  ];
}

export function writeConfig(yaml: string, file?: string): string {
  let target = file;
  if (!target) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qkxdp-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    target = path.join(dir, 'quilkin.yaml');
  }
  // Write then rename, so the watcher never reads a half-written file.
  fs.writeFileSync(`${target}.tmp`, yaml);
  fs.renameSync(`${target}.tmp`, target);
  return target;
}

export interface Proxy {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ProxyOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** What runs the CLI (default: this node and dist/cli/main.js of the checkout). */
  command?: readonly string[];
  /**
   * --xdp.fast-path (default 'off': these suites test the AF_XDP workers, tier 1, which serve
   * every chain the kernel cannot; xdp-fast-path.test.ts tests the kernel tier with 'auto').
   */
  fastPath?: 'auto' | 'off';
}

export function startProxy(star: Star, config: string, options: ProxyOptions = {}): Proxy {
  const dev = star.host('prx').dev;
  const child = star.spawn(
    'prx',
    [
      ...(options.command ?? [process.execPath, cli()]),
      '--admin-address',
      `0.0.0.0:${ADMIN_PORT}`,
      '--log-format',
      'json',
      // An empty config: the proxy takes its config from --management-server (in args).
      ...(config ? ['-c', config] : []),
      'proxy',
      'xdp',
      '--xdp.interface',
      dev,
      '-p',
      String(LISTEN_PORT),
      '-q',
      String(QCMP_PORT),
      '--xdp.fast-path',
      options.fastPath ?? 'off',
      ...(options.args ?? []),
    ],
    options.env,
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const proxy: Proxy = {
    child,
    output: () => out,
    exited,
    waitFor: async (text, timeoutMs = 20000) => {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (child.exitCode !== null) throw new Error(`proxy exited (${child.exitCode}) before "${text}":\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}":\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      return child.exitCode;
    },
  };
  return proxy;
}

/** GET on the admin server from the client namespace (TCP through the proxy's XDP interface). */
/** Starts `proxy xdp` and waits until it is ready. A fallback to another backend is an error
 *  carrying the proxy's output (and the fallen-back proxy is stopped). */
export async function startXdpProxy(star: Star, config: string, options: ProxyOptions = {}): Promise<Proxy> {
  const proxy = startProxy(star, config, options);
  await proxy.waitFor('Quilkin is ready');
  if (!proxy.output().includes('"xdp backend started"')) {
    await proxy.stop();
    throw new Error(`proxy xdp fell back:\n${proxy.output()}`);
  }
  return proxy;
}

/** For a suite's `after` hook: stops the proxy, then removes the namespaces even if that failed. */
export async function teardown(proxy: Proxy | undefined, star: Star | undefined): Promise<void> {
  try {
    await proxy?.stop();
  } finally {
    star?.destroy();
  }
}

export function adminGet(star: Star, pathname: string): string {
  return star.exec('cli', ['curl', '-sS', '--fail', '--max-time', '5', `http://${star.host('prx').ipv4}:${ADMIN_PORT}${pathname}`]);
}

export interface ServerRecord {
  port: number;
  from: string;
  text: string;
}

export class Servers {
  readonly received: ServerRecord[] = [];
  private readonly child: ChildProcess;
  private listening = 0;

  constructor(
    star: Star,
    lifetimeMs = 120000,
    host = 'srv',
    private readonly ports: readonly number[] = SERVER_PORTS,
    /** Echo only datagrams containing this text (the rest are recorded, never answered). */
    echoOnly?: string,
  ) {
    this.child = star.spawn(host, [process.execPath, peerCli(), 'server', '::', ports.join(','), String(lifetimeMs), ...(echoOnly ? [echoOnly] : [])]);
    let buf = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const rec = JSON.parse(buf.slice(0, nl)) as ServerRecord & { listening?: number };
        buf = buf.slice(nl + 1);
        if (rec.listening) this.listening++;
        else this.received.push(rec);
      }
    });
  }

  async ready(): Promise<void> {
    for (let i = 0; i < 100 && this.listening < this.ports.length; i++) await new Promise((r) => setTimeout(r, 50));
    if (this.listening < this.ports.length) throw new Error('UDP servers did not start');
  }

  on(port: number): string[] {
    return this.received.filter((r) => r.port === port).map((r) => r.text);
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

export interface ClientRun {
  sent: number;
  replies: string[];
}

/**
 * Sends COUNT rounds of the payloads (each prefixed "<round>:") and collects replies. cpu pins the
 * client to one CPU: over veth the proxy's XDP program then runs on that CPU too.
 */
export function runClient(star: Star, target: string, count: number, intervalMs: number, payloads: string[], waitMs = 1500, cpu?: number): Promise<ClientRun> {
  const hex = payloads.map((p) => Buffer.from(p, 'latin1').toString('hex'));
  const child = star.spawn('cli', [
    ...(cpu === undefined ? [] : ['taskset', '-c', String(cpu)]),
    process.execPath,
    peerCli(),
    'client',
    target,
    String(LISTEN_PORT),
    String(count),
    String(intervalMs),
    String(waitMs),
    ...hex,
  ]);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const limit = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new Error(`client did not finish:\n${out}`));
      },
      count * intervalMs + waitMs + 15000,
    );
    child.once('close', () => {
      clearTimeout(limit);
      const run: ClientRun = { sent: 0, replies: [] };
      for (const line of out.split('\n').filter(Boolean)) {
        const rec = JSON.parse(line) as { reply?: boolean; text?: string; done?: boolean; sent?: number };
        if (rec.reply) run.replies.push(rec.text ?? '');
        if (rec.done) run.sent = rec.sent ?? 0;
      }
      resolve(run);
    });
  });
}

/** `payload + token + version`, the format the Embark chain expects. */
export function embarkPayload(body: string, token: string): string {
  return `${body}${token}${VERSION_BYTE}`;
}

/** The XDP attachment of the proxy's interface (`ip -j link`), or undefined when none. */
export function xdpAttachment(star: Star): { mode?: number; prog?: { id?: number } } | undefined {
  const dev = star.host('prx').dev;
  const [link] = JSON.parse(star.exec('prx', ['ip', '-j', '-d', 'link', 'show', 'dev', dev])) as Array<{ xdp?: { mode?: number; prog?: { id?: number } } }>;
  return link?.xdp;
}
