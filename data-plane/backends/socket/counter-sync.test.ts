// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { combinedCounterSource, type NativeCounterSource, type NativeTotals } from './counter-sync';

function source(totals: NativeTotals, durations: number[], sessions: number): NativeCounterSource {
  return { totals: () => totals, drainDurations: () => durations, sessionCount: () => sessions };
}

describe('counter sync: two data paths on one engine', () => {
  it('sums packets, bytes, errors, sessions and durations, and takes the engine-wide drops once', () => {
    const drops: NativeTotals['drops'] = [
      [0, 3, 0],
      [1, 0, 0],
    ];
    const xsk = source({ packets: [10, 8], bytes: [100, 80], drops, sessionsCreated: 2 }, [5], 2);
    const socket = source(
      {
        packets: [1, 1],
        bytes: [3000, 3000],
        drops,
        errors: [
          [0, 1],
          [0, 0],
        ],
        sessionsCreated: 1,
      },
      [7, 9],
      1,
    );
    const both = combinedCounterSource([xsk, socket]);
    const t = both.totals();
    expect(t.packets).to.deep.equal([11, 9]);
    expect(t.bytes).to.deep.equal([3100, 3080]);
    expect(t.drops).to.deep.equal(drops);
    expect(t.errors).to.deep.equal([
      [0, 1],
      [0, 0],
    ]);
    expect(t.sessionsCreated).to.equal(3);
    expect(both.drainDurations()).to.deep.equal([5, 7, 9]);
    expect(both.sessionCount()).to.equal(3);
  });
});
