// SPDX-License-Identifier: Apache-2.0
// One benchmark run from start to finish: topology up, echo server and sink up, every
// subject measured in turn, results written, everything torn down (also on failure
// and on SIGINT/SIGTERM).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { restoreBpfStats } from './bpfstats';
import { SPREAD_ENDPOINTS } from './chains';
import { Daemon, LineClient, inNs, run } from './proc';
import { writeReport } from './report';
import { Sinks } from './sinks';
import { measureSubject, type Profile, type SubjectResult } from './runner';
import { SUBJECTS } from './subjects';
import * as topology from './topology';

export interface BenchOptions {
  root: string;
  profile: Profile;
  prefix: string;
  octet: number;
  outDir: string;
  docs: string | null;
  command: string;
}

export interface BenchMeta {
  date: string;
  kernel: string;
  cpuModel: string;
  cpus: number;
  command: string;
  profile: Profile;
  loadAverage: { start: string; end: string };
  seconds: number;
}

export interface BenchResults {
  meta: BenchMeta;
  subjects: SubjectResult[];
}

function cpuModel(): string {
  const m = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  return m ? m[1].trim() : 'unknown';
}

async function build(root: string): Promise<void> {
  const r = await run(['bash', path.join(root, 'bench', 'build.sh')], 120000);
  if (r.code !== 0) throw new Error(`bench/build.sh failed: ${r.stderr.trim()}`);
}

async function lineDaemon(name: string, argv: string[], daemons: Daemon[]): Promise<LineClient> {
  const d = new Daemon(name, argv);
  daemons.push(d);
  const client = new LineClient(d);
  const first = await client.next(15000).catch(() => '');
  if (!first.includes('"ready":true')) throw new Error(`${name} did not start: ${d.recentOutput()}`);
  return client;
}

async function startFixtures(bin: string, t: topology.Topology, daemons: Daemon[]): Promise<{ sinks: Sinks; gen: LineClient }> {
  const echo = new Daemon('udpecho', inNs(t.ns.server, t.cpu.load, [path.join(bin, 'udpecho'), '--bind', `0.0.0.0:${t.ports.echo}`, '--duration', '900']));
  daemons.push(echo);
  await echo.waitFor(() => echo.printed('ready'), 5000);
  // Every port an endpoint of the spread run may have (chains.ts), the one endpoint's first.
  const ports = `${t.ports.echo}-${t.ports.echo + SPREAD_ENDPOINTS - 1}`;
  const sinkArgv = [path.join(bin, 'xdp_sink'), ports, 'native', t.dev.server, t.dev.serverOneArm];
  const serverSink = await lineDaemon('xdp_sink', inNs(t.ns.server, t.cpu.load, sinkArgv), daemons);
  // Where a one-armed proxy's forwarded packets arrive first (see sinks.ts).
  const clientSinkArgv = [path.join(bin, 'xdp_sink'), ports, 'native', t.dev.client];
  const clientSink = await lineDaemon('xdp_sink (client link)', inNs(t.ns.client, t.cpu.load, clientSinkArgv), daemons);
  const gen = await lineDaemon('xdp_gen', inNs(t.ns.client, t.cpu.load, [path.join(bin, 'xdp_gen'), '--serve']), daemons);
  return { sinks: new Sinks([serverSink, clientSink]), gen };
}

/** BPF_PROG_RUN with live frames (the generator) ends every call with an RCU grace
 *  period; on kernels with lazy RCU that is a ~20 ms sleep per call, which capped the
 *  generator near 300k pps with its CPU mostly idle. Expedited grace periods (global,
 *  put back on exit) end that wait without changing what is measured. */
const RCU_EXPEDITED = '/sys/kernel/rcu_expedited';

function expediteRcu(): () => void {
  let before: string;
  try {
    before = fs.readFileSync(RCU_EXPEDITED, 'utf8').trim();
    fs.writeFileSync(RCU_EXPEDITED, '1');
  } catch {
    return () => undefined;
  }
  return () => fs.writeFileSync(RCU_EXPEDITED, before);
}

/** The bounds of the box (kernel, XDP ceiling) first, so a run cut short by its time
 *  budget still has them; the slowest subject last. Reports keep SUBJECTS order. */
const RUN_ORDER = ['kernel', 'xdp-ceiling', 'xdp-fast', 'nginx-1w', 'socket', 'xdp-native', 'nginx-2w', 'xdp-generic', 'js'];

function runOrder(ids: string[]): typeof SUBJECTS {
  const rank = (id: string): number => (RUN_ORDER.includes(id) ? RUN_ORDER.indexOf(id) : RUN_ORDER.length);
  return SUBJECTS.filter((s) => ids.includes(s.id)).sort((a, b) => rank(a.id) - rank(b.id));
}

function reportOrder(results: SubjectResult[]): SubjectResult[] {
  const rank = (id: string): number => SUBJECTS.findIndex((s) => s.id === id);
  return [...results].sort((a, b) => rank(a.id) - rank(b.id));
}

/** Every subject starts with no XDP program on the proxy's interfaces: one left behind
 *  by the previous subject would forward in its place and be measured under its name. */
async function clearProxyXdp(t: topology.Topology, log: (line: string) => void): Promise<void> {
  for (const dev of [t.dev.proxyClient, t.dev.proxyServer]) {
    const shown = await run(['ip', '-n', t.ns.proxy, '-d', 'link', 'show', 'dev', dev], 5000);
    if (!/\bprog\/xdp|xdpgeneric|xdpdrv|\bxdp\b/.test(shown.stdout)) continue;
    log(`${dev}: an XDP program was left attached by the previous subject; detaching it`);
    for (const mode of ['xdpgeneric', 'xdpdrv']) await run(['ip', '-n', t.ns.proxy, 'link', 'set', 'dev', dev, mode, 'off'], 5000);
  }
}

export async function runBench(opts: BenchOptions, log: (line: string) => void): Promise<string> {
  const started = Date.now();
  const bin = path.join(opts.root, 'bench', 'bin');
  const outDir = path.join(opts.root, 'bench', 'out', opts.prefix);
  const t = topology.describe(opts.prefix, opts.octet, 0, 1);
  const daemons: Daemon[] = [];
  const restoreRcu = expediteRcu();
  const cleanup = async (): Promise<void> => {
    restoreBpfStats();
    restoreRcu();
    for (const d of daemons.reverse()) await d.stop().catch(() => undefined);
    await topology.down(opts.root, t, opts.octet);
  };
  const onSignal = (): void => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const loadStart = fs.readFileSync('/proc/loadavg', 'utf8').trim();
  const subjects: SubjectResult[] = [];
  try {
    await build(opts.root);
    await topology.up(opts.root, t, opts.octet);
    const { sinks, gen } = await startFixtures(bin, t, daemons);
    const m = { bin, topo: t, sinks, gen };
    for (const s of runOrder(opts.profile.subjects)) {
      // A subject with filter chains restarts once or twice more; each start adds a cost
      // flood, and the latency run comes once per subject.
      const expected =
        (s.chains.length > 1 ? 12 * s.chains.length : 12) +
        s.chains.length * (opts.profile.costSeconds + 1) +
        opts.profile.latencySeconds * opts.profile.latencyReps +
        (s.spread && opts.profile.spread ? 20 : 0);
      if ((Date.now() - started) / 1000 + expected > opts.profile.budgetSeconds) {
        const reason = `skipped: it would not have finished within the run's ${opts.profile.budgetSeconds} s budget`;
        subjects.push({ id: s.id, label: s.label, available: false, reason, sessions: {}, chains: {}, phaseSeconds: {} });
        log(`${s.id}: ${reason}`);
        continue;
      }
      await clearProxyXdp(t, log);
      log(`${s.id}: measuring`);
      const t0 = Date.now();
      subjects.push(await measureSubject(m, { root: opts.root, bin, outDir, topo: t }, s, opts.profile, log));
      log(`${s.id}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const results: BenchResults = {
    meta: {
      date: new Date().toISOString(),
      kernel: os.release(),
      cpuModel: cpuModel(),
      cpus: os.cpus().length,
      command: opts.command,
      profile: opts.profile,
      loadAverage: { start: loadStart, end: fs.readFileSync('/proc/loadavg', 'utf8').trim() },
      seconds: Math.round((Date.now() - started) / 1000),
    },
    subjects: reportOrder(subjects),
  };
  return writeReport(results, opts.outDir, opts.docs);
}
