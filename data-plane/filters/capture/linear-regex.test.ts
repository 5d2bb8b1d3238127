// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { ByteRegex } from './byte-regex';
import { linearRegexEngine } from './linear-regex';

describe('capture: the js backend regex engine (RE2 through the addon)', () => {
  const engine = linearRegexEngine();
  const cases: Array<[string, string]> = [
    ['^[0-9]{3}', '123abc'],
    ['ab', 'ababxab'],
    ['a*', 'baaab'],
    ['$', 'abc'],
    ['(?m)^x', 'x\nx\ny'],
    ['\\d+', 'a1b22c333'],
    ['[^a]+', 'aaxyzaab'],
    ['\\x00\\xff', Buffer.from([0, 255, 1]).toString('latin1')],
    ['\\p{L}+', 'héllo wörld'],
    ['(?i)AbC', 'xabcABC'],
  ];
  for (const [pattern, input] of cases) {
    it(`finds what the reference finds: /${pattern}/`, () => {
      const haystack = Buffer.from(input, 'latin1');
      const ours = engine(pattern)
        .findAll(haystack)
        .map((b) => b.toString('hex'));
      const reference = new ByteRegex(pattern).findAll(haystack).map((b) => b.toString('hex'));
      expect(ours).to.deep.equal(reference);
    });
  }

  it('matches (a+)+$ against a hostile packet in linear time', () => {
    const matcher = engine('(a+)+$');
    const hostile = Buffer.from(`${'a'.repeat(5000)}b`);
    const started = process.hrtime.bigint();
    expect(matcher.findAll(hostile)).to.deep.equal([]);
    // V8's backtracking takes seconds at 30 bytes and doubles per byte; RE2 is microseconds here.
    expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.below(200);
  });

  it('refuses a pattern RE2 cannot run with its reason', () => {
    expect(() => engine('a{1001}')).to.throw(/invalid repetition size/);
  });
});
