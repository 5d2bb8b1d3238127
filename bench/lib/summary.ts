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

export interface Headline {
  floodPps: Figure;
  loss: Figure;
  cpuPerMpkt: Figure;
  busy0: Figure;
  busy1: Figure;
  echoPps: Figure;
  rtt: { p50: Figure; p99: Figure; p999: Figure };
  rssMiB: Figure;
}

export function headline(s: SubjectResult): Headline {
  const one: Reps<FloodResult> | undefined = s.sessions['1'];
  const lat: Reps<EchoResult> | undefined = s.latency;
  return {
    floodPps: med(one, (r) => r.deliveredPps),
    loss: med(one, (r) => r.loss),
    cpuPerMpkt: med(one, (r) => r.cpuSecPerMpkt),
    busy0: med(one, (r) => r.cpu.busy[0] ?? null),
    busy1: med(one, (r) => r.cpu.busy[1] ?? null),
    echoPps: med(s.echo, (r) => r.rxPps),
    rtt: { p50: med(lat, (r) => r.rttUs.p50), p99: med(lat, (r) => r.rttUs.p99), p999: med(lat, (r) => r.rttUs.p999) },
    rssMiB: med(one, (r) => r.rssMiB),
  };
}

export function num(f: Figure): number | null {
  return typeof f === 'number' ? f : null;
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
