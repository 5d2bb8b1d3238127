// SPDX-License-Identifier: Apache-2.0
// Runs every measurement of one subject, repetition by repetition. A failure in one
// measurement is recorded with its message and the others still run.
import { CHAIN_LENGTHS, payloadFormat, SPREAD_SESSIONS, type ChainLength } from './chains';
import {
  costFlood,
  echo,
  findKnee,
  flood,
  warmSessions,
  type CostResult,
  type EchoResult,
  type FloodResult,
  type Knee,
  type Load,
  type MeasureEnv,
} from './measure';
import { attachedXdpProgs, type Running, type StartEnv, type Subject } from './subjects';

export interface Profile {
  name: string;
  reps: number;
  floodSeconds: number;
  stepSeconds: number; // each step of the search for the sustainable rate
  echoSeconds: number;
  latencySeconds: number;
  /** Repetitions of the latency run (long runs: fewer than reps). */
  latencyReps: number;
  latencyRate: number;
  /** One flood this long per subject and chain for per-packet cost (bpf_stats, process CPU); 0: none. */
  costSeconds: number;
  sessions: number[];
  /** The spread run (SPREAD_SESSIONS sessions over SPREAD_ENDPOINTS endpoints) for subjects that have it. */
  spread: boolean;
  chains: ChainLength[];
  subjects: string[];
  /** A subject that would likely end after this many seconds into the run is skipped, saying so. */
  budgetSeconds: number;
  /** Every flood at this offered rate (pps) instead of the searched one (--rate). */
  fixedRate?: number;
}

export type Reps<T> = { runs: T[] } | { error: string };

export interface SubjectResult {
  id: string;
  label: string;
  available: boolean;
  reason?: string;
  note?: string;
  /** Wall seconds spent per phase (start, knee, sessions, echo, chain-N), for budgeting. */
  phaseSeconds: Record<string, number>;
  /** A failure that cut the subject's measurements short. */
  error?: string;
  /** The sustainable rate search (1 session, plain forward); all floods run at its rate. */
  knee?: Knee | { error: string };
  /** Flood runs by concurrent sessions (plain forward), at the knee rate. */
  sessions: Record<string, Reps<FloodResult>>;
  /** Flood runs by chain length (1 session, knee rate of the plain forward); chain 0 is sessions["1"]. */
  chains: Record<string, Reps<FloodResult>>;
  echo?: Reps<EchoResult>;
  latency?: Reps<EchoResult>;
  /** Flood runs with SPREAD_SESSIONS sessions over SPREAD_ENDPOINTS endpoints (LoadBalancer Hash), at the knee rate. */
  spread?: Reps<FloodResult>;
  /** Per-packet cost by chain length: one long flood at the knee rate, 1 session. */
  cost?: Record<string, CostResult | { error: string }>;
}

/** Starts a phase clock; calling the result records the phase's wall time into out. */
function phase(out: SubjectResult, name: string): () => void {
  const t0 = Date.now();
  return () => {
    out.phaseSeconds[name] = (Date.now() - t0) / 1000;
  };
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').slice(0, 300);
}

async function repeat<T>(reps: number, once: (i: number) => Promise<T>): Promise<Reps<T>> {
  try {
    const runs: T[] = [];
    for (let i = 0; i < reps; i++) runs.push(await once(i));
    return { runs };
  } catch (err) {
    return { error: message(err) };
  }
}

/** The measurement env of one running subject: floods check its fast-path counter. */
function subjectEnv(m: MeasureEnv, running: Running): MeasureEnv {
  return running.fastPathPackets ? { ...m, fastPath: () => running.fastPathPackets!() } : m;
}

async function costRun(m: MeasureEnv, s: Subject, running: Running, chain: ChainLength, p: Profile, rate: number): Promise<CostResult | { error: string }> {
  const load = { target: s.target(m.topo), sessions: 1, format: payloadFormat(chain), seconds: p.costSeconds };
  try {
    const r = await costFlood(m, load, running.pid, rate, () => attachedXdpProgs(m.topo));
    running.check();
    return r;
  } catch (err) {
    return { error: message(err) };
  }
}

/** An echo run; on a fast-path subject, both directions of every echoed datagram must
 *  have been forwarded in the kernel (the session's first packets aside). */
async function checkedEcho(m: MeasureEnv, load: Load, rate: number): Promise<EchoResult> {
  const before = m.fastPath ? await m.fastPath() : 0;
  const r = await echo(m, load, rate);
  if (m.fastPath) {
    const grew = (await m.fastPath()) - before;
    if (grew < 0.95 * 2 * r.received) {
      throw new Error(
        `not the fast path: ${r.received} datagrams echoed but quilkin_xdp_fast_path_packets_total grew by ${grew}, not about ${2 * r.received}; no figure is kept`,
      );
    }
  }
  return r;
}

async function plainRuns(env: MeasureEnv, s: Subject, running: Running, p: Profile, out: SubjectResult): Promise<number> {
  const m = subjectEnv(env, running);
  const target = s.target(m.topo);
  await m.sinks.setMode('drop');
  // The session exists before the first measured packet (its first packets go through
  // user space even on the fast path); 1000 packets, not counted nor checked.
  await flood(env, { target, sessions: 1, format: 'none', seconds: 0.05 }, running.pid, 20000);
  let rate = 0;
  const kneeDone = phase(out, 'knee');
  try {
    const knee = await findKnee(m, { target, sessions: 1, format: 'none', seconds: p.stepSeconds }, running.pid, p.reps, p.fixedRate);
    out.knee = knee;
    rate = knee.ratePps ?? 0;
  } catch (err) {
    out.knee = { error: message(err) };
  }
  kneeDone();
  const sessionsDone = phase(out, 'sessions');
  for (const sessions of p.sessions) {
    const load = { target, sessions, format: 'none' as const, seconds: p.floodSeconds };
    out.sessions[String(sessions)] = await repeat(p.reps, async (i) => {
      if (i === 0) await warmSessions(m, load); // sessions stay established across repetitions
      const r = await flood(m, load, running.pid, rate);
      running.check();
      return r;
    });
  }
  if (out.sessions['1']) out.chains['0'] = out.sessions['1'];
  sessionsDone();
  if (p.costSeconds > 0) {
    const costDone = phase(out, 'cost');
    out.cost = { '0': await costRun(m, s, running, 0, p, rate) };
    costDone();
  }
  const echoDone = phase(out, 'echo');
  await m.sinks.setMode('pass');
  const one = { target, sessions: 1, format: 'none' as const };
  try {
    running.check();
    out.echo = await repeat(p.reps, () => checkedEcho(m, { ...one, seconds: p.echoSeconds }, 0));
    out.latency = await repeat(p.latencyReps, () => checkedEcho(m, { ...one, seconds: p.latencySeconds }, p.latencyRate));
  } catch (err) {
    out.echo = out.latency = { error: message(err) };
  }
  await m.sinks.setMode('drop');
  echoDone();
  return rate;
}

async function chainRuns(
  env: MeasureEnv,
  start: StartEnv,
  s: Subject,
  chain: ChainLength,
  p: Profile,
  rate: number,
  out: SubjectResult,
): Promise<Reps<FloodResult>> {
  let running: Running;
  try {
    running = await s.start(start, chain);
  } catch (err) {
    return { error: `could not start with ${chain} filters: ${message(err)}` };
  }
  const m = subjectEnv(env, running);
  try {
    const load = { target: s.target(m.topo), sessions: 1, format: payloadFormat(chain), seconds: p.floodSeconds };
    // Warm-up after the restart, not counted nor checked: a session's first packets go
    // through user space even on the fast path.
    await flood(env, { ...load, seconds: 0.1 }, running.pid, rate);
    const runs = await repeat(p.reps, async () => {
      const r = await flood(m, load, running.pid, rate);
      running.check();
      return r;
    });
    if (p.costSeconds > 0) (out.cost ??= {})[String(chain)] = await costRun(m, s, running, chain, p, rate);
    return runs;
  } finally {
    await running.stop();
  }
}

/** The spread workload: many sessions, each to its own endpoint of many, in a restart of the subject. */
async function spreadRuns(env: MeasureEnv, start: StartEnv, s: Subject, p: Profile, rate: number): Promise<Reps<FloodResult>> {
  let running: Running;
  try {
    running = await s.start(start, 'spread');
  } catch (err) {
    return { error: `could not start with the spread config: ${message(err)}` };
  }
  const m = subjectEnv(env, running);
  try {
    const load = { target: s.target(m.topo), sessions: SPREAD_SESSIONS, format: 'none' as const, seconds: p.floodSeconds };
    // Each session's first packet goes through user space (tier 1 makes the session and, on
    // the fast path, installs its flow): two warm-up passes, neither counted nor checked, so
    // that sessions a busy worker missed in the first are made in the second.
    await warmSessions(env, load);
    await warmSessions(env, load);
    return await repeat(p.reps, async () => {
      const r = await flood(m, load, running.pid, rate);
      running.check();
      return r;
    });
  } finally {
    await running.stop();
  }
}

export async function measureSubject(m: MeasureEnv, start: StartEnv, s: Subject, p: Profile, log: (line: string) => void): Promise<SubjectResult> {
  const out: SubjectResult = { id: s.id, label: s.label, available: false, sessions: {}, chains: {}, phaseSeconds: {} };
  let running: Running;
  const startDone = phase(out, 'start');
  try {
    running = await s.start(start, 0);
    startDone();
  } catch (err) {
    out.reason = message(err);
    log(`${s.id}: not available: ${out.reason}`);
    return out;
  }
  out.available = true;
  out.note = running.note;
  let rate = 0;
  try {
    rate = await plainRuns(m, s, running, p, out);
    const said = running.summary?.();
    if (said) out.note = `${out.note}; ${said}`;
  } catch (err) {
    out.error = message(err);
    log(`${s.id}: ${out.error}`);
  } finally {
    await running.stop();
  }
  for (const chain of CHAIN_LENGTHS.filter((c) => c > 0 && s.chains.includes(c) && p.chains.includes(c))) {
    const chainDone = phase(out, `chain-${chain}`);
    out.chains[String(chain)] = await chainRuns(m, start, s, chain, p, rate, out);
    chainDone();
  }
  if (s.spread && p.spread) {
    const spreadDone = phase(out, 'spread');
    out.spread = await spreadRuns(m, start, s, p, rate);
    spreadDone();
  }
  log(`${s.id}: done`);
  return out;
}
