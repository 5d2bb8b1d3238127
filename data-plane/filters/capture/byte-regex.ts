// SPDX-License-Identifier: Apache-2.0
// Rust `regex::bytes` semantics on top of JS RegExp: the pattern is translated into a JS pattern
// over a latin1 string in which every char is exactly one packet byte. Unsupported syntax throws.
import { byteClass, complement, hexByte, MAX_SCALAR, normalise, type Ranges, utf8Alternation } from './codepoint-set';
import { asciiPerlClass, caseFold, unicodePerlClass, unicodeProperty } from './unicode-tables';

export class RegexSyntaxError extends Error {
  override name = 'RegexSyntaxError';
}

interface Flags {
  i: boolean; // case-insensitive
  m: boolean; // ^ and $ match at line boundaries (\n only)
  s: boolean; // . matches \n
  u: boolean; // Unicode mode: chars are UTF-8 encoded scalars; off = bytes
  U: boolean; // swap greedy and lazy
}

type Escape = { kind: 'set'; ranges: Ranges } | { kind: 'literal'; cp: number; byte: boolean } | { kind: 'assert'; src: string };

const POSIX: Record<string, Ranges> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

const SIMPLE_ESCAPES: Record<string, number> = { n: 0x0a, t: 0x09, r: 0x0d, f: 0x0c, v: 0x0b, a: 0x07 };

class Translator {
  private pos = 0;
  private readonly cps: number[];

  constructor(private readonly pattern: string) {
    this.cps = [...pattern].map((c) => c.codePointAt(0)!);
  }

  translate(): string {
    const src = this.alternation({ i: false, m: false, s: false, u: true, U: false });
    if (this.pos < this.cps.length) this.fail('unopened group (unbalanced `)`)');
    return src;
  }

  private fail(message: string): never {
    throw new RegexSyntaxError(`regex \`${this.pattern}\`: ${message} (at offset ${this.pos})`);
  }

  private peek(offset = 0): string | undefined {
    const cp = this.cps[this.pos + offset];
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  private eat(s: string): boolean {
    for (let k = 0; k < s.length; k++) if (this.peek(k) !== s[k]) return false;
    this.pos += s.length;
    return true;
  }

  private alternation(flags: Flags): string {
    const alternatives = [this.concat(flags)];
    while (this.eat('|')) alternatives.push(this.concat(flags));
    return alternatives.join('|');
  }

  private concat(flags: Flags): string {
    let out = '';
    while (this.pos < this.cps.length && this.peek() !== '|' && this.peek() !== ')') {
      let atom = this.atom(flags);
      if (atom === undefined) continue; // a flag group such as (?i) changes flags, matches nothing
      for (let q = this.quantifier(flags); q !== undefined; q = this.quantifier(flags)) atom = `(?:${atom})${q}`;
      out += atom;
    }
    return out;
  }

  private quantifier(flags: Flags): string | undefined {
    let q: string;
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      q = c;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 24)));
      if (!m) this.fail('invalid repetition: expected {n}, {n,} or {n,m}');
      if (m[3] !== undefined && m[3] !== '' && Number(m[3]) < Number(m[1])) this.fail('invalid repetition range: max is less than min');
      this.pos += m[0].length;
      q = m[0];
    } else return undefined;
    const lazy = this.eat('?') !== flags.U;
    return lazy ? `${q}?` : q;
  }

  private atom(flags: Flags): string | undefined {
    const c = this.peek()!;
    if (c === '(') return this.group(flags);
    if (c === '[') return this.classAtom(flags);
    this.pos++;
    if (c === '.') return this.emitSet(flags.s ? [[0, this.maxOf(flags)]] : complement([[0x0a, 0x0a]], this.maxOf(flags)), flags);
    if (c === '^') return flags.m ? '(?:^|(?<=\\n))' : '^';
    if (c === '$') return flags.m ? '(?:$|(?=\\n))' : '$';
    if (c === '*' || c === '+' || c === '?' || c === '{') this.fail('repetition operator missing expression');
    if (c === '\\') {
      this.pos--; // escape() consumes the backslash itself
      const e = this.escape(flags, false);
      if (e.kind === 'assert') return e.src;
      if (e.kind === 'set') return this.emitSet(e.ranges, flags);
      return this.emitLiteral(e.cp, e.byte, flags);
    }
    return this.emitLiteral(this.cps[this.pos - 1], false, flags);
  }

  private maxOf(flags: Flags): number {
    return flags.u ? MAX_SCALAR : 0xff;
  }

  private group(outer: Flags): string | undefined {
    this.pos++; // (
    const flags = { ...outer };
    if (this.eat('?')) {
      if (this.eat('=') || this.eat('!') || this.eat('<=') || this.eat('<!')) this.fail('look-around is not supported (Rust regex has none)');
      if (this.eat('P=')) this.fail('backreferences are not supported');
      if (this.eat('P<') || this.eat('<')) {
        const name = /^[A-Za-z_][A-Za-z0-9_.[\]]*>/.exec(String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 64)));
        if (!name) this.fail('invalid capture group name');
        this.pos += name[0].length;
      } else {
        const set = this.flagGroup(flags);
        if (set) {
          Object.assign(outer, flags); // (?flags) applies to the rest of the enclosing group
          return undefined;
        }
      }
    }
    const body = this.alternation(flags);
    if (!this.eat(')')) this.fail('unclosed group');
    return `(?:${body})`;
  }

  /** Parses `imsuU-` flags after `(?`; returns true for `(?flags)`, false for `(?flags:`. */
  private flagGroup(flags: Flags): boolean {
    let negate = false;
    for (;;) {
      const c = this.peek();
      this.pos++;
      if (c === ')') return true;
      if (c === ':') return false;
      if (c === '-' && !negate) negate = true;
      else if (c === 'i' || c === 'm' || c === 's' || c === 'u' || c === 'U') flags[c] = !negate;
      else if (c === 'x' || c === 'R') this.fail(`flag \`${c}\` is not supported`);
      else this.fail(c === undefined ? 'unclosed group' : `unrecognized flag \`${c}\``);
    }
  }

  private escape(flags: Flags, inClass: boolean): Escape {
    this.pos++; // backslash
    const c = this.peek();
    if (c === undefined) this.fail('incomplete escape sequence');
    this.pos++;
    const perl = c.toLowerCase();
    if (perl === 'd' || perl === 's' || perl === 'w') {
      const ranges = flags.u ? unicodePerlClass(perl) : asciiPerlClass(perl);
      return { kind: 'set', ranges: c === perl ? ranges : complement(ranges, this.maxOf(flags)) };
    }
    if (c in SIMPLE_ESCAPES) return { kind: 'literal', cp: SIMPLE_ESCAPES[c], byte: false };
    if (c === 'x' || c === 'u' || c === 'U') return this.hexEscape(c, flags);
    if (!inClass && (c === 'A' || c === 'z')) return { kind: 'assert', src: c === 'A' ? '^' : '$' };
    if (!inClass && (c === 'b' || c === 'B')) {
      // Unicode \b needs look-around over UTF-8 sequences, which the native engine (RE2) lacks; a
      // config both engines cannot run is rejected once, here, rather than diverging later.
      if (flags.u) this.fail(`Unicode word boundary \\${c} is not supported; use (?-u:\\${c}) for an ASCII word boundary`);
      return { kind: 'assert', src: `\\${c}` };
    }
    if (c === 'p' || c === 'P') return this.propertyEscape(c === 'P', flags);
    if (/[0-9]/.test(c)) this.fail('backreferences and octal escapes are not supported');
    if (/[!-/:-@[-`{-~]/.test(c)) return { kind: 'literal', cp: c.codePointAt(0)!, byte: false };
    this.fail(`unrecognized escape sequence \\${c}`);
  }

  /** `\pL`, `\p{Greek}`, `\P{sc=Latin}`, `\p{^Lu}`: Unicode mode only, as in Rust. */
  private propertyEscape(negated: boolean, flags: Flags): Escape {
    if (!flags.u) this.fail('Unicode property classes need Unicode mode');
    let name: string;
    if (this.eat('{')) {
      const close = this.cps.indexOf(0x7d, this.pos);
      if (close < 0) this.fail('unclosed Unicode property class');
      name = String.fromCodePoint(...this.cps.slice(this.pos, close));
      this.pos = close + 1;
    } else {
      if (this.pos >= this.cps.length) this.fail('incomplete Unicode property class');
      name = String.fromCodePoint(this.cps[this.pos++]);
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const notEqual = /^([^!]+)!=(.+)$/.exec(name);
    if (notEqual) {
      negated = !negated;
      name = `${notEqual[1]}=${notEqual[2]}`;
    }
    let ranges = unicodeProperty(name);
    if (!ranges) this.fail(`Unicode property \`${name}\` is not supported (spell it as Unicode does, e.g. \\p{Greek}, \\p{Lu}, \\p{sc=Latin})`);
    // Rust folds a property class before negating it.
    if (flags.i) ranges = caseFold(ranges, true);
    return { kind: 'set', ranges: negated ? complement(ranges, MAX_SCALAR) : ranges };
  }

  private hexEscape(kind: string, flags: Flags): Escape {
    const digits = kind === 'x' ? 2 : kind === 'u' ? 4 : 8;
    let text: string;
    if (this.eat('{')) {
      const close = this.cps.indexOf(0x7d, this.pos);
      if (close < 0) this.fail('unclosed hex escape');
      text = String.fromCodePoint(...this.cps.slice(this.pos, close));
      this.pos = close + 1;
    } else {
      text = String.fromCodePoint(...this.cps.slice(this.pos, this.pos + digits));
      if (text.length !== digits) this.fail(`\\${kind} needs ${digits} hex digits`);
      this.pos += digits;
    }
    if (!/^[0-9A-Fa-f]{1,8}$/.test(text)) this.fail(`invalid hex escape \`${text}\``);
    const value = parseInt(text, 16);
    if (!flags.u) {
      if (value > 0xff) this.fail(`hex escape ${text} is not a byte (Unicode mode is off)`);
      return { kind: 'literal', cp: value, byte: value > 0x7f };
    }
    if (value > MAX_SCALAR || (value >= 0xd800 && value <= 0xdfff)) this.fail(`hex escape ${text} is not a Unicode scalar value`);
    return { kind: 'literal', cp: value, byte: false };
  }

  private classAtom(flags: Flags): string {
    this.pos++; // [
    const negated = this.eat('^');
    const items: Ranges = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('unclosed character class');
      if (c === ']' && !first) break;
      first = false;
      if (this.eat('[:')) {
        this.posixClass(items, flags);
        continue;
      }
      if (c === '[') this.fail('nested character classes are not supported');
      if (this.eat('&&') || this.eat('--') || this.eat('~~')) this.fail('character class set operations are not supported');
      const lo = this.classMember(flags, items);
      if (lo === undefined) continue;
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const hi = this.classMember(flags, undefined);
        if (hi === undefined) this.fail('invalid range end in character class');
        if (hi < lo) this.fail('invalid character class range: start is greater than end');
        items.push([lo, hi]);
      } else items.push([lo, lo]);
    }
    this.pos++; // ]
    let ranges = flags.i ? caseFold(normalise(items), flags.u) : normalise(items);
    if (negated) ranges = complement(ranges, this.maxOf(flags));
    return this.emitSet(ranges, flags);
  }

  /** A single class member: returns its value, or adds a Perl class to `items` and returns undefined. */
  private classMember(flags: Flags, items: Ranges | undefined): number | undefined {
    if (this.peek() === '\\') {
      const e = this.escape(flags, true);
      if (e.kind === 'set') {
        if (!items) this.fail('a Perl class cannot end a range');
        items.push(...e.ranges);
        return undefined;
      }
      if (e.kind === 'assert') this.fail('assertions are not allowed in a character class');
      return e.cp;
    }
    const cp = this.cps[this.pos++];
    if (!flags.u && cp > 0x7f) this.fail('non-ASCII characters in a class need Unicode mode (use \\xHH for bytes)');
    return cp;
  }

  private posixClass(items: Ranges, flags: Flags): void {
    const negated = this.eat('^'); // `[:^name:]`
    const end = String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 10)).indexOf(':]');
    const name = end < 0 ? '' : String.fromCodePoint(...this.cps.slice(this.pos, this.pos + end));
    const ranges = POSIX[name];
    if (!ranges) this.fail(`unknown POSIX class \`${name}\``);
    this.pos += end + 2;
    items.push(...(negated ? complement(ranges, this.maxOf(flags)) : ranges));
  }

  private emitSet(ranges: Ranges, flags: Flags): string {
    return flags.u ? utf8Alternation(ranges) : byteClass(ranges);
  }

  private emitLiteral(cp: number, byte: boolean, flags: Flags): string {
    // Without Unicode, folding is ASCII-only and a non-ASCII literal stays its UTF-8 bytes.
    if (flags.i && !byte && (flags.u || cp <= 0x7f)) return this.emitSet(caseFold([[cp, cp]], flags.u), flags);
    if (byte || cp <= 0x7f) return hexByte(cp);
    const bytes = [...Buffer.from(String.fromCodePoint(cp), 'utf8')].map(hexByte).join('');
    return `(?:${bytes})`;
  }
}

/** Translates a Rust regex pattern into JS regex source over latin1-mapped bytes. */
export function translatePattern(pattern: string): string {
  return new Translator(pattern).translate();
}

/** A compiled byte regex: finds all non-overlapping matches, leftmost-first, as Rust's find_iter. */
export class ByteRegex {
  private readonly re: RegExp;

  constructor(readonly pattern: string) {
    this.re = new RegExp(translatePattern(pattern), 'g');
  }

  /** Every match as a view into `haystack` (no byte copies). */
  findAll(haystack: Buffer): Buffer[] {
    const re = this.re;
    const text = haystack.toString('latin1');
    const found: Buffer[] = [];
    let lastEnd = -1;
    re.lastIndex = 0;
    for (;;) {
      const m = re.exec(text);
      if (!m) break;
      const start = m.index;
      const end = start + m[0].length;
      // Rust skips an empty match that starts where the previous match ended.
      if (start !== end || start !== lastEnd) {
        found.push(haystack.subarray(start, end));
        lastEnd = end;
      }
      if (start === end) {
        if (end >= text.length) break;
        re.lastIndex = end + 1;
      }
    }
    return found;
  }
}
