// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { renderChart } from './chart';
import type { FloodResult } from './measure';
import { median } from './measure';
import type { SubjectResult } from './runner';
import { headline, med, ratio, show, si } from './summary';

function floodRun(deliveredPps: number): FloodResult {
  return {
    offered: deliveredPps,
    delivered: deliveredPps,
    offeredPps: deliveredPps,
    deliveredPps,
    loss: 0,
    cpuSeconds: 0.1,
    cpuSecPerMpkt: 1,
    procShare: 0.9,
    rssMiB: 10,
    cpu: { busy: [0.5, 0.5], softirq: [0.1, 0.1], softirqSeconds: 0.1 },
  };
}

function subject(id: string, runs: number[]): SubjectResult {
  return { id, label: id, available: true, sessions: { '1': { runs: runs.map(floodRun) } }, chains: {}, phaseSeconds: {} };
}

describe('bench summary', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
  });

  it('keeps a failed measurement as its error, not as a number', () => {
    const f = med({ error: 'no route' }, (r: FloodResult) => r.deliveredPps);
    expect(show(f)).to.equal('failed: no route');
  });

  it('prints ratios against a base and SI rates', () => {
    expect(ratio(74000, 37000)).to.equal('2.00×');
    expect(ratio(1, null)).to.equal('–');
    expect(si(1234567)).to.equal('1.23M');
    expect(si(37100)).to.equal('37.1k');
  });

  it('draws one labelled row per subject, unavailable ones marked', () => {
    const down: SubjectResult = { id: 'x', label: 'missing one', available: false, reason: 'no CLI', sessions: {}, chains: {}, phaseSeconds: {} };
    const svg = renderChart([subject('fast', [3e6, 2e6, 1e6]), down], 'title');
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(svg).to.include('>2.00M<');
    expect(svg).to.include('not available');
    expect(headline(subject('a', [5, 7, 6])).floodPps).to.equal(6);
  });
});
