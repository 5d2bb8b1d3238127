// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { DROP_NAME, dropFactory } from './drop';
import { STEP } from '../../../bpf/fast-abi';
import { lowered, program, step } from '../../../test/support/lowering';

describe('Drop', () => {
  it('drops both directions and accepts only an absent or null config', () => {
    const f = dropFactory.create(dropFactory.validate(undefined), testServices());
    expect(f.read!(readContext('x'))).to.equal('filter::drop::dropped');
    expect(f.write!(writeContext('x'))).to.equal('filter::drop::dropped');
    expect(() => dropFactory.validate({})).to.throw('takes no configuration');
  });
});

describe('Drop in the kernel', () => {
  it('is one DROP step in each direction', () => {
    const chain = lowered([{ name: DROP_NAME }]);
    expect(program(chain, 'read')).to.deep.equal([step({ kind: STEP.DROP })]);
    expect(program(chain, 'write')).to.deep.equal([step({ kind: STEP.DROP })]);
    expect(chain.cells).to.equal(0);
  });
});
