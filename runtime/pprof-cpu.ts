// SPDX-License-Identifier: Apache-2.0
// A V8 CPU profile (the inspector's Profiler.Profile) as a pprof Profile, the format Go's and
// Quilkin's /debug/pprof/profile return: sample types samples/count and cpu/nanoseconds, one
// location per call-tree node, one function per distinct (name, file, line).
import type { Profiler } from 'node:inspector';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';

/** V8 marks the samples taken while the thread waited in the event loop with this frame: they
 *  cost no CPU, and a CPU profile (Go's, pprof-rs's) has no samples for such time. */
const IDLE_FRAME = '(idle)';
const ROOT_FRAME = '(root)';

export interface PprofCpuOptions {
  /** The sampling interval the profile was taken with, for the profile's period. */
  readonly intervalUs: number;
  /** Wall-clock start, for the profile's time_nanos (V8's startTime is a monotonic clock). */
  readonly startedAtMs: number;
}

export function cpuProfileToPprof(v8: Profiler.Profile, options: PprofCpuOptions): Profile {
  const strings = new StringTable();
  const byId = new Map(v8.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of v8.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const functionIds = new Map<string, number>();
  const functions: PprofFunction[] = [];
  const locations = new Map<number, Location>();
  const locationOf = (node: Profiler.ProfileNode): number => {
    if (locations.has(node.id)) return node.id;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    // V8's positions are 0-based, -1 when unknown; pprof's lines are 1-based, 0 when unknown.
    const line = lineNumber >= 0 ? lineNumber + 1 : 0;
    const key = `${name}\u0000${url}\u0000${line}\u0000${columnNumber}`;
    let functionId = functionIds.get(key);
    if (functionId === undefined) {
      functionId = functions.length + 1;
      functionIds.set(key, functionId);
      functions.push(
        new PprofFunction({ id: functionId, name: strings.dedup(name), systemName: strings.dedup(name), filename: strings.dedup(url), startLine: line }),
      );
    }
    locations.set(node.id, new Location({ id: node.id, line: [new Line({ functionId, line })] }));
    return node.id;
  };
  const stackOf = (id: number): number[] => {
    const stack: number[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (!node || node.callFrame.functionName === ROOT_FRAME) break;
      stack.push(locationOf(node)); // leaf first, as pprof wants
    }
    return stack;
  };

  // One pprof sample per call-tree node: V8 already merged equal stacks into one node.
  const totals = new Map<number, { count: number; ns: number }>();
  const samples = v8.samples ?? [];
  const deltas = v8.timeDeltas ?? [];
  samples.forEach((id, i) => {
    if (byId.get(id)?.callFrame.functionName === IDLE_FRAME) return;
    const t = totals.get(id) ?? { count: 0, ns: 0 };
    t.count += 1;
    // The time since the previous sample: what this one stands for (the interval, or more when
    // the sampler was late).
    t.ns += Math.max(0, Math.round((deltas[i] ?? options.intervalUs) * 1000));
    totals.set(id, t);
  });

  const sampleType = [
    new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }),
    new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
  ];
  const sample = [...totals].map(([id, t]) => new Sample({ locationId: stackOf(id), value: [t.count, t.ns] }));
  return new Profile({
    sampleType,
    sample,
    location: [...locations.values()],
    function: functions,
    stringTable: strings,
    timeNanos: BigInt(Math.round(options.startedAtMs)) * 1_000_000n,
    durationNanos: Math.max(0, Math.round((v8.endTime - v8.startTime) * 1000)),
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period: Math.round(options.intervalUs * 1000),
    defaultSampleType: strings.dedup('cpu'),
  });
}
