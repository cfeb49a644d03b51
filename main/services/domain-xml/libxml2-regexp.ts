/**
 * XML Schema regular expressions (RELAX NG `<param name="pattern">`) read the way libxml2 reads them
 * (xmlregexp.c, xmlFAParseRegExp and below), translated to a JavaScript RegExp that matches the whole
 * value, code point by code point (the `u` flag), like libxml2's xmlRegexpExec.
 *
 * libvirt checks a definition with libxml2 (virt-xml-validate, define with VALIDATE), so what matters
 * is what libxml2 accepts, including where it departs from the XML Schema grammar:
 *  - `^` and `$` are ordinary characters, and so are `{` and `}` where no quantifier can start;
 *  - in a character class, an unescaped `-` that neither starts nor ends the class and does not start
 *    a subtraction is dropped (xmlFAParseCharRange), so `[a-z-_]` is `[a-z_]`;
 *  - a class is a list of ranges, each positive, negated (after `^`) or subtracted (inside `-[…]`,
 *    where a further `^` turns them positive again); a character matches when no negated or
 *    subtracted range contains it and a positive range contains it or the class has a negated range
 *    (xmlRegCheckCharacter);
 *  - `.` is any character but newline and carriage return; `\s` is space, tab, newline, carriage
 *    return; `\i` and `\c` are XML 1.0's name characters.
 * Unicode categories use JavaScript's (newer) tables; libxml2's are Unicode 4, which only matters for
 * characters assigned since.
 *
 * Not reproduced: libxml2's automaton mishandles some nested counted repetitions (libvirt's usbPort
 * pattern `((0x)?[0-9a-fA-F]{1,3}\.){0,3}(0x)?[0-9a-fA-F]{1,3}` lets it accept `1234` and `12345`);
 * here such a pattern means what it says.
 */
import XRegExp from 'xregexp';
import { xmlLetter, xmlNameChar } from 'salve-annos/lib/salve/datatypes/xmlcharacters.js';

export class PatternSyntaxError extends Error {}

/** One entry of a character class: a JavaScript class fragment matching one character, and its sign. */
interface Range {
  /** 0 positive, 1 negated (after `^`), 2 subtracted (inside `-[…]`), as libxml2's range->neg. */
  neg: number;
  fragment: string;
}

const CATEGORIES = new Set([
  'L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'M', 'Mn', 'Mc', 'Me', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Ps', 'Pe',
  'Pi', 'Pf', 'Po', 'Z', 'Zs', 'Zl', 'Zp', 'S', 'Sm', 'Sc', 'Sk', 'So', 'C', 'Cc', 'Cf', 'Co', 'Cn',
]);

const ANY_CHAR = '[^\\n\\r]';
const MULTI_CHAR: Record<string, string> = {
  s: '[ \\t\\n\\r]',
  S: '[^ \\t\\n\\r]',
  i: `[${xmlLetter}_:]`,
  I: `[^${xmlLetter}_:]`,
  c: `[${xmlNameChar}]`,
  C: `[^${xmlNameChar}]`,
  d: '\\p{Nd}',
  D: '\\P{Nd}',
  w: '[^\\p{P}\\p{Z}\\p{C}]',
  W: '[\\p{P}\\p{Z}\\p{C}]',
};
const SINGLE_ESCAPES = 'nrt\\|.?*+(){}-[]^';

function literal(codePoint: number): string {
  return `\\u{${codePoint.toString(16)}}`;
}

function charRange(start: number, end: number): string {
  return start === end ? `[${literal(start)}]` : `[${literal(start)}-${literal(end)}]`;
}

function escapeValue(c: string): number {
  if (c === 'n') return 0x0a;
  if (c === 'r') return 0x0d;
  if (c === 't') return 0x09;
  return c.codePointAt(0) ?? 0;
}

/** `\p{IsBlock}`: a block, through xregexp's block tables (BMP only). */
function block(name: string, negated: boolean): string {
  let source: string;
  try {
    source = XRegExp(`\\p{In${name}}`).source;
  } catch {
    throw new PatternSyntaxError(`unknown Unicode block ${name}`);
  }
  return negated ? `(?:(?!${source})[^])` : `(?:${source})`;
}

class Parser {
  private at = 0;
  private readonly chars: string[];

  constructor(readonly pattern: string) {
    this.chars = [...pattern];
  }

  private cur(): string {
    return this.chars[this.at] ?? '';
  }

  private next(offset = 1): string {
    return this.chars[this.at + offset] ?? '';
  }

  private error(message: string): never {
    throw new PatternSyntaxError(`${message} in pattern ${JSON.stringify(this.pattern)} at ${this.at}`);
  }

  parse(): string {
    const body = this.regExp();
    if (this.at < this.chars.length) this.error('extra characters');
    return `^(?:${body})$`;
  }

  /** regExp ::= branch ( '|' branch )* */
  private regExp(): string {
    const branches = [this.branch()];
    while (this.cur() === '|') {
      this.at++;
      branches.push(this.branch());
    }
    return branches.join('|');
  }

  /** branch ::= piece* (it ends where no atom starts: `|`, `)`, the end, or a stray metacharacter) */
  private branch(): string {
    let out = '';
    for (;;) {
      const atom = this.atom();
      if (atom === null) return out;
      out += this.quantified(atom);
    }
  }

  private quantified(atom: string): string {
    const c = this.cur();
    if (c === '?' || c === '*' || c === '+') {
      this.at++;
      return `(?:${atom})${c}`;
    }
    if (c !== '{') return atom;
    this.at++;
    const min = this.quantExact();
    let max = min;
    if (this.cur() === ',') {
      this.at++;
      max = this.cur() === '}' ? Infinity : this.quantExact();
    }
    if (this.cur() !== '}') this.error('unterminated quantifier');
    this.at++;
    // libxml2: {n,0} is {n}; a maximum below the minimum never matches.
    if (max === 0) max = min;
    if (max < min) return '(?!)';
    return `(?:${atom}){${min},${max === Infinity ? '' : max}}`;
  }

  private quantExact(): number {
    const start = this.at;
    while (/[0-9]/.test(this.cur())) this.at++;
    if (this.at === start) this.error('improper quantifier');
    const value = Number(this.chars.slice(start, this.at).join(''));
    if (value > 2147483647) this.error('improper quantifier');
    return value;
  }

  /** atom ::= Char | charClass | '(' regExp ')'; null where no atom starts. */
  private atom(): string | null {
    const c = this.cur();
    if (c === '' || c === '|' || c === ')') return null;
    if (c === '(') {
      this.at++;
      const inner = this.regExp();
      if (this.cur() !== ')') this.error("expecting ')'");
      this.at++;
      return `(?:${inner})`;
    }
    if (c === '[') return this.charClassExpr();
    if (c === '\\' || c === '.') return this.charClassEsc(null, 0);
    if ('?*+]'.includes(c)) return null;
    this.at++;
    return literal(c.codePointAt(0) ?? 0);
  }

  /** charClassEsc, outside a class (ranges null: returns the atom) or inside one (adds to ranges). */
  private charClassEsc(ranges: Range[] | null, neg: number): string {
    const add = (fragment: string): string => {
      ranges?.push({ neg, fragment });
      return fragment;
    };
    if (this.cur() === '.') {
      this.at++;
      return add(ANY_CHAR);
    }
    if (this.cur() !== '\\') this.error('expecting \\');
    this.at++;
    const c = this.cur();
    if (c === 'p' || c === 'P') {
      this.at++;
      if (this.cur() !== '{') this.error("expecting '{'");
      this.at++;
      const start = this.at;
      while (this.cur() !== '}' && this.cur() !== '') this.at++;
      if (this.cur() !== '}') this.error("expecting '}'");
      const name = this.chars.slice(start, this.at).join('');
      this.at++;
      if (CATEGORIES.has(name)) return add(`\\${c}{${name}}`);
      if (name.startsWith('Is') && name.length > 2) return add(block(name.slice(2), c === 'P'));
      this.error(`unknown property ${name}`);
    }
    if (SINGLE_ESCAPES.includes(c) && c !== '') {
      this.at++;
      return add(charRange(escapeValue(c), escapeValue(c)));
    }
    const multi = MULTI_CHAR[c];
    if (multi) {
      this.at++;
      return add(multi);
    }
    this.error('wrong escape sequence');
  }

  /** charClassExpr ::= '[' charGroup ']' */
  private charClassExpr(): string {
    this.at++;
    const ranges: Range[] = [];
    this.charGroup(ranges, 0);
    if (this.cur() !== ']') this.error("']' expected");
    this.at++;
    const positive = ranges.filter((r) => r.neg === 0).map((r) => r.fragment);
    const excluded = ranges.filter((r) => r.neg !== 0).map((r) => r.fragment);
    const hasNegated = ranges.some((r) => r.neg === 1);
    const guard = excluded.length > 0 ? `(?!${excluded.join('|')})` : '';
    const accept = hasNegated ? '[^]' : positive.length > 0 ? `(?:${positive.join('|')})` : '(?!)';
    return `(?:${guard}${accept})`;
  }

  /** xmlFAParseCharGroup, with its handling of `^` and `-[`. */
  private charGroup(ranges: Range[], neg: number): void {
    if (this.cur() === '^') {
      this.at++;
      this.posCharGroup(ranges, neg === 0 ? 1 : 0);
    }
    while (this.cur() !== ']' && this.cur() !== '') {
      if (this.cur() === '-' && this.next() === '[') {
        this.at += 2;
        this.charGroup(ranges, 2);
        if (this.cur() !== ']') this.error("charClassExpr: ']' expected");
        this.at++;
        break;
      }
      this.posCharGroup(ranges, neg);
    }
  }

  private posCharGroup(ranges: Range[], neg: number): void {
    do {
      if (this.cur() === '\\') this.charClassEsc(ranges, neg);
      else this.charRange(ranges, neg);
    } while (this.cur() !== ']' && this.cur() !== '-' && this.cur() !== '');
  }

  /** xmlFAParseCharRange, including the dropped `-`. */
  private charRange(ranges: Range[], neg: number): void {
    const c = this.cur();
    if (c === '') this.error("expecting ']'");
    if (c === '[' || c === ']') this.error('expecting a char range');
    const start = c.codePointAt(0) ?? 0;
    const previous = this.chars[this.at - 1] ?? '';
    if (c === '-' && this.next() !== ']' && previous !== '[' && previous !== '^') {
      this.at++;
      return;
    }
    this.at++;
    if (this.cur() !== '-' || this.next() === '[' || this.next() === ']') {
      ranges.push({ neg, fragment: charRange(start, start) });
      return;
    }
    this.at++;
    let end: number;
    if (this.cur() === '\\') {
      this.at++;
      if (!'nrt\\|.-^?*+{}()[]'.includes(this.cur()) || this.cur() === '') this.error('invalid escape value');
      end = escapeValue(this.cur());
    } else if (this.cur() !== '' && this.cur() !== '[' && this.cur() !== ']') {
      end = this.cur().codePointAt(0) ?? 0;
    } else {
      this.error('expecting the end of a char range');
    }
    if (end < start) this.error('end of range is before start of range');
    this.at++;
    ranges.push({ neg, fragment: charRange(start, end) });
  }
}

const cache = new Map<string, RegExp>();

/** The RegExp (anchored, `u` flag) for an XML Schema pattern as libxml2 reads it. */
export function libxml2Pattern(pattern: string): RegExp {
  let regexp = cache.get(pattern);
  if (!regexp) {
    regexp = new RegExp(new Parser(pattern).parse(), 'u');
    cache.set(pattern, regexp);
  }
  return regexp;
}
