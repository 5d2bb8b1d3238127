// SPDX-License-Identifier: Apache-2.0
// V8 CPU profile -> pprof: stacks leaf first without the root, idle time left out, CPU time from
// the sample deltas, and a round trip through pprof-format's decoder.
import { expect } from 'chai';
import type { Profiler, Runtime } from 'node:inspector';
import { Profile } from 'pprof-format';
import { cpuProfileToPprof } from './pprof-cpu';

function frame(functionName: string, url = '', lineNumber = -1): Runtime.CallFrame {
  return { functionName, scriptId: '0', url, lineNumber, columnNumber: lineNumber >= 0 ? 4 : -1 };
}

// (root) -> main (file:///app.js:10) -> hot (file:///app.js:20); (root) -> (idle); (root) -> (garbage collector)
const V8_PROFILE: Profiler.Profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
    { id: 2, callFrame: frame('main', 'file:///app.js', 9), children: [3] },
    { id: 3, callFrame: frame('hot', 'file:///app.js', 19) },
    { id: 4, callFrame: frame('(idle)') },
    { id: 5, callFrame: frame('(garbage collector)') },
  ],
  startTime: 1_000_000,
  endTime: 1_010_000,
  samples: [3, 3, 4, 4, 4, 2, 5, 3],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1500, 1000, 2000],
};

describe('cpuProfileToPprof', () => {
  const decoded = Profile.decode(cpuProfileToPprof(V8_PROFILE, { intervalUs: 1000, startedAtMs: 1_700_000_000_000 }).encode());
  const str = (i: number | bigint): string => decoded.stringTable.strings[Number(i)];
  const stackNames = (locationIds: Array<number | bigint>): string[] =>
    locationIds.map((id) => {
      const location = decoded.location.find((l) => l.id == id)!;
      return str(decoded.function.find((f) => f.id == location.line[0].functionId)!.name);
    });

  it('declares samples/count and cpu/nanoseconds, period 1 ms in cpu/nanoseconds, default cpu', () => {
    expect(decoded.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).to.deep.equal(['samples/count', 'cpu/nanoseconds']);
    expect(`${str(decoded.periodType!.type)}/${str(decoded.periodType!.unit)}`).to.equal('cpu/nanoseconds');
    expect(Number(decoded.period)).to.equal(1_000_000);
    expect(str(decoded.defaultSampleType)).to.equal('cpu');
    expect(Number(decoded.durationNanos)).to.equal(10_000_000);
    expect(BigInt(decoded.timeNanos)).to.equal(1_700_000_000_000_000_000n);
  });

  it('aggregates per call-tree node, leaf first, leaving out idle samples', () => {
    const rows = decoded.sample.map((s) => ({ stack: stackNames(s.locationId).join(' < '), value: s.value.map(Number) }));
    expect(rows).to.have.deep.members([
      { stack: 'hot < main', value: [3, 4_000_000] },
      { stack: 'main', value: [1, 1_500_000] },
      { stack: '(garbage collector)', value: [1, 1_000_000] },
    ]);
  });

  it('names functions with 1-based lines and their file', () => {
    const hot = decoded.function.find((f) => str(f.name) === 'hot')!;
    expect(str(hot.filename)).to.equal('file:///app.js');
    expect(Number(hot.startLine)).to.equal(20);
    const location = decoded.location.find((l) => l.line[0].functionId == hot.id)!;
    expect(Number(location.line[0].line)).to.equal(20);
  });

  it('turns an all-idle profile into one with no samples', () => {
    const idle = cpuProfileToPprof({ ...V8_PROFILE, samples: [4, 4], timeDeltas: [1000, 1000] }, { intervalUs: 1000, startedAtMs: 0 });
    expect(Profile.decode(idle.encode()).sample).to.have.length(0);
  });
});
