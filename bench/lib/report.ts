// SPDX-License-Identifier: Apache-2.0
// Writes a run's raw JSON, its SVG chart and (for full runs) docs/benchmarks.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchResults } from './bench';
import { SPREAD_ENDPOINTS, SPREAD_SESSIONS } from './chains';
import { renderChart } from './chart';
import type { SubjectResult } from './runner';
import { headline, med, num, ratio, show, si, us, type Figure, type Headline } from './summary';

const pps = (f: Figure): string => show(f, si);
const pct = (f: Figure): string => show(f, (x) => `${(x * 100).toFixed(1)}%`);

function deliveredCell(h: Headline): string {
  const kept = h.kneePps === null && typeof h.loss === 'number' && h.loss <= 0.02;
  const bound = kept ? ' (all offered: sending-CPU-bound)' : '';
  return `${pps(h.floodPps)}${bound}`;
}

export function mainTable(subjects: SubjectResult[], rate: number): string {
  const nginx = subjects.find((s) => s.id === 'nginx-1w');
  const base = nginx && nginx.available ? headline(nginx) : null;
  const rows = subjects.map((s) => {
    if (!s.available) return `| ${s.label} | not available: ${(s.reason ?? '').replace(/\|/g, '/')} | | | | | | | | | |`;
    const h = headline(s);
    const rtt = `${show(h.rtt.p50, us)} / ${show(h.rtt.p99, us)} / ${show(h.rtt.p999, us)}`;
    const where = `${pct(h.procShare)} / ${pct(h.softirq0)} / ${pct(h.softirq1)}`;
    return (
      `| ${s.label} | ${deliveredCell(h)} | ${ratio(h.floodPps, base?.floodPps ?? null)} | ${pps(h.overloadPps)} | ${pct(h.loss)} | ` +
      `${show(h.cpuPerMpkt)} | ${where} | ${pps(h.echoPps)} | ${ratio(h.echoPps, base?.echoPps ?? null)} | ${rtt} | ${show(h.rssMiB)} |`
    );
  });
  return [
    `| subject | delivered pps | vs nginx 1w | delivered under overload | loss | CPU s / Mpkt | process / softirq cpu0 / softirq cpu1 | echo pps | vs nginx 1w | RTT p50 / p99 / p99.9 µs @ ${rate} pps | RSS MiB |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function sessionsTable(subjects: SubjectResult[], sessions: number[]): string {
  const head = sessions.map((n) => `${si(n)} session${n > 1 ? 's' : ''}: pps / RSS MiB`);
  const rows = subjects
    .filter((s) => s.available)
    .map((s) => {
      const cells = sessions.map((n) => {
        const reps = s.sessions[String(n)];
        return `${pps(med(reps, (r) => r.deliveredPps))} / ${show(med(reps, (r) => r.rssMiB))}`;
      });
      return `| ${s.label} | ${cells.join(' | ')} |`;
    });
  return [`| subject | ${head.join(' | ')} |`, `|---|${sessions.map(() => '---|').join('')}`, ...rows].join('\n');
}

function chainTable(subjects: SubjectResult[], chains: number[]): string {
  const rows = subjects
    .filter((s) => s.available && Object.keys(s.chains).length > 1)
    .map((s) => {
      const cells = chains.map((c) => pps(med(s.chains[String(c)], (r) => r.deliveredPps)));
      return `| ${s.label} | ${cells.join(' | ')} |`;
    });
  if (!rows.length) return '_No subject that runs filter chains was available in this run._';
  return [`| subject | ${chains.map((c) => `${c} filters`).join(' | ')} |`, `|---|${chains.map(() => '---|').join('')}`, ...rows].join('\n');
}

/** Delivered pps of the spread run over the same subject's 1-session plain flood. */
function spreadShare(s: SubjectResult): { spread: number | null; one: number | null; share: number | null } {
  const spread = num(med(s.spread, (r) => r.deliveredPps));
  const one = num(med(s.sessions['1'], (r) => r.deliveredPps));
  return { spread, one, share: spread !== null && one ? spread / one : null };
}

function spreadTable(subjects: SubjectResult[]): string {
  const rows = subjects
    .filter((s) => s.available && s.spread)
    .map((s) => {
      if (s.spread && 'error' in s.spread) return `| ${s.label} | failed: ${s.spread.error.replace(/\|/g, '/')} | | | |`;
      const { spread, one, share } = spreadShare(s);
      const runs = s.spread && 'runs' in s.spread ? s.spread.runs : [];
      const fast = runs
        .map((r) => (typeof r.fastPathPackets === 'number' && r.delivered > 0 ? r.fastPathPackets / r.delivered : null))
        .filter((x) => x !== null);
      const fastCell = fast.length ? `${(Math.min(...fast) * 100).toFixed(1)}%` : '–';
      return `| ${s.label} | ${pps(one)} | ${pps(spread)} | ${share === null ? '–' : `${(share * 100).toFixed(0)} %`} | ${fastCell} |`;
    });
  if (!rows.length) return '_No subject ran the spread workload in this run._';
  return [
    `| subject | 1 session, 1 endpoint: pps | ${si(SPREAD_SESSIONS)} sessions over ${si(SPREAD_ENDPOINTS)} endpoints: pps | share | forwarded by the fast path (lowest run) |`,
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

type Cost = NonNullable<SubjectResult['cost']>[string];
const costOk = (c: Cost | undefined): c is Exclude<Cost, { error: string }> => !!c && !('error' in c);
const nsCell = (x: number | null | undefined): string => (typeof x === 'number' ? x.toFixed(1) : '–');

/** prog + process ns per delivered packet: the per-packet cost of a subject's own work. */
function ownNs(c: Cost | undefined): number | null {
  if (!costOk(c)) return null;
  if (c.bpfNsPerPacket === null && c.procNsPerPacket === null) return null;
  return (c.bpfNsPerPacket ?? 0) + (c.procNsPerPacket ?? 0);
}

function costTable(subjects: SubjectResult[]): string {
  const rows: string[] = [];
  for (const s of subjects.filter((x) => x.available && x.cost)) {
    for (const [chain, c] of Object.entries(s.cost ?? {})) {
      if (!costOk(c)) {
        rows.push(`| ${s.label} | ${chain} | failed: ${c.error.replace(/\|/g, '/')} | | | | | | |`);
        continue;
      }
      const progs = c.bpf ? `${nsCell(c.bpf.nsPerRun)} (${c.bpf.progs.map((p) => `${p.name}: ${si(p.runs)} runs`).join(', ')})` : '–';
      const fast = typeof c.fastPathPackets === 'number' && c.delivered > 0 ? `${((c.fastPathPackets / c.delivered) * 100).toFixed(1)}%` : '–';
      rows.push(
        `| ${s.label} | ${chain} | ${c.seconds} s, ${si(c.delivered)} pkts, ${si(c.deliveredPps)} pps | ${progs} | ${nsCell(c.bpfNsPerPacket)} | ${nsCell(c.procNsPerPacket)} | ${nsCell(ownNs(c))} | ${show(c.cpuSecPerMpkt)} | ${fast} |`,
      );
    }
  }
  if (!rows.length) return '_No per-packet cost flood in this run._';
  return [
    '| subject | filters | flood (bpf_stats on) | XDP program ns / run | XDP program ns / pkt | process CPU ns / pkt | program + process ns / pkt | CPU s / Mpkt (process + all softirq) | forwarded by the fast path |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The fast path's targets (issue): each computed from this run, met or not. */
function fastPathTargets(subjects: SubjectResult[]): string {
  const by = (id: string): SubjectResult | undefined => subjects.find((s) => s.id === id && s.available);
  const fast = by('xdp-fast');
  const native = by('xdp-native');
  const ceil = by('xdp-ceiling');
  if (!fast) return '_The fast-path subject (`xdp-fast`) did not run._';
  const verdict = (ok: boolean | null): string => (ok === null ? 'not measured' : ok ? '**met**' : '**not met**');
  const lines: string[] = [];
  const embark = num(med(fast.chains['3'], (r) => r.deliveredPps));
  const ceilPps = ceil ? num(headline(ceil).floodPps) : null;
  const share = embark !== null && ceilPps ? embark / ceilPps : null;
  lines.push(
    `- Delivered pps, Embark chain, ≥ 90 % of the XDP ceiling: ${pps(embark)} vs ${pps(ceilPps)} = ${share === null ? '–' : `${(share * 100).toFixed(0)} %`}: ${verdict(share === null ? null : share >= 0.9)}.`,
  );
  for (const chain of ['3', '0']) {
    const f = ownNs(fast.cost?.[chain]);
    const n = ownNs(native?.cost?.[chain]);
    const r = f !== null && n ? f / n : null;
    lines.push(
      `- Per-packet cost (XDP program + process, ns per delivered packet, ${chain} filters) ≤ 20 % of tier 1's: ${nsCell(f)} vs ${nsCell(n)} = ${r === null ? '–' : `${(r * 100).toFixed(0)} %`}: ${verdict(r === null ? null : r <= 0.2)}.`,
    );
  }
  const spread = fast.spread && 'error' in fast.spread ? null : spreadShare(fast);
  lines.push(
    `- ${si(SPREAD_SESSIONS)} sessions over ${si(SPREAD_ENDPOINTS)} endpoints ≥ 80 % of the 1-session rate: ${pps(spread?.spread ?? null)} vs ${pps(spread?.one ?? null)} = ${spread?.share == null ? '–' : `${(spread.share * 100).toFixed(0)} %`}: ${verdict(spread?.share == null ? null : spread.share >= 0.8)}.`,
  );
  const p999 = num(headline(fast).rtt.p999);
  const c999 = ceil ? num(headline(ceil).rtt.p999) : null;
  const rr = p999 !== null && c999 ? p999 / c999 : null;
  lines.push(
    `- RTT p99.9 ≤ 2× the ceiling's: ${show(p999, us)} µs vs ${show(c999, us)} µs = ${rr === null ? '–' : `${rr.toFixed(2)}×`}: ${verdict(rr === null ? null : rr <= 2)}.`,
  );
  return lines.join('\n');
}

function notes(subjects: SubjectResult[]): string {
  const failed = (s: SubjectResult): string => (s.error ? `; measurements cut short: ${s.error}` : '');
  return subjects.map((s) => `- **${s.label}** (\`${s.id}\`): ${s.available ? `${s.note}${failed(s)}` : `not available: ${s.reason}`}`).join('\n');
}

/** A warning when other work shared the CPUs: pinned userspace subjects then get only a
 *  slice of their CPU, so their figures are lower bounds (in-kernel ones suffer less). */
function busyWarning(r: BenchResults): string {
  const load = Math.max(...[r.meta.loadAverage.start, r.meta.loadAverage.end].map((l) => Number(l.split(' ')[0])));
  // The run itself keeps both CPUs busy (load about 2): only load beyond that is others'.
  if (!(load > r.meta.cpus + 2)) return '';
  return `\n> **Busy machine.** The 1-minute load average reached ${load} on ${r.meta.cpus} CPUs during this run:
> other work shared both CPUs, so the subjects pinned to cpu0 (nginx and our userspace
> backends) got a fraction of it. Their figures, and every latency, are lower bounds of
> what an idle box gives; compare subjects within this run, not with other runs.\n`;
}

export function renderMarkdown(r: BenchResults, chartRel: string, jsonRel: string): string {
  const m = r.meta;
  const p = m.profile;
  return `# Benchmarks

<!-- Generated by \`${m.command}\` (bench/main.ts); do not edit by hand. -->

Run finished **${m.date}** on kernel **${m.kernel}**, ${m.cpus} × **${m.cpuModel}**, ${m.seconds} s in all.
Command: \`${m.command}\` (as root). Raw results: [${path.basename(jsonRel)}](${jsonRel}).
Load average at start / end: \`${m.loadAverage.start}\` / \`${m.loadAverage.end}\`.
Each figure is the median of ${p.reps} repetitions. Dated measurements and profiles that explain
these figures: [benchmark-notes.md](benchmark-notes.md).
${busyWarning(r)}
![delivered and echoed packets per second](${chartRel})

## Headline

For scale: a Quilkin v0.9 user reported about 5k forwarded packets per second per pod on
a Capture + TokenRouter chain, with CPU going to futex waits.

${mainTable(r.subjects, p.latencyRate)}

## Concurrent sessions (one-way flood, plain forward)

${sessionsTable(r.subjects, p.sessions)}

## Sessions spread over endpoints (one-way flood)

Each client is one of ${si(SPREAD_SESSIONS)} source addresses; a LoadBalancer (policy Hash) sends it to one of
${si(SPREAD_ENDPOINTS)} endpoints (consecutive ports of the server), in a restart of the subject with that config,
after two warm-up passes that offer every session one packet. Beside it, the subject's own
1-session, 1-endpoint flood without filters.

${spreadTable(r.subjects)}

## Filter chain length (one-way flood, 1 session)

${chainTable(r.subjects, p.chains)}

## Per-packet cost (one ${p.costSeconds} s flood, 1 session, at the sustainable rate)

Run time of the subject's XDP programs from the kernel's own accounting
(\`kernel.bpf_stats_enabled=1\` during this flood only; it slows programs by two clock reads
per run, so these floods deliver less than the ones above), and the subject's process CPU
over the whole flood. For tier 1 the XDP program only redirects to the AF_XDP socket; the
copy into UMEM, the worker and the transmit are the process column and softirq.

${costTable(r.subjects)}

## The kernel fast path against its targets

${fastPathTargets(r.subjects)}

## Subjects

${notes(r.subjects)}

## How it is measured

- Topology (\`bench/netns.sh\`): namespaces client, proxy and server joined by two veth
  pairs; addresses exist only inside them. The subject runs pinned to cpu0 and the proxy
  namespace's receive work is steered there (RPS); generators, echo server and sink run
  on cpu1. Native XDP on veth runs on the CPU that sent the frame, which is why the
  softirq columns are shown per CPU. \`proxy xdp\` serves one interface and sends every
  packet back out of it, so it reaches the server on the client segment (a bridge in
  the client namespace joins the server's second interface); every other subject uses
  the two-armed path through the proxy namespace's second veth.
- **delivered pps**: the in-kernel generator (\`bench/bpf/xdp_gen\`: BPF_PROG_RUN with live
  frames, 64-byte payloads) sends from the client namespace; an XDP program
  (\`bench/bpf/xdp_sink\`) counts and drops what arrives for the server's port on the first
  link the forwarded packets reach: the server's veth for two-armed subjects, the client
  end of the proxy's link for \`proxy xdp\`, so that neither is charged the client
  namespace's GRO, bridge and RPS hop, work a switch does in hardware. First a search for
  the best offered rate: flat out, then halving the offered rate (from at most 8× what
  flat out delivered) until at most 2 % is lost, then one step back up, ${p.stepSeconds} s per step;
  the offered rate at which the subject delivered most is kept. Every flood then runs
  ${p.floodSeconds} s at that rate. When flat out already arrives whole ("sending-CPU-bound"), the figure is the
  limit of cpu1, which runs the generator and, for native XDP on veth, the subject's XDP
  program too; not the subject's own limit. **delivered under overload** is the flat-out step (median of ${p.reps}): a socket-based
  proxy sharing its CPU with the kernel's receive work loses most of it there (receive
  livelock), which is the behaviour a traffic spike meets. Paced runs come in bursts:
  each BPF_PROG_RUN call sets up a page pool, so the generator sends every millisecond
  (or later, when the box is busy) what is due; a receiver with default socket buffers (about 200 small
  datagrams) loses part of bursts above roughly 40k pps, which makes the figures of
  socket-based subjects conservative. The echo column (smooth, closed loop)
  complements them.
- **CPU s / Mpkt**: CPU seconds of the subject's processes plus softirq time on both
  CPUs during the flood, per million delivered packets. For in-kernel subjects it is
  softirq time alone; it always includes the sink's small share. **process / softirq**:
  the subject's process CPU time and each CPU's softirq time as shares of the run's wall
  time.
- **echo pps**: the socket generator (\`bench/tools/udpgen\`: sendmmsg/recvmmsg, closed
  loop with 64 probes in flight) through the subject to the echo server
  (\`bench/tools/udpecho\`) and back; bounded by the generator and echo server sharing
  one vCPU (about 75-100k pps here).
- **RTT**: the same generator paced at ${p.latencyRate} pps for ${p.latencySeconds} s (${p.latencyReps} run${p.latencyReps > 1 ? 's' : ''}), timestamps carried in the
  payload; 1 µs buckets below 1 ms, 10 µs up to 100 ms ("≥100000": beyond).
- **Fast path** (\`xdp-fast\`: \`proxy xdp --xdp.fast-path auto\`; the other \`proxy xdp\`
  subjects run \`--xdp.fast-path off\`, i.e. tier 1, every packet through the AF_XDP
  worker): the start checks in /config that the chain lowered into the kernel, and every
  flood and echo run checks that \`quilkin_xdp_fast_path_packets_total\` grew by at least
  95 % of what was delivered (both directions for echo); otherwise the measurement fails
  with that reason, so a tier-1 figure never stands under its name. The 8-filter chain
  does not lower, so it is not run there.
- **Generator and RCU**: every BPF_PROG_RUN call of the generator ends with an RCU grace
  period; on this kernel (lazy RCU) that is a ~20 ms sleep per call, which capped the
  generator near 300k pps. The run sets \`/sys/kernel/rcu_expedited=1\` and puts the previous
  value back at the end.
- **RSS**: resident memory of the subject's processes after its floods (summed over
  nginx's master and workers).
- **Sessions**: the generator cycles through N client source addresses (ports from 10000
  on 10.x.1.2, .3, ...), after a warm-up that offers each of them one packet (at most
  1 s). A subject slower than the warm-up rate establishes only the sessions whose
  packets it took, so N is the number of client addresses offered, not a guaranteed
  count of sessions held.
- **Chains**: 3 filters = the Embark chain (payload + 3-byte token + version byte; Capture
  suffix 1 → \`embark.dev/load_balancer/version\`, Capture suffix 3 → \`quilkin.dev/capture\`,
  TokenRouter); 8 = the same behind Firewall, Concatenate, Capture, Pass and
  LocalRateLimit (\`bench/lib/chains.ts\`). Run at the plain forward's sustainable rate.
- Noise: the machine is shared (see the load averages above); numbers taken while
  others compile are lower and wider than on an idle box.
`;
}

/** Writes results.json and chart.svg into outDir, and the docs page when asked. Returns the JSON path. */
export function writeReport(r: BenchResults, outDir: string, docs: string | null): string {
  fs.mkdirSync(outDir, { recursive: true });
  const json = path.join(outDir, 'results.json');
  const svg = path.join(outDir, 'chart.svg');
  fs.writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  fs.writeFileSync(svg, renderChart(r.subjects, `Packets per second, ${r.meta.date.slice(0, 10)}, kernel ${r.meta.kernel}`));
  if (docs) {
    const rel = (f: string): string => path.relative(path.dirname(docs), f);
    fs.writeFileSync(docs, renderMarkdown(r, rel(svg), rel(json)));
  }
  return json;
}
