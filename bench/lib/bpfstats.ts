// SPDX-License-Identifier: Apache-2.0
// Run time of XDP programs from the kernel's own accounting (kernel.bpf_stats_enabled):
// run_cnt and run_time_ns per program, which do not depend on /proc/stat's 10 ms ticks.
// The sysctl is global; it is on only during a measurement and put back afterwards.
import * as fs from 'node:fs';
import { run } from './proc';

const SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';
let saved: string | null = null;

export interface ProgStats {
  id: number;
  name: string;
  runCnt: number;
  runTimeNs: number;
}

export async function progStats(ids: number[]): Promise<ProgStats[]> {
  const out: ProgStats[] = [];
  for (const id of ids) {
    const r = await run(['bpftool', 'prog', 'show', 'id', String(id), '-j'], 3000);
    if (r.code !== 0) throw new Error(`bpftool prog show id ${id}: ${r.stderr.trim()}`);
    const j = JSON.parse(r.stdout) as { name?: string; run_cnt?: number; run_time_ns?: number };
    out.push({ id, name: j.name ?? '?', runCnt: j.run_cnt ?? 0, runTimeNs: j.run_time_ns ?? 0 });
  }
  return out;
}

/** Turns the accounting on (it costs two clock reads per program run), remembering the previous value. */
export function enableBpfStats(): void {
  if (saved === null) saved = fs.readFileSync(SYSCTL, 'utf8').trim();
  fs.writeFileSync(SYSCTL, '1');
}

/** Puts the previous value back; safe to call when nothing was changed (cleanup paths). */
export function restoreBpfStats(): void {
  if (saved === null) return;
  try {
    fs.writeFileSync(SYSCTL, saved);
  } finally {
    saved = null;
  }
}

export interface BpfUse {
  progs: { id: number; name: string; runs: number; ns: number }[];
  runs: number;
  ns: number;
  /** run_time_ns / run_cnt summed over the programs: ns per program run. */
  nsPerRun: number | null;
}

export function bpfUse(before: ProgStats[], after: ProgStats[]): BpfUse {
  const progs = after.map((a) => {
    const b = before.find((x) => x.id === a.id);
    return { id: a.id, name: a.name, runs: a.runCnt - (b?.runCnt ?? 0), ns: a.runTimeNs - (b?.runTimeNs ?? 0) };
  });
  const runs = progs.reduce((s, p) => s + p.runs, 0);
  const ns = progs.reduce((s, p) => s + p.ns, 0);
  return { progs, runs, ns, nsPerRun: runs > 0 ? Math.round((ns / runs) * 10) / 10 : null };
}
