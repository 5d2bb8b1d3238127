// SPDX-License-Identifier: Apache-2.0
// Charges perf samples taken in a BPF program to its source lines (bench/profile-xdp.sh).
//   node dist/bench/profile-lines.js PERF_SCRIPT_FILE JITED_LINES_FILE PROG_NAME [TOP]
// Reads `perf script` output (cpu-clock samples with call chains) and the line map that
// bench/tools/jited_lines printed for a program loaded from the same object (its JIT image has
// the same layout). Prints where the samples under the program went: by leaf symbol (its own
// functions, the hash lookups and helpers it called), then its own code by source line.
import * as fs from 'node:fs';

interface Func {
  start: bigint;
  name: string;
}

interface LineMap {
  funcs: Func[];
  lines: { at: bigint; where: string }[];
}

function readLineMap(text: string): LineMap {
  const map: LineMap = { funcs: [], lines: [] };
  for (const row of text.split('\n')) {
    const f = /^func ([0-9a-f]+) \d+ (\S+)$/.exec(row);
    if (f) map.funcs.push({ start: BigInt(`0x${f[1]}`), name: f[2] });
    const l = /^line ([0-9a-f]+) (\S+)$/.exec(row);
    if (l) map.lines.push({ at: BigInt(`0x${l[1]}`), where: l[2] });
  }
  map.lines.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return map;
}

/** The source line at an address: the last line record at or before it. */
function lineAt(map: LineMap, at: bigint): string {
  let lo = 0;
  let hi = map.lines.length - 1;
  let found = '?';
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map.lines[mid].at <= at) {
      found = map.lines[mid].where;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** One sample's frames, leaf first: symbol and offset. */
function frames(sample: string): { sym: string; off: bigint }[] {
  const out: { sym: string; off: bigint }[] = [];
  for (const row of sample.split('\n').slice(1)) {
    const m = /^\s*[0-9a-f]+\s+([^\s+]+)(?:\+0x([0-9a-f]+))?/.exec(row);
    if (m) out.push({ sym: m[1], off: BigInt(`0x${m[2] ?? '0'}`) });
  }
  return out;
}

/** perf names a JIT'd function bpf_prog_<tag>_<name>; null for any other symbol. */
function jitName(sym: string): string | null {
  const m = /^bpf_prog_[0-9a-f]{16}_(.+)$/.exec(sym);
  return m ? m[1] : null;
}

function top(counts: Map<string, number>, total: number, n: number): string[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
}

const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

function main(): void {
  const [perfFile, linesFile, prog, topArg] = process.argv.slice(2);
  if (!perfFile || !linesFile || !prog) {
    console.error('usage: profile-lines PERF_SCRIPT_FILE JITED_LINES_FILE PROG_NAME [TOP]');
    process.exit(2);
  }
  const n = Number(topArg ?? 25);
  const map = readLineMap(fs.readFileSync(linesFile, 'utf8'));
  const leaves = new Map<string, number>();
  const own = new Map<string, number>();
  let total = 0;
  for (const sample of fs.readFileSync(perfFile, 'utf8').split('\n\n')) {
    const chain = frames(sample);
    if (!chain.some((f) => jitName(f.sym) === prog)) continue;
    total++;
    const leaf = chain[0];
    bump(leaves, leaf.sym);
    const func = map.funcs.find((f) => f.name === jitName(leaf.sym));
    if (func) bump(own, `${func.name}: ${lineAt(map, func.start + leaf.off)}`);
  }
  if (!total) return void console.log(`no samples under a program named ${prog}`);
  console.log(`${total} samples under ${prog}\n\nby leaf symbol:`);
  for (const row of top(leaves, total, n)) console.log(row);
  console.log(`\nthe program's own code by source line (share of all ${total}):`);
  for (const row of top(own, total, n)) console.log(row);
}

main();
