// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { passFactory } from './pass';

describe('Pass', () => {
  it('passes both directions and accepts only an absent or null config', () => {
    const f = passFactory.create(passFactory.validate(null), testServices());
    expect(f.read!(readContext('x'))).to.equal(undefined);
    expect(f.write!(writeContext('x'))).to.equal(undefined);
    expect(() => passFactory.validate({})).to.throw('takes no configuration');
  });
});
