// SPDX-License-Identifier: Apache-2.0
// The subjects under test and how each one is started in the proxy namespace, pinned
// to the proxy CPU. A subject that cannot start reports why; the run goes on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SPREAD_SESSIONS, writeChainConfig, type ChainLength, type Workload } from './chains';
import { Daemon, inNs, run } from './proc';
import type { Topology } from './topology';

const ADMIN_ADDRESS = '127.0.0.1:8001';

export interface Running {
  /** Root pid of the subject's processes; null when it lives in the kernel only. */
  pid: number | null;
  /** Facts found at start (e.g. the XDP mode actually attached). */
  note: string;
  /** What the subject itself reported during the runs worth knowing (e.g. refused sessions). */
  summary?(): string;
  /** Throws, saying why, when the subject's process has exited during a measurement. */
  check(): void;
  /** Packets the subject forwarded in the kernel without user space so far (both
   *  directions), for a subject that claims to; every flood checks it grew by what the
   *  sink counted, so a tier-1 figure is never reported as the fast path. */
  fastPathPackets?(): Promise<number>;
  stop(): Promise<void>;
}

export interface Subject {
  id: string;
  label: string;
  /** Where clients send: the proxy's listening address, or the server itself. */
  target(t: Topology): string;
  /** Filter-chain lengths this subject can run (only ours run filters). */
  chains: readonly ChainLength[];
  /** Runs the spread workload (many sessions over many endpoints, chains.ts). */
  spread?: boolean;
  start(env: StartEnv, workload: Workload): Promise<Running>;
}

export interface StartEnv {
  root: string;
  bin: string;
  outDir: string;
  topo: Topology;
}

const proxyTarget = (t: Topology): string => `${t.ip.proxyClient}:${t.ports.proxy}`;
const serverAddr = (t: Topology): string => `${t.ip.server}:${t.ports.echo}`;
const serverOneArmAddr = (t: Topology): string => `${t.ip.serverOneArm}:${t.ports.echo}`;

async function udpBound(t: Topology, port: number): Promise<boolean> {
  const r = await run(inNs(t.ns.proxy, null, ['ss', '-Huln', `sport = :${port}`]), 3000);
  return r.stdout.trim().length > 0;
}

/** XDP attachment of a proxy-namespace interface: "xdp" (native), "xdpgeneric", or "". */
async function xdpMode(t: Topology, dev: string): Promise<string> {
  const r = await run(['ip', '-n', t.ns.proxy, '-d', 'link', 'show', 'dev', dev], 3000);
  const m = /\b(xdpgeneric|xdpdrv|xdpoffload|xdp)\b/.exec(r.stdout);
  return m ? m[1] : '';
}

/** The session port range `proxy xdp` chose, as its admin /config reports it. */
async function sessionPortRange(t: Topology): Promise<{ min: number; max: number }> {
  const r = await run(['ip', 'netns', 'exec', t.ns.proxy, 'curl', '-sf', `http://${ADMIN_ADDRESS}/config`], 3000);
  const m = /"sessionPorts":\s*"(\d+)-(\d+)"/.exec(r.stdout);
  if (!m) throw new Error(`no sessionPorts in the proxy's /config: ${r.stdout.slice(0, 200)} ${r.stderr}`);
  return { min: Number(m[1]), max: Number(m[2]) };
}

/** IDs of the XDP programs attached to the proxy namespace's interfaces (for bpf_stats). */
export async function attachedXdpProgs(t: Topology): Promise<number[]> {
  const ids: number[] = [];
  for (const dev of [t.dev.proxyClient, t.dev.proxyServer]) {
    const r = await run(['ip', '-n', t.ns.proxy, '-j', '-d', 'link', 'show', 'dev', dev], 3000);
    for (const m of r.stdout.matchAll(/"prog":\{[^}]*?"id":(\d+)/g)) ids.push(Number(m[1]));
  }
  return [...new Set(ids)];
}

async function adminGet(t: Topology, what: string): Promise<string> {
  const r = await run(['ip', 'netns', 'exec', t.ns.proxy, 'curl', '-sf', `http://${ADMIN_ADDRESS}${what}`], 3000);
  if (r.code !== 0) throw new Error(`GET ${what} from the proxy's admin failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Sum of one Prometheus counter over all its label sets. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

function daemonRunning(d: Daemon, note: string): Running {
  return { pid: d.pid, note, check: () => d.check(), stop: () => d.stop(1000) };
}

const kernel: Subject = {
  id: 'kernel',
  label: 'kernel IP forwarding',
  target: serverAddr,
  chains: [0],
  async start() {
    return { pid: null, note: 'routing in the proxy namespace (ip_forward=1), RPS to the proxy CPU', check: () => undefined, stop: async () => {} };
  },
};

function nginxConf(env: StartEnv, workers: number, dir: string): string {
  const t = env.topo;
  return `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes ${workers};
worker_rlimit_nofile 19000;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 18000; }
stream {
  server {
    listen ${proxyTarget(t)} udp reuseport;
    proxy_pass ${serverAddr(t)};
    proxy_timeout 60s;
  }
}
`;
}

function countAlerts(log: string): number {
  if (!fs.existsSync(log)) return 0;
  return fs.readFileSync(log, 'utf8').split('worker_connections are not enough').length - 1;
}

function hardNofile(): string {
  const m = /Max open files\s+\d+\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return m ? m[1] : 'unknown';
}

function nginx(workers: number): Subject {
  return {
    id: `nginx-${workers}w`,
    label: `nginx stream, ${workers} worker${workers > 1 ? 's' : ''}`,
    target: proxyTarget,
    chains: [0],
    async start(env) {
      const dir = path.join(env.outDir, `nginx-${workers}w`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(env, workers, dir));
      const d = new Daemon('nginx', inNs(env.topo.ns.proxy, env.topo.cpu.proxy, ['nginx', '-p', dir, '-c', path.join(dir, 'nginx.conf')]));
      await d.waitFor(() => udpBound(env.topo, env.topo.ports.proxy), 5000);
      const log = path.join(dir, 'error.log');
      const alertsBefore = countAlerts(log);
      return {
        ...daemonRunning(d, `${workers} worker(s) pinned with the master to the proxy CPU`),
        summary: () => {
          const n = countAlerts(log) - alertsBefore;
          return n
            ? `nginx logged ${n} "worker_connections are not enough" alerts: each UDP session holds a socket, and this box's hard RLIMIT_NOFILE of ${hardNofile()} caps worker_connections below 100k sessions`
            : '';
        },
      };
    },
  };
}

function cliPath(env: StartEnv): string {
  const main = path.join(env.root, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${path.relative(env.root, main)} is not built (the proxy CLI does not exist yet)`);
  return main;
}

/** Global CLI options for our proxy subjects: the chain's config file, admin on loopback. */
function globalArgs(env: StartEnv, workload: Workload, endpoint: string): string[] {
  const t = env.topo;
  const dir = path.join(env.outDir, endpoint.replace(/[.:]/g, '_'));
  const file = writeChainConfig(dir, workload, endpoint, `${t.ip.proxyClient}/24`, `${endpoint.split(':')[0]}/32`);
  return ['-c', file, '--admin-address', ADMIN_ADDRESS];
}

/** The spread run's sessions fit under --max-sessions with room (its default is exactly 100000). */
const SPREAD_MAX_SESSIONS = String(SPREAD_SESSIONS * 2);

/** The proxy falls back to another backend, visibly, when the one asked for cannot run;
 *  measuring the fallback under the wrong name would be a false claim. */
async function refuseFallback(d: Daemon, wanted: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 200)); // the start-up line follows the bind
  const m = /"backend":"(\w+)"(?:,"fallbacks":\[([^\]]*)\])?/.exec(d.output);
  if (m && m[1] !== wanted) {
    await d.stop();
    throw new Error(`asked for the ${wanted} backend, the proxy fell back to ${m[1]}: ${m[2] ?? 'no reason logged'}`);
  }
}

function ours(backend: 'js' | 'socket'): Subject {
  return {
    id: backend,
    label: `ours, ${backend} backend`,
    target: proxyTarget,
    chains: [0, 3, 8],
    async start(env, chain) {
      const argv = [
        'node',
        cliPath(env),
        ...globalArgs(env, chain, serverAddr(env.topo)),
        'proxy',
        '--port',
        String(env.topo.ports.proxy),
        '--backend',
        backend,
        '--workers',
        '1',
      ];
      const d = new Daemon(`proxy --backend ${backend}`, inNs(env.topo.ns.proxy, env.topo.cpu.proxy, argv));
      await d.waitFor(() => udpBound(env.topo, env.topo.ports.proxy), 10000);
      await refuseFallback(d, backend);
      return daemonRunning(d, 'one worker, pinned to the proxy CPU');
    },
  };
}

/** The proxy's switch for the XDP attach mode (data-plane/backends/xdp: auto, native or
 *  generic); the CLI has no option for it. */
const ATTACH_MODE_ENV = 'QUILKIN_XDP_ATTACH_MODE';

/** `proxy xdp`, one worker. fast: the in-kernel fast path on (DESIGN tier 2: established
 *  sessions forwarded by the XDP program itself); otherwise `--xdp.fast-path off`, which
 *  measures tier 1 (every packet through the AF_XDP worker). */
function oursXdp(mode: 'generic' | 'native', fast = false): Subject {
  return {
    id: fast ? 'xdp-fast' : `xdp-${mode}`,
    label: fast ? `ours, proxy xdp (${mode}, fast path)` : `ours, proxy xdp (${mode}, fast path off)`,
    target: proxyTarget,
    // The 8-filter chain does not lower into the kernel (Firewall, Concatenate, LocalRateLimit).
    chains: fast ? [0, 3] : [0, 3, 8],
    spread: mode === 'native',
    async start(env, chain) {
      const t = env.topo;
      // One-armed: the endpoint sits on the attached interface's segment (see netns.sh).
      const argv = [
        'node',
        cliPath(env),
        ...globalArgs(env, chain, serverOneArmAddr(t)),
        'proxy',
        'xdp',
        '--port',
        String(t.ports.proxy),
        '--xdp.force',
        '--workers',
        '1',
        '--xdp.interface',
        t.dev.proxyClient,
        '--xdp.fast-path',
        fast ? 'auto' : 'off',
        ...(chain === 'spread' ? ['--max-sessions', SPREAD_MAX_SESSIONS] : []),
      ];
      const name = `proxy xdp (${mode}${fast ? ', fast path' : ''})`;
      const d = new Daemon(name, inNs(t.ns.proxy, t.cpu.proxy, argv), { [ATTACH_MODE_ENV]: mode });
      // Any failure past this point stops the proxy: one left running would hold the
      // interface and be measured under the next subject's name.
      try {
        // The program attaches before the admin server listens: wait for both.
        await d.waitFor(async () => (await xdpMode(t, t.dev.proxyClient)) !== '' && (await adminGet(t, '/config').catch(() => '')) !== '', 10000);
        const attached = await xdpMode(t, t.dev.proxyClient);
        const wanted = mode === 'generic' ? ['xdpgeneric'] : ['xdp', 'xdpdrv'];
        if (!wanted.includes(attached)) {
          throw new Error(`wanted ${mode} XDP on ${t.dev.proxyClient} (${ATTACH_MODE_ENV}=${mode}) but the proxy attached "${attached}"`);
        }
        // Each session towards one endpoint holds its own proxy source port (as in Quilkin's XDP path).
        const ports = await sessionPortRange(t);
        const limits = `session ports ${ports.min}-${ports.max}, so at most ${ports.max - ports.min + 1} sessions towards one endpoint: new clients beyond that are refused and counted (docs/xdp.md)${chain === 'spread' ? `; --max-sessions ${SPREAD_MAX_SESSIONS}` : ''}`;
        if (!fast) return daemonRunning(d, `${attached} on ${t.dev.proxyClient}, --xdp.fast-path off; ${limits}`);
        // The chain must have lowered: otherwise this would be tier 1 under the fast path's name.
        const config = await adminGet(t, '/config');
        const tier = /"fastPath":\s*\{\s*"tier":\s*"([^"]+)"(?:,\s*"reason":\s*"([^"]*)")?/.exec(config);
        if (!tier || tier[1] !== 'kernel') {
          throw new Error(`the fast path is not on with ${chain} filters: /config says tier ${tier?.[1] ?? '?'} (${tier?.[2] ?? 'no reason'})`);
        }
        const running = daemonRunning(
          d,
          `${attached} on ${t.dev.proxyClient}, --xdp.fast-path auto (tier kernel: checked in /config, and every flood and echo run checks quilkin_xdp_fast_path_packets_total grew by what was delivered); ${limits}`,
        );
        return { ...running, fastPathPackets: async () => metricSum(await adminGet(t, '/metrics'), 'quilkin_xdp_fast_path_packets_total') };
      } catch (err) {
        await d.stop();
        throw err;
      }
    },
  };
}

const ceiling: Subject = {
  id: 'xdp-ceiling',
  label: 'XDP ceiling (bench/bpf/xdp_fwd, native)',
  target: proxyTarget,
  chains: [0],
  async start(env) {
    const t = env.topo;
    const argv = [
      path.join(env.bin, 'xdp_fwd'),
      t.dev.proxyClient,
      t.mac.client,
      t.dev.proxyServer,
      t.mac.server,
      proxyTarget(t),
      t.ip.proxyServer,
      serverAddr(t),
      'native',
    ];
    const d = new Daemon('xdp_fwd', inNs(t.ns.proxy, t.cpu.proxy, argv));
    await d.waitFor(() => d.printed('"ready":true'), 5000);
    // The loader only holds the attachment; the forwarding is all softirq work.
    return { pid: null, note: `native XDP redirect between ${t.dev.proxyClient} and ${t.dev.proxyServer}`, check: () => d.check(), stop: () => d.stop() };
  },
};

export const SUBJECTS: readonly Subject[] = [
  kernel,
  nginx(1),
  nginx(2),
  ours('js'),
  ours('socket'),
  oursXdp('generic'),
  oursXdp('native'),
  oursXdp('native', true),
  ceiling,
];

/** Subjects whose work is not a process of their own: CPU is the kernel's softirq time. */
export function inKernelOnly(id: string): boolean {
  return id === 'kernel' || id === 'xdp-ceiling';
}
