/**
 * Tokenizer for XDR specification files.
 *
 * - `/* ... *\/` comments are skipped (C semantics: the first `*\/` ends a comment); the text of a
 *   `/** ... *\/` comment is attached to the next token as `doc` (libvirt's procedure annotations).
 * - `%` lines (rpcgen pass-through to C) are skipped.
 * - `//` line comments are skipped too (not rpcgen, but harmless).
 * - Numbers: decimal, hex (`0x`), octal (leading `0`), optionally negative.
 */

export type TokenKind = 'ident' | 'number' | 'punct';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
  readonly column: number;
  /** The `/** ... *\/` comment immediately before this token (no other token between). */
  readonly doc: string | null;
}

export class XdrSyntaxError extends Error {
  override readonly name = 'XdrSyntaxError';
  constructor(file: string, line: number, column: number, message: string) {
    super(`${file}:${line}:${column}: ${message}`);
  }
}

const PUNCT = new Set([';', '=', '{', '}', ',', '[', ']', '<', '>', '*', '(', ')', ':']);

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

export function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let doc: string | null = null;
  const n = source.length;
  const err = (msg: string, at = i): XdrSyntaxError =>
    new XdrSyntaxError(file, line, at - lineStart + 1, msg);

  while (i < n) {
    const c = source[i] as string;
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    // '%' pass-through line: only where it starts a line (after optional blanks).
    if (c === '%' && source.slice(lineStart, i).trim() === '') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const startLine = line;
      const startCol = i - lineStart + 1;
      const close = source.indexOf('*/', i + 2);
      if (close < 0) throw new XdrSyntaxError(file, startLine, startCol, 'unterminated comment');
      const text = source.slice(i, close + 2);
      for (let k = i; k < close + 2; k++) {
        if (source[k] === '\n') {
          line++;
          lineStart = k + 1;
        }
      }
      i = close + 2;
      doc = text.startsWith('/**') && text.length > 4 ? text : null;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    const column = i - lineStart + 1;
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(source[j] as string)) j++;
      tokens.push({ kind: 'ident', text: source.slice(i, j), line, column, doc });
      doc = null;
      i = j;
      continue;
    }
    if (isDigit(c) || (c === '-' && isDigit(source[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && /[0-9a-fA-FxX]/.test(source[j] as string)) j++;
      const text = source.slice(i, j);
      if (!/^-?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(text)) throw err(`bad number '${text}'`);
      tokens.push({ kind: 'number', text, line, column, doc });
      doc = null;
      i = j;
      continue;
    }
    if (PUNCT.has(c)) {
      tokens.push({ kind: 'punct', text: c, line, column, doc });
      doc = null;
      i++;
      continue;
    }
    throw err(`unexpected character '${c}'`);
  }
  return tokens;
}

/** Parses an XDR integer literal (decimal, 0x hex, 0 octal, optional '-'). */
export function parseIntegerLiteral(text: string): bigint {
  const neg = text.startsWith('-');
  const body = neg ? text.slice(1) : text;
  let v: bigint;
  if (/^0[xX]/.test(body)) v = BigInt(body);
  else if (body.length > 1 && body.startsWith('0')) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  return neg ? -v : v;
}
