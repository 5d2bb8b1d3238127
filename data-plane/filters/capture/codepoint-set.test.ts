// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import fc from 'fast-check';
import { complement, MAX_SCALAR, normalise, utf8Alternation } from './codepoint-set';

const scalar = fc.integer({ min: 0, max: MAX_SCALAR }).filter((cp) => cp < 0xd800 || cp > 0xdfff);
const encoded = (cp: number): string => Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');

describe('code point sets as UTF-8 byte patterns', () => {
  it('a range pattern matches exactly the UTF-8 encodings of its members', () => {
    fc.assert(
      fc.property(scalar, scalar, fc.array(scalar, { maxLength: 20 }), (a, b, probes) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const re = new RegExp(`^${utf8Alternation([[lo, hi]])}$`);
        for (const cp of [lo, hi, ...probes])
          expect(re.test(encoded(cp)), `U+${cp.toString(16)} in [${lo.toString(16)}, ${hi.toString(16)}]`).to.equal(cp >= lo && cp <= hi);
      }),
    );
  });

  it('never matches invalid UTF-8: lone continuation bytes, overlong forms, surrogates', () => {
    const all = new RegExp(`^${utf8Alternation([[0, MAX_SCALAR]])}$`);
    for (const hex of ['80', 'bf', 'c0af', 'c1bf', 'e08080', 'eda080', 'f08f8080', 'f4908080', 'ff']) {
      expect(all.test(Buffer.from(hex, 'hex').toString('latin1')), hex).to.equal(false);
    }
  });

  it('complements within the scalar values, leaving surrogates out', () => {
    expect(complement([[0x41, 0x5a]], 0xff)).to.deep.equal([
      [0, 0x40],
      [0x5b, 0xff],
    ]);
    expect(complement([[0, 0xd7ff]], MAX_SCALAR)).to.deep.equal([[0xe000, MAX_SCALAR]]);
    expect(
      normalise([
        [5, 9],
        [1, 3],
        [4, 4],
        [20, 21],
      ]),
    ).to.deep.equal([
      [1, 9],
      [20, 21],
    ]);
  });
});
