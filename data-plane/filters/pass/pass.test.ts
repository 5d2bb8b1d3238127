// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { PASS_NAME, passFactory } from './pass';
import { STEP } from '../../../bpf/fast-abi';
import { lowered, program, step } from '../../../test/support/lowering';
import { DROP_NAME } from '../drop/drop';

describe('Pass', () => {
  it('passes both directions and accepts only an absent or null config', () => {
    const f = passFactory.create(passFactory.validate(null), testServices());
    expect(f.read!(readContext('x'))).to.equal(undefined);
    expect(f.write!(writeContext('x'))).to.equal(undefined);
    expect(() => passFactory.validate({})).to.throw('takes no configuration');
  });
});

describe('Pass and Drop in the kernel', () => {
  it('lower to one step per direction carrying their slots, the write program last to first', () => {
    const chain = lowered([{ name: PASS_NAME }, { name: DROP_NAME }]);
    expect(program(chain, 'read')).to.deep.equal([step({ kind: STEP.PASS, slot: 0 }), step({ kind: STEP.DROP, slot: 1 })]);
    expect(program(chain, 'write')).to.deep.equal([step({ kind: STEP.DROP, slot: 1 }), step({ kind: STEP.PASS, slot: 0 })]);
    expect(chain.summary).to.equal('read: Pass > Drop; write: Drop > Pass');
  });
});
