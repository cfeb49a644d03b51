/**
 * A comment-preserving parser for libvirt's configuration files (qemu.conf, libvirtd.conf,
 * virtqemud.conf, …), following libvirt's own reader (src/util/virconf.c):
 *
 *   key = value        key: [A-Za-z_][A-Za-z0-9_.-]*
 *   value: "string" | 'string' | """multi-line string""" | [+-]digits | [ value, value, … ] (lists may
 *          span lines, hold comments and end with a trailing comma)
 *   after a value: blanks, an optional `;`, an optional `# comment`, end of line.
 *
 * The document is a list of nodes that each own their exact source text (entries, comments, blank
 * lines, unparsable lines), so serializing an unedited document gives back the identical bytes, and an
 * edit only replaces the text of the entry it touches.
 */

export type ConfValue =
  | { type: 'string'; value: string }
  | { type: 'int'; value: number; text: string }
  | { type: 'list'; items: ConfValue[] };

export interface ConfEntryNode {
  kind: 'entry';
  key: string;
  value: ConfValue;
  /** Source text from the start of the first line through the newline ending the statement. */
  text: string;
  /** 1-based first line. */
  line: number;
  /** 1-based last line (lists may span lines). */
  endLine: number;
}

export interface ConfTriviaNode {
  kind: 'trivia';
  /** A comment or blank line, with its newline. */
  text: string;
  line: number;
}

export interface ConfInvalidNode {
  kind: 'invalid';
  text: string;
  line: number;
  /** The key when the line starts like an entry. */
  key: string | null;
  message: string;
}

export type ConfNode = ConfEntryNode | ConfTriviaNode | ConfInvalidNode;

export interface ConfDocument {
  nodes: ConfNode[];
}

class ParseError extends Error {}

const KEY_START = /[A-Za-z_]/;
const KEY_CHAR = /[A-Za-z0-9_.-]/;

/** Character-level reader over the whole text, used for one statement at a time. */
class Reader {
  pos: number;
  constructor(
    readonly text: string,
    start: number,
  ) {
    this.pos = start;
  }
  ch(): string {
    return this.text[this.pos] ?? '';
  }
  skipBlanks(): void {
    while (this.ch() === ' ' || this.ch() === '\t') this.pos++;
  }
  /** Blanks, newlines and comments (inside lists). */
  skipBlanksEolComments(): void {
    for (;;) {
      const c = this.ch();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#') while (this.pos < this.text.length && this.ch() !== '\n') this.pos++;
      else return;
    }
  }
  parseValue(): ConfValue {
    const c = this.ch();
    if (c === '"' || c === "'") return this.parseString();
    if (c === '[') return this.parseList();
    if (c === '-' || c === '+' || /[0-9]/.test(c)) return this.parseInt();
    if (c === '' || c === '\n') throw new ParseError('a value is missing after "="');
    throw new ParseError(
      `a value must be a "string", a number or a [ list ], not ${JSON.stringify(this.rest(12))}`,
    );
  }
  private rest(n: number): string {
    const end = this.text.indexOf('\n', this.pos);
    return this.text.slice(this.pos, Math.min(end < 0 ? this.text.length : end, this.pos + n));
  }
  private parseString(): ConfValue {
    const quote = this.ch();
    if (quote === '"' && this.text.startsWith('"""', this.pos)) {
      const end = this.text.indexOf('"""', this.pos + 3);
      if (end < 0) throw new ParseError('unterminated """string"""');
      const value = this.text.slice(this.pos + 3, end);
      this.pos = end + 3;
      return { type: 'string', value };
    }
    let end = this.pos + 1;
    while (end < this.text.length && this.text[end] !== quote && this.text[end] !== '\n') end++;
    if (this.text[end] !== quote) throw new ParseError(`unterminated string (missing closing ${quote})`);
    const value = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return { type: 'string', value };
  }
  private parseInt(): ConfValue {
    const start = this.pos;
    if (this.ch() === '-' || this.ch() === '+') this.pos++;
    const digits = this.pos;
    while (/[0-9]/.test(this.ch())) this.pos++;
    if (this.pos === digits) throw new ParseError('a number needs digits');
    if (this.ch() !== '' && /[A-Za-z_.]/.test(this.ch()))
      throw new ParseError(
        `not a number: ${JSON.stringify(this.text.slice(start, this.pos + 1))}… (strings need quotes)`,
      );
    const text = this.text.slice(start, this.pos);
    return { type: 'int', value: Number(text), text };
  }
  private parseList(): ConfValue {
    this.pos++; // [
    const items: ConfValue[] = [];
    this.skipBlanksEolComments();
    if (this.ch() === ']') {
      this.pos++;
      return { type: 'list', items };
    }
    for (;;) {
      if (this.pos >= this.text.length) throw new ParseError('unterminated list (missing "]")');
      items.push(this.parseValue());
      this.skipBlanksEolComments();
      if (this.ch() === ',') {
        this.pos++;
        this.skipBlanksEolComments();
        if (this.ch() === ']') {
          this.pos++;
          return { type: 'list', items };
        }
        continue;
      }
      if (this.ch() === ']') {
        this.pos++;
        return { type: 'list', items };
      }
      if (this.pos >= this.text.length) throw new ParseError('unterminated list (missing "]")');
      throw new ParseError(`expected "," or "]" in the list, found ${JSON.stringify(this.ch())}`);
    }
  }
}

function lineEnd(text: string, pos: number): number {
  const nl = text.indexOf('\n', pos);
  return nl < 0 ? text.length : nl + 1;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Parses a whole file. Never throws: lines it cannot read become `invalid` nodes with a message. */
export function parseConf(text: string): ConfDocument {
  const nodes: ConfNode[] = [];
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const end = lineEnd(text, pos);
    const lineText = text.slice(pos, end);
    const trimmed = lineText.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      nodes.push({ kind: 'trivia', text: lineText, line });
      pos = end;
      line++;
      continue;
    }
    const reader = new Reader(text, pos);
    reader.skipBlanks();
    let key: string | null = null;
    try {
      if (!KEY_START.test(reader.ch()))
        throw new ParseError('a setting must start with a name (letters, digits, "_")');
      const keyStart = reader.pos;
      while (KEY_CHAR.test(reader.ch())) reader.pos++;
      key = text.slice(keyStart, reader.pos);
      reader.skipBlanks();
      if (reader.ch() !== '=') throw new ParseError(`expected "=" after ${key}`);
      reader.pos++;
      reader.skipBlanks();
      const value = reader.parseValue();
      reader.skipBlanks();
      if (reader.ch() === ';') {
        reader.pos++;
        reader.skipBlanks();
      }
      if (reader.ch() === '#') while (reader.pos < text.length && reader.ch() !== '\n') reader.pos++;
      if (reader.ch() === '\r') reader.pos++;
      if (reader.ch() !== '\n' && reader.pos < text.length) {
        throw new ParseError(
          `unexpected ${JSON.stringify(text.slice(reader.pos, lineEnd(text, reader.pos)).trimEnd())} after the value`,
        );
      }
      const stop = reader.pos < text.length ? reader.pos + 1 : reader.pos;
      const lines = countNewlines(text, pos, reader.pos);
      nodes.push({ kind: 'entry', key, value, text: text.slice(pos, stop), line, endLine: line + lines });
      line += lines + 1;
      pos = stop;
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      nodes.push({ kind: 'invalid', text: lineText, line, key, message: error.message });
      pos = end;
      line++;
    }
  }
  return { nodes };
}

export function serializeConf(doc: ConfDocument): string {
  return doc.nodes.map((node) => node.text).join('');
}

// ---- values ---------------------------------------------------------------------------------------

/** What a form edits: the JSON-friendly form of a value. */
export type PlainValue = string | number | boolean | string[];

/** A value as libvirt's files write it (`"a"`, `1`, `[ "a", "b" ]`). */
export function formatValue(value: PlainValue, multiline = false): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a whole number`);
    return String(value);
  }
  if (typeof value === 'string') {
    if (value.includes('"') || value.includes('\n'))
      throw new RangeError('a string may not contain " or a line break');
    return `"${value}"`;
  }
  const items = value.map((item) => formatValue(item));
  if (items.length === 0) return '[ ]';
  const inline = `[ ${items.join(', ')} ]`;
  if (!multiline && inline.length <= 72) return inline;
  return `[\n${items.map((item) => `    ${item}`).join(',\n')}\n]`;
}

// ---- commented-out settings: the shipped documentation ---------------------------------------------

export interface ConfDocBlock {
  key: string;
  /** The comment text above the commented-out setting, without the leading "# ". */
  doc: string;
  /** The commented-out example as written (e.g. `"0.0.0.0"` or a list), without "#". */
  example: string;
  /** Index of the node holding the last line of the commented-out example (insertion point). */
  afterNode: number;
}

const COMMENTED_SETTING = /^#([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;

/**
 * The commented-out settings (`#vnc_listen = "0.0.0.0"`, lists spanning `#…` lines) and the comment
 * block above each: what the shipped file documents. The first occurrence of each key wins.
 */
export function commentedSettings(doc: ConfDocument): Map<string, ConfDocBlock> {
  const blocks = new Map<string, ConfDocBlock>();
  const nodes = doc.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (node?.kind !== 'trivia') continue;
    const match = COMMENTED_SETTING.exec(node.text.trimEnd());
    if (!match) continue;
    const key = match[1] as string;
    let example = (match[2] as string).trim();
    let last = i;
    // A commented-out list continues on "#   …" lines until the one with "]".
    if (example.startsWith('[') && !example.includes(']')) {
      for (let j = i + 1; j < nodes.length; j++) {
        const next = nodes[j];
        if (next?.kind !== 'trivia' || !next.text.startsWith('#')) break;
        example += `\n${next.text.slice(1).trimEnd()}`;
        last = j;
        if (next.text.includes(']')) break;
      }
    }
    const docLines: string[] = [];
    // Settings commented out one after the other share the block above them (#max_processes, #max_files).
    let above = i - 1;
    while (
      above >= 0 &&
      nodes[above]?.kind === 'trivia' &&
      COMMENTED_SETTING.test(nodes[above]?.text.trimEnd() ?? '')
    )
      above--;
    for (let j = above; j >= 0; j--) {
      const prev = nodes[j];
      if (prev?.kind !== 'trivia') break;
      const t = prev.text.trimEnd();
      if (!t.startsWith('#') || COMMENTED_SETTING.test(t)) break;
      docLines.unshift(t.replace(/^# ?/, ''));
    }
    while (docLines.length > 0 && docLines[docLines.length - 1]?.trim() === '') docLines.pop();
    while (docLines.length > 0 && docLines[0]?.trim() === '') docLines.shift();
    if (!blocks.has(key)) blocks.set(key, { key, doc: docLines.join('\n'), example, afterNode: last });
    i = last;
  }
  return blocks;
}

/** The value of a commented-out example, when it parses. */
export function parseExample(example: string): ConfValue | null {
  const doc = parseConf(`x = ${example}\n`);
  const node = doc.nodes[0];
  return node?.kind === 'entry' && doc.nodes.length === 1 ? node.value : null;
}

// ---- edits -----------------------------------------------------------------------------------------

function entryPrefix(text: string): string {
  return /^[ \t]*/.exec(text)?.[0] ?? '';
}

/** The `# comment` after an entry's value on its last line, kept when the value changes. */
function trailingComment(node: ConfEntryNode): string {
  const lastLine =
    node.text
      .replace(/\r?\n$/, '')
      .split('\n')
      .pop() ?? '';
  // Only a comment that follows a closing quote, bracket or digit, not a # inside a string.
  const match = /(["'\]0-9])([ \t]*;?[ \t]*#.*)$/.exec(lastLine);
  if (!match) return '';
  const before = lastLine.slice(0, lastLine.length - (match[2] as string).length);
  const quotes = (before.match(/"/g) ?? []).length;
  return quotes % 2 === 0 ? (match[2] as string) : '';
}

function newline(doc: ConfDocument): string {
  return doc.nodes.some((n) => n.text.endsWith('\r\n')) ? '\r\n' : '\n';
}

/**
 * Sets `key` to `value`, or removes it (value null: libvirt's default applies again).
 * - An existing entry keeps its place, indentation and trailing comment; later duplicates are left as
 *   they are (libvirt reads the first).
 * - A new entry goes right below its commented-out example in the shipped documentation, or at the end.
 * Returns a new document; the input is not changed.
 */
export function setConfValue(doc: ConfDocument, key: string, value: PlainValue | null): ConfDocument {
  const nodes = [...doc.nodes];
  const nl = newline(doc);
  const index = nodes.findIndex((n) => (n.kind === 'entry' || n.kind === 'invalid') && n.key === key);
  if (value === null) {
    return { nodes: nodes.filter((n) => !((n.kind === 'entry' || n.kind === 'invalid') && n.key === key)) };
  }
  const existing = index >= 0 ? nodes[index] : undefined;
  const multiline =
    existing?.kind === 'entry' && existing.value.type === 'list' && existing.endLine > existing.line;
  const formatted = `${key} = ${formatValue(value, multiline)}`.replace(/\n/g, nl);
  if (existing) {
    const prefix = entryPrefix(existing.text);
    const comment = existing.kind === 'entry' ? trailingComment(existing) : '';
    const endsWithNl = /\n$/.test(existing.text);
    nodes[index] = reparse(`${prefix}${formatted}${comment}${endsWithNl ? nl : ''}`, existing.line);
    return renumber({ nodes });
  }
  const docs = commentedSettings(doc).get(key);
  const created = reparse(`${formatted}${nl}`, 0);
  if (docs) {
    nodes.splice(docs.afterNode + 1, 0, created);
  } else {
    const last = nodes[nodes.length - 1];
    if (last && !/\n$/.test(last.text))
      nodes[nodes.length - 1] = { ...last, text: `${last.text}${nl}` } as ConfNode;
    const lastTrimmed = nodes[nodes.length - 1]?.text.trim();
    if (nodes.length > 0 && lastTrimmed !== '') nodes.push({ kind: 'trivia', text: nl, line: 0 });
    nodes.push(created);
  }
  return renumber({ nodes });
}

function reparse(text: string, line: number): ConfNode {
  const node = parseConf(text).nodes[0];
  if (!node || node.kind !== 'entry') throw new Error(`internal: cannot re-read ${JSON.stringify(text)}`);
  return { ...node, line };
}

/** Recomputes line numbers after an edit. */
function renumber(doc: ConfDocument): ConfDocument {
  let line = 1;
  const nodes = doc.nodes.map((node) => {
    const lines = countNewlines(node.text, 0, node.text.length) + (node.text.endsWith('\n') ? 0 : 1);
    const copy =
      node.kind === 'entry' ? { ...node, line, endLine: line + Math.max(0, lines - 1) } : { ...node, line };
    line += lines;
    return copy;
  });
  return { nodes };
}

/** A parsed value as a form sees it (lists of non-strings are kept as their text). */
export function plainValue(value: ConfValue): PlainValue {
  if (value.type === 'string') return value.value;
  if (value.type === 'int') return value.value;
  return value.items.map((item) =>
    item.type === 'string' ? item.value : item.type === 'int' ? item.text : '[…]',
  );
}
