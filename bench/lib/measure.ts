// SPDX-License-Identifier: Apache-2.0
// One measurement each: a flood (in-kernel generator -> subject -> counting XDP sink,
// one way), an echo run (socket generator <-> echo server, closed loop, both ways),
// and a latency run (socket generator at a fixed moderate rate).
import * as path from 'node:path';
import { bpfUse, enableBpfStats, progStats, restoreBpfStats, type BpfUse } from './bpfstats';
import { TOKEN, VERSION_BYTE } from './chains';
import { cpuUse, readCpuTimes, round, type CpuUse } from './cpu';
import { inNs, runJson, sleep, treeCpuSeconds, treeRssMiB, type LineClient } from './proc';
import type { Sinks } from './sinks';
import type { Topology } from './topology';

export interface MeasureEnv {
  bin: string;
  topo: Topology;
  sinks: Sinks;
  /** The in-kernel generator, loaded once (`xdp_gen --serve`), one run per request. */
  gen: LineClient;
  /** The subject's in-kernel fast-path packet counter, when it claims one (see Running). */
  fastPath?: () => Promise<number>;
}

export interface Load {
  target: string;
  sessions: number;
  format: 'none' | 'embark';
  seconds: number;
}

export interface FloodResult {
  offered: number; // frames the generator built
  delivered: number; // frames the sink counted
  offeredPps: number;
  deliveredPps: number;
  loss: number; // share of offered packets that never reached the sink
  cpuSeconds: number; // subject process CPU + softirq on every CPU
  procShare: number | null; // subject process CPU time / wall time (it is pinned to the proxy CPU)
  cpuSecPerMpkt: number | null;
  rssMiB: number | null;
  cpu: CpuUse;
  /** Growth of the subject's fast-path counter over the run (both directions); null: none. */
  fastPathPackets?: number | null;
}

/** A fast path that carried less than this share of what the sink counted fails the flood. */
const FAST_PATH_MIN_SHARE = 0.95;

interface GenReport {
  sent: number;
  duration_s: number;
}

function genRequest(env: MeasureEnv, load: Load, rate: number): string {
  const t = env.topo;
  return [
    '--ifname',
    t.dev.client,
    '--dst-mac',
    t.mac.proxyClient,
    '--src',
    t.ip.client[0],
    '--dst',
    load.target,
    '--sessions',
    String(load.sessions),
    '--format',
    load.format,
    '--token',
    TOKEN,
    '--version-byte',
    String(VERSION_BYTE),
    '--rate',
    String(rate),
    '--duration',
    String(load.seconds),
  ].join(' ');
}

function generate(env: MeasureEnv, load: Load, rate: number): Promise<GenReport> {
  return env.gen.ask<GenReport>(genRequest(env, load, rate), load.seconds * 1000 + 10000);
}

/** Touches every session once at a rate most subjects can take, so the measured run
 *  starts with all sessions established. Bounded: at most 1 s. */
export async function warmSessions(env: MeasureEnv, load: Load): Promise<void> {
  if (load.sessions <= 1) return;
  const seconds = Math.min(1, Math.max(0.05, load.sessions / 100000));
  await generate(env, { ...load, seconds }, Math.ceil(load.sessions / seconds));
  await sleep(300); // let the warm-up backlog drain before the measured run reads the sink
}

/** One flood run; rate 0 = flat out, else the generator is paced to `rate` pps. */
/** Waits until the sink count stops moving (a slow subject may still be draining its
 *  queues from the previous run), at most 200 ms; returns the settled count. */
async function settledSinkCount(env: MeasureEnv): Promise<number> {
  let last = await env.sinks.count();
  for (let waited = 0; waited < 200; waited += 40) {
    await sleep(40);
    const now = await env.sinks.count();
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** One flood run; rate 0 = flat out, else the generator is paced to `rate` pps. */
export async function flood(env: MeasureEnv, load: Load, pid: number | null, rate = 0): Promise<FloodResult> {
  const before = await settledSinkCount(env);
  const fast0 = env.fastPath ? await env.fastPath() : null;
  const cpu0 = readCpuTimes();
  const t0 = process.hrtime.bigint();
  const proc0 = pid === null ? 0 : treeCpuSeconds(pid);
  const gen = await generate(env, load, rate);
  const after = await settledSinkCount(env);
  const proc1 = pid === null ? 0 : treeCpuSeconds(pid);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuUse(cpu0, readCpuTimes(), wall);
  const delivered = after - before;
  const cpuSeconds = proc1 - proc0 + cpu.softirqSeconds;
  const fastPathPackets = env.fastPath && fast0 !== null ? (await env.fastPath()) - fast0 : null;
  if (fastPathPackets !== null && fastPathPackets < FAST_PATH_MIN_SHARE * delivered) {
    throw new Error(
      `not the fast path: the sink counted ${delivered} packets but quilkin_xdp_fast_path_packets_total grew by ${fastPathPackets} (the AF_XDP workers carried the rest); no figure is kept`,
    );
  }
  return {
    offered: gen.sent,
    delivered,
    offeredPps: Math.round(gen.sent / gen.duration_s),
    deliveredPps: Math.round(delivered / gen.duration_s),
    loss: gen.sent > 0 ? round(Math.max(0, 1 - delivered / gen.sent), 4) : 1,
    cpuSeconds: round(cpuSeconds, 3),
    cpuSecPerMpkt: delivered > 0 ? round(cpuSeconds / (delivered / 1e6), 3) : null,
    procShare: pid === null ? null : round((proc1 - proc0) / wall, 2),
    rssMiB: pid === null ? null : round(treeRssMiB(pid), 1),
    cpu,
    fastPathPackets,
  };
}

export interface CostResult extends FloodResult {
  seconds: number;
  /** The subject's XDP programs (on the proxy's interfaces) by kernel.bpf_stats_enabled. */
  bpf: BpfUse | null;
  /** bpf run time / delivered packets, in ns. */
  bpfNsPerPacket: number | null;
  /** The subject's process CPU / delivered packets, in ns. */
  procNsPerPacket: number | null;
}

/** One long flood for per-packet cost: process CPU over seconds, not ticks, and the run
 *  time of the XDP programs attached in the proxy namespace with bpf_stats on (put back
 *  to its previous value afterwards). */
export async function costFlood(env: MeasureEnv, load: Load, pid: number | null, rate: number, progs: () => Promise<number[]>): Promise<CostResult> {
  const ids = await progs();
  enableBpfStats();
  try {
    const before = await progStats(ids);
    const proc0 = pid === null ? 0 : treeCpuSeconds(pid);
    const r = await flood(env, load, pid, rate);
    const proc1 = pid === null ? 0 : treeCpuSeconds(pid);
    const bpf = ids.length ? bpfUse(before, await progStats(ids)) : null;
    const per = (x: number): number | null => (r.delivered > 0 ? round((x / r.delivered) * 1e9, 1) : null);
    return {
      ...r,
      seconds: load.seconds,
      bpf,
      bpfNsPerPacket: bpf ? per(bpf.ns / 1e9) : null,
      procNsPerPacket: pid === null ? null : per(proc1 - proc0),
    };
  } finally {
    restoreBpfStats();
  }
}

export interface EchoResult {
  sent: number;
  received: number;
  rxPps: number;
  loss: number;
  rttUs: { p50: number; p99: number; p999: number; samples: number };
}

interface UdpgenReport {
  sent: number;
  received: number;
  rx_pps: number;
  rtt_us: { p50: number; p99: number; p999: number; samples: number };
}

/** rate 0: closed loop flat out (64 in flight); rate > 0: paced, for latency. */
export async function echo(env: MeasureEnv, load: Load, rate: number): Promise<EchoResult> {
  const t = env.topo;
  const argv = inNs(t.ns.client, t.cpu.load, [
    path.join(env.bin, 'udpgen'),
    '--dst',
    load.target,
    '--src',
    t.ip.client[0],
    '--sessions',
    String(load.sessions),
    '--format',
    load.format,
    '--token',
    TOKEN,
    '--version-byte',
    String(VERSION_BYTE),
    '--duration',
    String(load.seconds),
    '--drain-ms',
    '60',
    ...(rate > 0 ? ['--rate', String(rate)] : ['--window', '64']),
  ]);
  const r = await runJson<UdpgenReport>(argv, load.seconds * 1000 + 10000);
  return {
    sent: r.sent,
    received: r.received,
    rxPps: Math.round(r.rx_pps),
    loss: r.sent > 0 ? round(1 - r.received / r.sent, 4) : 1,
    rttUs: r.rtt_us,
  };
}

const KNEE_LOSS = 0.02;
const MIN_RATE = 2000;

export interface Knee {
  /** Offered rate at which the subject delivered most; null = flat out. */
  ratePps: number | null;
  steps: { offeredPps: number; deliveredPps: number; loss: number }[];
  /** The first step: flat out, far above what a socket-based subject can take; the
   *  median (by delivered pps) of `reps` runs, all of which are kept in overloadRuns. */
  overload: FloodResult;
  overloadRuns: FloodResult[];
}

/** Finds the offered rate at which a subject delivers most: flat out first; while that
 *  loses more than 2 %, halve the offered rate (a socket-based proxy often delivers
 *  more when offered less: receive livelock), then try once halfway back up. The rate
 *  of the step that delivered most wins, which stays sound on a noisy machine. */
export async function findKnee(env: MeasureEnv, load: Load, pid: number | null, reps: number, fixedRate?: number): Promise<Knee> {
  const overloadRuns: FloodResult[] = [];
  for (let i = 0; i < reps; i++) overloadRuns.push(await flood(env, load, pid, 0));
  const overload = [...overloadRuns].sort((a, b) => a.deliveredPps - b.deliveredPps)[Math.floor(reps / 2)];
  const steps: { rate: number | null; r: FloodResult }[] = [{ rate: null, r: overload }];
  if (fixedRate) {
    // Asked for one offered rate (--rate): no search, every flood runs at it.
    const r = await flood(env, load, pid, fixedRate);
    return {
      ratePps: fixedRate,
      steps: [overload, r].map((x) => ({ offeredPps: x.offeredPps, deliveredPps: x.deliveredPps, loss: x.loss })),
      overload,
      overloadRuns,
    };
  }
  const ok = (r: FloodResult): boolean => r.loss <= KNEE_LOSS;
  let bad = overload.offeredPps;
  let good = 0;
  if (!ok(overload)) {
    // What it delivered under overload bounds where to start: livelock costs a socket
    // proxy rarely more than 8x, so higher rates would only repeat the overload step.
    const first = Math.floor(Math.min(bad / 2, Math.max(MIN_RATE, overload.deliveredPps * 8)));
    for (let rate = first; rate >= MIN_RATE && !good; rate = Math.floor(rate / 2)) {
      const r = await flood(env, load, pid, rate);
      steps.push({ rate, r });
      if (ok(r)) good = rate;
      else bad = rate;
    }
    if (good) {
      const mid = Math.floor(Math.sqrt(good * bad));
      steps.push({ rate: mid, r: await flood(env, load, pid, mid) });
    }
  }
  const best = steps.reduce((a, b) => (b.r.deliveredPps > a.r.deliveredPps ? b : a));
  return {
    ratePps: best.rate,
    steps: steps.map(({ r }) => ({ offeredPps: r.offeredPps, deliveredPps: r.deliveredPps, loss: r.loss })),
    overload,
    overloadRuns,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
