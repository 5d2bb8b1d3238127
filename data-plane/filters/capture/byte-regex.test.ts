// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { ByteRegex, RegexSyntaxError } from './byte-regex';
import { utf8Alternation } from './codepoint-set';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const find = (pattern: string, input: Buffer | string): string[] =>
  new ByteRegex(pattern).findAll(typeof input === 'string' ? Buffer.from(input) : input).map((b) => b.toString('hex'));
const h = (s: string): string => Buffer.from(s).toString('hex');

describe('ByteRegex (Rust regex::bytes semantics)', () => {
  const cases: Array<[string, Buffer | string, string[]]> = [
    ['.', hex('ff61c3a90a'), ['61', 'c3a9']],
    ['(?-u).', hex('ff610a'), ['ff', '61']],
    ['(?s).', '\n', ['0a']],
    ['.+', hex('e282ac'), ['e282ac']],
    ['.', hex('e282'), []], // truncated 3-byte sequence is not a character
    ['.', hex('eda080'), []], // an encoded surrogate is not valid UTF-8
    ['.', hex('f09f9880'), ['f09f9880']],
    ['a*', 'baaab', ['', h('aaa'), '']],
    ['', 'ab', ['', '', '']],
    ['x*?', 'xx', ['', '', '']],
    ['(?U)x+', 'xx', [h('x'), h('x')]],
    ['a|ab', 'ab', [h('a')]], // leftmost-first, not leftmost-longest
    ['(?i)k', 'kK\u212a', [h('k'), h('K'), 'e284aa']],
    ['(?i)σ', 'Σσς', [h('Σ'), h('σ'), h('ς')]],
    ['(?i-u)k', 'kK\u212a', [h('k'), h('K')]],
    ['(?i-u)é', 'éÉ', ['c3a9']],
    ['(?-u)é', Buffer.from([0xe9, 0xc3, 0xa9]), ['c3a9']],
    ['(?i)[a-c]+', 'xAbCx', [h('AbC')]],
    ['[^a]', hex('61c3a9ff'), ['c3a9']],
    ['(?-u)[^a]', hex('61ff'), ['ff']],
    ['\\d+', 'a12b٣4', [h('12'), h('٣4')]],
    ['(?-u)\\d+', 'a12b٣4', [h('12'), h('4')]],
    ['\\w+', 'héllo wörld', [h('héllo'), h('wörld')]],
    ['(?-u)\\w+', 'héllo', [h('h'), h('llo')]],
    ['\\s', 'a\u00a0b c', [h('\u00a0'), h(' ')]],
    ['[[:digit:]x]+', 'ab1x2c', [h('1x2')]],
    ['[[:^alpha:]]', 'a1', [h('1')]],
    ['(?m)^a$', 'a\na\n', [h('a'), h('a')]],
    ['a$', 'a\n', []],
    ['^a', 'aa', [h('a')]],
    ['\\Aa|b\\z', 'ab', [h('a'), h('b')]],
    ['\\x{e9}', 'é', ['c3a9']],
    ['\\u00e9\\U0001F600', 'é😀', ['c3a9f09f9880']],
    ['(?-u)\\xff\\x00', hex('01ff0002'), ['ff00']],
    ['(?P<x>ab)(?<y>c)', 'abc', [h('abc')]],
    ['a{2}', 'aaaaa', [h('aa'), h('aa')]],
    ['a{2,}', 'aaaaa', [h('aaaaa')]],
    ['a{1,2}?', 'aaa', [h('a'), h('a'), h('a')]],
    ['(?-u:\\b)foo', 'a foo xfoo', [h('foo')]],
    ['(?-u:\\b\\w+\\b)', 'héllo', [h('h'), h('llo')]],
    ['(?-u:\\B)l', 'hello', [h('l'), h('l')]],
    ['[]a]+', 'a]b', [h('a]')]],
    ['[a-]+', 'a-b', [h('a-')]],
    ['\\.\\*\\?', '.*?', [h('.*?')]],
    ['[😀-😂]', '😁', ['f09f9881']],
    ['\\p{Greek}+', 'abγδε!', [h('γδε')]],
    ['\\p{sc=Greek}', 'aγ', [h('γ')]],
    ['\\pL+', 'ab1é', [h('ab'), h('é')]],
    ['\\p{Lu}', 'aBÉ', [h('B'), h('É')]],
    ['(?i)\\p{Lu}+', 'aBé', [h('aBé')]],
    ['\\P{L}+', 'ab12é', [h('12')]],
    ['\\p{^L}+', 'ab12é', [h('12')]],
    ['\\p{gc!=L}+', 'ab12é', [h('12')]],
    ['[\\p{Nd}a]+', 'xa1٣', [h('a1٣')]],
    ['\\p{White_Space}', 'a\u2003', ['e28083']],
  ];
  for (const [pattern, input, expected] of cases) {
    it(`/${pattern}/ on ${typeof input === 'string' ? JSON.stringify(input) : input.toString('hex')}`, () => {
      expect(find(pattern, input)).to.deep.equal(expected);
    });
  }

  const rejected: Array<[string, string]> = [
    ['(a', 'unclosed group'],
    ['a)', 'unopened group'],
    ['a(?=b)', 'look-around'],
    ['(?<!a)b', 'look-around'],
    ['(a)\\1', 'backreferences'],
    ['\\bfoo', 'Unicode word boundary'],
    ['\\Bfoo', 'Unicode word boundary'],
    ['\\p{greek}', 'Unicode property `greek` is not supported'],
    ['\\p{Age=6.0}', 'is not supported'],
    ['(?-u)\\pL', 'need Unicode mode'],
    ['\\p{L', 'unclosed Unicode property'],
    ['a{2,1}', 'invalid repetition range'],
    ['*a', 'repetition operator missing expression'],
    ['[a-', 'unclosed character class'],
    ['[z-a]', 'start is greater than end'],
    ['[a&&b]', 'set operations'],
    ['[[a]]', 'nested character classes'],
    ['(?x)a', 'flag `x` is not supported'],
    ['\\q', 'unrecognized escape'],
    ['(?-u)\\x{100}', 'not a byte'],
    ['\\x{d800}', 'not a Unicode scalar'],
    ['(?-u)[é]', 'non-ASCII'],
    ['[[:bogus:]]', 'unknown POSIX class'],
  ];
  for (const [pattern, message] of rejected) {
    it(`rejects /${pattern}/ (${message})`, () => {
      expect(() => new ByteRegex(pattern)).to.throw(RegexSyntaxError, message);
    });
  }

  it('encodes code point ranges as UTF-8 byte sequences exactly', () => {
    const re = new RegExp(`^${utf8Alternation([[0x7f, 0x800]])}$`);
    for (const cp of [0x7f, 0x80, 0x7ff, 0x800])
      expect(re.test(Buffer.from(String.fromCodePoint(cp)).toString('latin1')), `U+${cp.toString(16)}`).to.equal(true);
    for (const cp of [0x7e, 0x801]) expect(re.test(Buffer.from(String.fromCodePoint(cp)).toString('latin1')), `U+${cp.toString(16)}`).to.equal(false);
  });

  it('returns views into the packet, not copies', () => {
    const packet = Buffer.from('key=abc');
    const [match] = new ByteRegex('abc').findAll(packet);
    packet[4] = 0x41;
    expect(match.toString()).to.equal('Abc');
  });
});
