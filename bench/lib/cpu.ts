// SPDX-License-Identifier: Apache-2.0
// Per-CPU time from /proc/stat, to show where each subject's work actually ran
// (native XDP on veth runs on the sending CPU, not where RPS steers the rest).
import * as fs from 'node:fs';

export interface CpuTimes {
  busy: number; // seconds of user + nice + system + irq + softirq
  softirq: number; // seconds of softirq alone
}

const TICKS_PER_SECOND = 100;

export function readCpuTimes(): CpuTimes[] {
  const out: CpuTimes[] = [];
  for (const line of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [user, nice, system, , , irq, softirq] = m[2].trim().split(/\s+/).map(Number);
    out[Number(m[1])] = {
      busy: (user + nice + system + irq + softirq) / TICKS_PER_SECOND,
      softirq: softirq / TICKS_PER_SECOND,
    };
  }
  return out;
}

/** Per CPU: share of the interval spent busy and in softirq (0..1), plus softirq seconds. */
export interface CpuUse {
  busy: number[];
  softirq: number[];
  softirqSeconds: number;
}

export function cpuUse(before: CpuTimes[], after: CpuTimes[], seconds: number): CpuUse {
  const busy = after.map((a, i) => round((a.busy - before[i].busy) / seconds, 2));
  const softirq = after.map((a, i) => round((a.softirq - before[i].softirq) / seconds, 2));
  const softirqSeconds = after.reduce((sum, a, i) => sum + a.softirq - before[i].softirq, 0);
  return { busy, softirq, softirqSeconds };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
