// SPDX-License-Identifier: Apache-2.0
// Medians over repetitions, and the per-subject figures the tables and the chart show.
import type { EchoResult, FloodResult } from './measure';
import { median } from './measure';
import type { Reps, SubjectResult } from './runner';

export type Figure = number | null | { error: string };

export function med<T>(reps: Reps<T> | undefined, pick: (r: T) => number | null): Figure {
  if (!reps) return null;
  if ('error' in reps) return { error: reps.error };
  const xs = reps.runs.map(pick).filter((x): x is number => x !== null && Number.isFinite(x));
  return xs.length ? median(xs) : null;
}

/** CPU s per million delivered packets over all repetitions together: /proc/stat counts
 *  10 ms ticks, too coarse for one short run of an in-kernel subject. */
function pooledCpuPerMpkt(reps: Reps<FloodResult> | undefined): Figure {
  if (!reps) return null;
  if ('error' in reps) return { error: reps.error };
  const cpu = reps.runs.reduce((sum, r) => sum + r.cpuSeconds, 0);
  const delivered = reps.runs.reduce((sum, r) => sum + (r.delivered ?? 0), 0);
  return delivered > 0 ? Math.round((cpu / (delivered / 1e6)) * 1000) / 1000 : null;
}

export interface Headline {
  floodPps: Figure;
  offeredPps: Figure;
  /** Sustainable-rate search: null when flat out was delivered without loss. */
  kneePps: number | null;
  overloadPps: Figure;
  loss: Figure;
  procShare: Figure;
  softirq0: Figure;
  softirq1: Figure;
  cpuPerMpkt: Figure;
  echoPps: Figure;
  rtt: { p50: Figure; p99: Figure; p999: Figure };
  rssMiB: Figure;
}

export function headline(s: SubjectResult): Headline {
  const one: Reps<FloodResult> | undefined = s.sessions['1'];
  const lat: Reps<EchoResult> | undefined = s.latency;
  const knee = s.knee && !('error' in s.knee) ? s.knee : undefined;
  return {
    floodPps: med(one, (r) => r.deliveredPps),
    offeredPps: med(one, (r) => r.offeredPps),
    kneePps: knee?.ratePps ?? null,
    overloadPps: knee ? knee.overload.deliveredPps : null,
    loss: med(one, (r) => r.loss),
    procShare: med(one, (r) => r.procShare),
    softirq0: med(one, (r) => r.cpu.softirq[0] ?? null),
    softirq1: med(one, (r) => r.cpu.softirq[1] ?? null),
    cpuPerMpkt: pooledCpuPerMpkt(one),
    echoPps: med(s.echo, (r) => r.rxPps),
    rtt: { p50: med(lat, (r) => r.rttUs.p50), p99: med(lat, (r) => r.rttUs.p99), p999: med(lat, (r) => r.rttUs.p999) },
    rssMiB: med(one, (r) => r.rssMiB),
  };
}

export function num(f: Figure): number | null {
  return typeof f === 'number' ? f : null;
}

/** Round-trip times in µs; the histogram's top bucket means "100 ms or more". */
export function us(x: number): string {
  return x >= 100000 ? '≥100000' : String(x);
}

/** "1.23M", "45.6k", "789" */
export function si(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

export function show(f: Figure, fmt: (x: number) => string = (x) => String(x)): string {
  if (f === null) return '–';
  if (typeof f === 'number') return fmt(f);
  return `failed: ${f.error.replace(/\|/g, '/')}`;
}

export function ratio(f: Figure, base: Figure): string {
  const a = num(f);
  const b = num(base);
  return a !== null && b !== null && b > 0 ? `${(a / b).toFixed(2)}×` : '–';
}
