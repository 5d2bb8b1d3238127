// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { CONCATENATE_NAME, concatenateFactory } from './concatenate';
import { CONCAT_SIDE, STEP } from '../../../bpf/fast-abi';
import { lowered, program, refusal, step } from '../../../test/support/lowering';

describe('Concatenate', () => {
  const make = (raw: unknown) => concatenateFactory.create(concatenateFactory.validate(raw), testServices());

  it('skips the direction entirely for DO_NOTHING and for empty bytes', () => {
    expect(make({ bytes: 'YWJj' })).to.deep.equal({});
    expect(make({ on_read: 'APPEND', bytes: '' })).to.deep.equal({});
  });

  it('appends and prepends the decoded bytes', () => {
    const f = make({ on_read: 'APPEND', on_write: 'PREPEND', bytes: 'AP8=' });
    const r = readContext('x');
    f.read!(r);
    expect(r.contents.toString('hex')).to.equal('7800ff');
    const w = writeContext('x');
    f.write!(w);
    expect(w.contents.toString('hex')).to.equal('00ff78');
  });

  it('reports the field path of a bad strategy', () => {
    expect(() => concatenateFactory.validate({ on_write: 'append', bytes: '' })).to.throw(/on_write: must be one of `APPEND`, `PREPEND`, `DO_NOTHING`/);
  });
});

describe('Concatenate in the kernel', () => {
  const concat = (on_read: string, on_write: string, bytes: Buffer) => ({
    name: CONCATENATE_NAME,
    config: { on_read, on_write, bytes: bytes.toString('base64') },
  });

  it('appends or prepends its bytes per direction; DO_NOTHING and no bytes lower to nothing', () => {
    const chain = lowered([concat('APPEND', 'PREPEND', Buffer.from('ab')), concat('DO_NOTHING', 'APPEND', Buffer.alloc(0))]);
    expect(program(chain, 'read')).to.deep.equal([step({ kind: STEP.CONCATENATE, op: CONCAT_SIDE.APPEND, value: Buffer.from('ab') })]);
    expect(program(chain, 'write')).to.deep.equal([step({ kind: STEP.CONCATENATE, op: CONCAT_SIDE.PREPEND, value: Buffer.from('ab') })]);
    expect(chain.summary).to.equal('read: Concatenate(append 2 bytes); write: Concatenate(prepend 2 bytes)');
  });

  it('refuses more than QK_FAST_VALUE_MAX bytes only where they are added', () => {
    const big = Buffer.alloc(33, 7);
    expect(refusal([concat('DO_NOTHING', 'PREPEND', big)])).to.equal(
      `filters[0] (${CONCATENATE_NAME}): not lowerable: bytes: 33 bytes, more than the 32 a step carries`,
    );
    expect(program(lowered([concat('DO_NOTHING', 'DO_NOTHING', big)]), 'write')).to.deep.equal([]);
    expect(program(lowered([concat('APPEND', 'DO_NOTHING', Buffer.alloc(32, 1))]), 'read')[0].len).to.equal(32);
  });
});
