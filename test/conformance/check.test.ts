// SPDX-License-Identifier: Apache-2.0
// The runner's comparisons must catch each kind of divergence, or the conformance suite proves nothing.
import { expect } from 'chai';
import { checkPacket } from './check';
import type { PacketOutput } from './implementations';
import type { PacketExpect } from './vectors';

const base: PacketExpect = { dropped: false, destinationsOrdered: false };
const ok = (over: Partial<PacketOutput> = {}): PacketOutput => ({
  dropped: false,
  contents: Buffer.from('x'),
  metadata: new Map(),
  destinations: [],
  timestampSamples: [],
  ...over,
});

describe('conformance checker', () => {
  it('accepts a matching result', () => {
    expect(checkPacket({ ...base, output: Buffer.from('x') }, ok(), [])).to.deep.equal([]);
  });

  it('catches drop/no-drop, reason, output and variant mismatches', () => {
    expect(checkPacket({ ...base, dropped: true }, ok(), [])).to.have.length(1);
    expect(checkPacket({ ...base, dropped: true, reason: 'a' }, ok({ dropped: true, reason: 'b' }), [])).to.have.length(1);
    expect(checkPacket({ ...base, output: Buffer.from('y') }, ok(), [])).to.have.length(1);
    const stringNotBytes = ok({ metadata: new Map([['k', 'abc']]) });
    expect(checkPacket({ ...base, metadata: new Map([['k', Buffer.from('abc')]]) }, stringNotBytes, [])).to.have.length(1);
    expect(checkPacket({ ...base, metadata: new Map([['k', null]]) }, stringNotBytes, [])).to.have.length(1);
  });

  it('catches destination mismatches in every form', () => {
    const two = ok({ destinations: ['b:1', 'a:1'] });
    expect(checkPacket({ ...base, destinations: ['a:1', 'b:1'] }, two, [])).to.deep.equal([]);
    expect(checkPacket({ ...base, destinations: ['a:1', 'b:1'], destinationsOrdered: true }, two, [])).to.have.length(1);
    expect(checkPacket({ ...base, destinations: ['a:1', 'a:1'] }, two, [])).to.have.length(1);
    expect(checkPacket({ ...base, destinationsOneOf: ['a:1', 'b:1'] }, two, [])).to.have.length(1);
    expect(checkPacket({ ...base, sameAsStep: 0 }, ok({ destinations: ['a:1'] }), [['b:1']])).to.have.length(1);
    expect(checkPacket({ ...base, observed: true }, ok(), [])).to.have.length(1);
  });
});
