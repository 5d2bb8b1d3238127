// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { shieldHighBytes } from './engine-regex';

describe('Capture regex for RE2: high bytes shielded from prefix factoring', function () {
  it('wraps bare and one-byte-class high bytes, leaves ASCII, ranges and negations alone', function () {
    expect(shieldHighBytes('\\xff|\\xffc')).to.equal('(?:\\xff{1})|(?:\\xff{1})c');
    expect(shieldHighBytes('[\\xc3]\\x61[\\x80-\\xbf][^\\xff]\\n')).to.equal('(?:\\xc3{1})\\x61[\\x80-\\xbf][^\\xff]\\n');
    expect(shieldHighBytes('(?:\\x7f)*[\\x30-\\x39]')).to.equal('(?:\\x7f)*[\\x30-\\x39]');
  });
});
