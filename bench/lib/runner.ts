// SPDX-License-Identifier: Apache-2.0
// Runs every measurement of one subject, repetition by repetition. A failure in one
// measurement is recorded with its message and the others still run.
import { CHAIN_LENGTHS, payloadFormat, type ChainLength } from './chains';
import { echo, findKnee, flood, warmSessions, type EchoResult, type FloodResult, type Knee, type MeasureEnv } from './measure';
import type { Running, StartEnv, Subject } from './subjects';

export interface Profile {
  name: string;
  reps: number;
  floodSeconds: number;
  stepSeconds: number; // each step of the search for the sustainable rate
  echoSeconds: number;
  latencySeconds: number;
  latencyRate: number;
  sessions: number[];
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

async function plainRuns(m: MeasureEnv, s: Subject, running: Running, p: Profile, out: SubjectResult): Promise<number> {
  const target = s.target(m.topo);
  await m.sinks.setMode('drop');
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
  const echoDone = phase(out, 'echo');
  await m.sinks.setMode('pass');
  const one = { target, sessions: 1, format: 'none' as const };
  try {
    running.check();
    out.echo = await repeat(p.reps, () => echo(m, { ...one, seconds: p.echoSeconds }, 0));
    out.latency = await repeat(p.reps, () => echo(m, { ...one, seconds: p.latencySeconds }, p.latencyRate));
  } catch (err) {
    out.echo = out.latency = { error: message(err) };
  }
  await m.sinks.setMode('drop');
  echoDone();
  return rate;
}

async function chainRuns(m: MeasureEnv, start: StartEnv, s: Subject, chain: ChainLength, p: Profile, rate: number): Promise<Reps<FloodResult>> {
  let running: Running;
  try {
    running = await s.start(start, chain);
  } catch (err) {
    return { error: `could not start with ${chain} filters: ${message(err)}` };
  }
  try {
    const load = { target: s.target(m.topo), sessions: 1, format: payloadFormat(chain), seconds: p.floodSeconds };
    await flood(m, { ...load, seconds: 0.1 }, running.pid, rate); // warm-up after the restart, not counted
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
    out.chains[String(chain)] = await chainRuns(m, start, s, chain, p, rate);
    chainDone();
  }
  log(`${s.id}: done`);
  return out;
}
