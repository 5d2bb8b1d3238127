// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { dropFactory } from './drop';

describe('Drop', () => {
  it('drops both directions and accepts only an absent or null config', () => {
    const f = dropFactory.create(dropFactory.validate(undefined), testServices());
    expect(f.read!(readContext('x'))).to.equal('filter::drop::dropped');
    expect(f.write!(writeContext('x'))).to.equal('filter::drop::dropped');
    expect(() => dropFactory.validate({})).to.throw('takes no configuration');
  });
});
