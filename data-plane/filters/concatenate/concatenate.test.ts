// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { concatenateFactory } from './concatenate';

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
