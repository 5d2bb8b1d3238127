// SPDX-License-Identifier: Apache-2.0
// The compiler's filter lookup: kind from the generated table, payload and side-channel
// declarations from the factory; a filter missing either is refused with its path.
import { expect } from 'chai';
import { CAPTURE_NAME } from '../filters/capture/capture';
import { COMPRESS_COUNTERS, COMPRESS_NAME } from '../filters/compress/compress';
import { DEBUG_NAME } from '../filters/debug/debug';
import { registerAll } from '../filters/index';
import { FILTER_KINDS } from '../filters/kinds';
import { MATCH_COUNTERS, MATCH_NAME } from '../filters/match/match';
import { PASS_NAME } from '../filters/pass/pass';
import { FilterRegistry } from '../filters/registry';
import { TIMESTAMP_HELP, TIMESTAMP_NAME } from '../filters/timestamp/timestamp';
import { CompileError, compileChain, slotAtOffset } from './description';

const registry = (): FilterRegistry => registerAll(new FilterRegistry());

describe('compileChain: filters through the registry and the kind table', () => {
  it('writes the kind of the table and the slot before each payload', () => {
    const { description } = compileChain([{ name: PASS_NAME }], [], registry());
    // Pass has no payload, so the description ends with its kind byte and slot 0.
    expect(description[description.length - 5]).to.equal(FILTER_KINDS.get(PASS_NAME));
    expect(description.readUInt32LE(description.length - 4)).to.equal(0);
  });

  it('refuses a registered filter without a native encoding, naming its path', () => {
    const r = registry();
    r.register({ name: 'test.filters.NoNative', schema: {}, validate: () => undefined, create: () => ({}) });
    expect(() => compileChain([{ name: PASS_NAME }, { name: 'test.filters.NoNative' }], [], r)).to.throw(
      CompileError,
      'filters[1]: filter `test.filters.NoNative` has no native implementation',
    );
  });

  it('refuses a filter with an encoder but no row in the kind table', () => {
    const r = registry();
    r.register({ name: 'test.filters.NoKind', schema: {}, validate: () => undefined, create: () => ({}), native: { encode: () => undefined } });
    expect(() => compileChain([{ name: 'test.filters.NoKind' }], [], r)).to.throw(
      CompileError,
      'filters[0]: filter `test.filters.NoKind` has no native implementation',
    );
  });

  it("gives each slot its filter's declared cells and Debug events, nested slots included", () => {
    const r = registry();
    const match = {
      on_read: {
        metadataKey: 'k',
        branches: [{ value: 'a', name: TIMESTAMP_NAME, config: { metadataKey: 'ts' } }],
        fallthrough: { name: DEBUG_NAME, config: { id: 'dbg' } },
      },
    };
    const filters = [
      { name: CAPTURE_NAME, config: r.validate(CAPTURE_NAME, { metadataKey: 'k', prefix: { size: 1 } }) },
      { name: MATCH_NAME, config: r.validate(MATCH_NAME, match) },
      { name: COMPRESS_NAME, config: r.validate(COMPRESS_NAME, { on_read: 'DO_NOTHING', on_write: 'DO_NOTHING' }) },
    ];
    const { slots } = compileChain(filters, [], r);
    expect(slots.map((s) => [s.name, s.path])).to.deep.equal([
      [CAPTURE_NAME, 'filters[0]'],
      [MATCH_NAME, 'filters[1]'],
      [TIMESTAMP_NAME, 'filters[1].on_read.branches[0]'],
      [DEBUG_NAME, 'filters[1].on_read.fallthrough'],
      [COMPRESS_NAME, 'filters[2]'],
    ]);
    expect(slots[0].cells).to.equal(undefined);
    expect(slots[0].debugEvents).to.equal(undefined);
    expect(slots[1].cells?.counters?.map((c) => [c.label, c.event])).to.deep.equal([
      [MATCH_COUNTERS.matched.label, 'read'],
      [MATCH_COUNTERS.fallthrough.label, 'read'],
    ]);
    expect(slots[2].cells?.histogram).to.deep.equal({ label: 'duration', help: TIMESTAMP_HELP, sharedMetadata: 'ts' });
    expect(slots[3].debugEvents).to.deep.equal({ id: 'dbg' });
    expect(slots[4].cells?.counters?.map((c) => [c.label, c.event])).to.deep.equal([
      [COMPRESS_COUNTERS.compressed.label, 'read'],
      [COMPRESS_COUNTERS.decompressed.label, 'read'],
      [COMPRESS_COUNTERS.compressed.label, 'write'],
      [COMPRESS_COUNTERS.decompressed.label, 'write'],
    ]);
  });

  it('names the filter path when an encoder rejects its config', () => {
    const bad = { on_read: [{ action: 'ALLOW', sources: ['not-a-cidr'], ports: [] }], on_write: [] };
    expect(() => compileChain([{ name: 'quilkin.filters.firewall.v1alpha1.Firewall', config: bad }], [], registry())).to.throw(
      CompileError,
      'filters[0] (quilkin.filters.firewall.v1alpha1.Firewall): filters[0].on_read:',
    );
  });

  it('maps a description offset to the innermost slot holding it (engine errors name the filter)', () => {
    const registry = registerAll(new FilterRegistry());
    const match = registry.validate('quilkin.filters.match.v1alpha1.Match', {
      on_read: {
        metadataKey: 'k',
        branches: [{ value: 'a', name: 'quilkin.filters.pass.v1alpha1.Pass' }],
        fallthrough: { name: 'quilkin.filters.drop.v1alpha1.Drop' },
      },
    });
    const chain = compileChain([{ name: 'quilkin.filters.pass.v1alpha1.Pass' }, { name: 'quilkin.filters.match.v1alpha1.Match', config: match }], [], registry);
    expect(chain.slotOffsets).to.have.length(chain.slots.length);
    // Each slot's entry starts with its kind byte and slot number.
    chain.slotOffsets.forEach((start, slot) => expect(chain.description.readUInt32LE(start + 1)).to.equal(slot));
    expect(slotAtOffset(chain, chain.slotOffsets[1] + 6)?.path).to.equal('filters[1]');
    expect(slotAtOffset(chain, chain.slotOffsets[3])?.path).to.equal('filters[1].on_read.fallthrough');
    expect(slotAtOffset(chain, 0)).to.equal(undefined);
  });
});
