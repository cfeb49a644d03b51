/**
 * One host's domain schema (libvirt's domain.rng and its includes, compiled by salve) and what the
 * editor asks of it: validation with positions, completion and hover at an offset.
 *
 * The document is read with saxes (the parser salve itself uses); each start tag, attribute, text run
 * and end tag becomes one salve event, and every error salve reports is placed on the construct whose
 * event produced it (the element name, the attribute, the text, the end tag).
 */
import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';
import type {
  DomainXmlCompletion,
  DomainXmlHover,
  DomainXmlProblem,
} from '../../../preload/api-contract';
import { DefaultNameResolver, type EventSet, type Grammar, type GrammarWalker, type NamePattern, type ValidationError } from './salve';
import { TextIndex } from './text-index';

const MAX_PROBLEMS = 100;
const XMLNS_URI = 'http://www.w3.org/2000/xmlns/';
const NAME = /[A-Za-z_][\w.:-]*/;

type Walker = GrammarWalker<DefaultNameResolver>;

interface Span {
  from: number;
  to: number;
}

/** An element being read; once one of its events had an error, its further errors are consequences. */
interface OpenElement {
  name: string;
  start: number;
  errored: boolean;
}

/** Feeds a document (or the start of one) to a salve walker, tracking where each event came from. */
class EventDriver {
  readonly index: TextIndex;
  readonly walker: Walker;
  readonly resolver = new DefaultNameResolver();
  readonly problems: DomainXmlProblem[] = [];
  wellFormednessError: DomainXmlProblem | null = null;
  /** Namespace URI → prefix, from every xmlns declaration seen (for messages and completion). */
  readonly prefixes = new Map<string, string>([['', '']]);
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  private text = '';
  private textSpan: Span | null = null;
  private tagStart = 0;
  private readonly open: OpenElement[] = [];

  constructor(
    grammar: Grammar,
    readonly source: string,
    private readonly collect: boolean,
  ) {
    this.index = new TextIndex(source);
    this.walker = grammar.newWalker(this.resolver);
    const parser = this.parser;
    parser.on('error', (error) => {
      if (this.wellFormednessError) return;
      const message = error.message.replace(/^\d+:\d+:\s*/, '');
      const at = this.index.offsetAtCodePointColumn(parser.line, parser.column);
      this.wellFormednessError = {
        kind: 'well-formedness',
        message,
        ...this.index.range(Math.max(0, at - 1), at),
        located: true,
      };
    });
    parser.on('opentagstart', (tag) => {
      this.flushText();
      // opentagstart fires after the character that ends the name.
      this.tagStart = this.index.fromCodePoints(parser.position - tag.name.length - 2);
    });
    parser.on('opentag', (tag) => this.openTag(tag as SaxesTagNS));
    parser.on('text', (text) => this.addText(text, this.index.fromCodePoints(parser.position - 1)));
    parser.on('cdata', (text) => this.addText(text, this.index.fromCodePoints(parser.position)));
    parser.on('closetag', (tag) => this.closeTag(tag as SaxesTagNS));
  }

  /** Feeds `length` characters of the source (all of it by default). */
  feed(length = this.source.length): this {
    this.parser.write(this.source.slice(0, length));
    return this;
  }

  finish(): this {
    this.parser.close();
    this.flushText();
    if (!this.wellFormednessError) {
      const end = this.source.length;
      this.report(this.walker.end(), { from: Math.max(0, end - 1), to: end });
    }
    return this;
  }

  get depth(): number {
    return this.open.length;
  }

  currentElement(): string | null {
    return this.open.at(-1)?.name ?? null;
  }

  displayName(pattern: NamePattern): string {
    const names = pattern.toArray();
    if (!names) return pattern.toString();
    return names.map((name) => this.qualified(name.ns, name.name)).join(' | ');
  }

  qualified(ns: string, local: string): string {
    const prefix = this.prefixes.get(ns);
    if (prefix === undefined) return `{${ns}}${local}`;
    return prefix ? `${prefix}:${local}` : local;
  }

  /** Fires an event; its errors are placed on `span` (only the first errors of each element). */
  fire(name: string, params: string[], span: Span, owner: OpenElement | null = null, detail = ''): void {
    if (this.wellFormednessError) return;
    const result = this.walker.fireEvent(name, params);
    if (owner?.errored) return;
    if (this.report(result, span, detail) && owner) owner.errored = true;
  }

  private report(result: false | undefined | readonly ValidationError[], span: Span, detail = ''): boolean {
    if (!result || result.length === 0) return false;
    if (!this.collect || this.problems.length >= MAX_PROBLEMS) return true;
    for (const error of result) {
      const message = error.toStringWithNames(error.getNames().map((name) => this.displayName(name))) + detail;
      this.problems.push({ kind: 'schema', message, ...this.index.range(span.from, span.to), located: true });
    }
    return true;
  }

  private addText(text: string, end: number): void {
    if (!text) return;
    if (!this.textSpan) this.textSpan = { from: Math.max(0, end - text.length), to: end };
    else this.textSpan.to = end;
    this.text += text;
  }

  private flushText(): void {
    if (this.text && this.textSpan) {
      // Whitespace between elements is fired too: salve decides where it matters.
      const trimmed = this.text.trim();
      const span = trimmed ? this.trimmed(this.textSpan) : this.textSpan;
      const detail = trimmed ? `: "${trimmed.length > 40 ? `${trimmed.slice(0, 40)}…` : trimmed}"` : '';
      this.fire('text', [this.text], span, this.open.at(-1) ?? null, detail);
    }
    this.text = '';
    this.textSpan = null;
  }

  private trimmed(span: Span): Span {
    let { from, to } = span;
    while (from < to && /\s/.test(this.source[from] ?? '')) from++;
    while (to > from && /\s/.test(this.source[to - 1] ?? '')) to--;
    return { from, to };
  }

  private openTag(tag: SaxesTagNS): void {
    const end = this.index.fromCodePoints(this.parser.position);
    const start = this.tagStart;
    const tagText = this.source.slice(start, end);
    for (const [prefix, uri] of Object.entries(tag.ns ?? {})) if (!this.prefixes.has(uri)) this.prefixes.set(uri, prefix);
    this.resolver.enterContextWithMapping(tag.ns ?? {});
    const nameSpan = { from: start, to: start + 1 + tag.name.length };
    const element: OpenElement = { name: tag.name, start, errored: false };
    this.fire('enterStartTag', [tag.uri, tag.local], nameSpan, element);
    for (const attribute of Object.values(tag.attributes) as SaxesAttributeNS[]) {
      if (attribute.uri === XMLNS_URI || attribute.name === 'xmlns' || attribute.prefix === 'xmlns') continue;
      const span = attributeSpan(tagText, attribute.name, start) ?? nameSpan;
      this.fire('attributeName', [attribute.uri, attribute.local], span, element);
      this.fire('attributeValue', [attribute.value], span, element);
    }
    this.fire('leaveStartTag', [], { from: start, to: end }, element);
    this.open.push(element);
  }

  private closeTag(tag: SaxesTagNS): void {
    this.flushText();
    const element = this.open.pop();
    const end = this.index.fromCodePoints(this.parser.position);
    const span = tag.isSelfClosing
      ? { from: element?.start ?? end, to: end }
      : { from: Math.max(0, this.source.lastIndexOf('</', end)), to: end };
    this.fire('endTag', [tag.uri, tag.local], span, element ?? null);
    this.resolver.leaveContext();
  }
}

/** Where `name="…"` sits inside a start tag's text (offsets in the document). */
function attributeSpan(tagText: string, name: string, tagStart: number): Span | null {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`\\s(${escaped})\\s*=\\s*("[^"]*"|'[^']*')`).exec(tagText);
  if (!match) return null;
  const from = tagStart + match.index + 1;
  return { from, to: from + match[0].length - 1 };
}

/** Attributes written in a (possibly unfinished) start tag. */
function writtenAttributes(tagText: string): Array<{ name: string; value: string }> {
  const found: Array<{ name: string; value: string }> = [];
  for (const match of tagText.matchAll(/\s([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    found.push({ name: match[1] ?? '', value: match[2] ?? match[3] ?? '' });
  }
  return found;
}

interface TagContext {
  /** Offset of the tag's `<`. */
  start: number;
  name: string;
  /** The start tag's text from `<` up to (not including) the cursor. */
  before: string;
}

/** The start tag the offset is in (between `<name` and `>`), if any. */
function startTagAt(source: string, offset: number): TagContext | null {
  const before = source.slice(0, offset);
  const lt = before.lastIndexOf('<');
  if (lt < 0 || before.lastIndexOf('>') > lt) return null;
  const text = before.slice(lt);
  const name = new RegExp(`^<(${NAME.source})`).exec(text)?.[1];
  if (!name) return null;
  return { start: lt, name, before: text };
}

function insideComment(before: string): boolean {
  const open = before.lastIndexOf('<!--');
  return open >= 0 && before.indexOf('-->', open) < 0;
}

function possibleNames(events: EventSet, kind: 'enterStartTag' | 'attributeName'): Array<{ ns: string; name: string }> {
  const names: Array<{ ns: string; name: string }> = [];
  for (const event of events) {
    if (event.name !== kind) continue;
    const list = (event.param as NamePattern).toArray();
    if (list) for (const name of list) names.push({ ns: name.ns, name: name.name });
  }
  return names;
}

function possibleValues(events: EventSet, kind: 'attributeValue' | 'text'): { values: string[]; patterns: string[] } {
  const values: string[] = [];
  const patterns: string[] = [];
  for (const event of events) {
    if (event.name !== kind) continue;
    const value = event.param as string | RegExp;
    if (typeof value === 'string') values.push(value);
    else patterns.push(value.source);
  }
  return { values: [...new Set(values)].sort(), patterns: [...new Set(patterns)] };
}

export class DomainSchema {
  constructor(
    readonly grammar: Grammar,
    readonly libvirtVersion: string,
  ) {}

  /**
   * Well-formedness first (the first error, at its line and column); when well-formed, every schema
   * error salve finds, each at the construct it is about.
   */
  validate(xml: string): DomainXmlProblem[] {
    const driver = new EventDriver(this.grammar, xml, true).feed().finish();
    if (driver.wellFormednessError) return [driver.wellFormednessError];
    return driver.problems;
  }

  /** Completion at `offset`: element names after `<`, attribute names and enumerated values in a start tag. */
  complete(xml: string, offset: number): DomainXmlCompletion[] {
    const before = xml.slice(0, offset);
    if (insideComment(before)) return [];
    const lt = before.lastIndexOf('<');
    const inTag = lt >= 0 && before.lastIndexOf('>') < lt;
    if (inTag) {
      const tagText = before.slice(lt);
      const partialElement = /^<([A-Za-z_][\w.:-]*)?$/.exec(tagText);
      if (partialElement) return this.elementItems(xml, lt, lt + 1, offset, '');
      if (/^<\/[\w.:-]*$/.test(tagText)) {
        const driver = new EventDriver(this.grammar, xml, false).feed(lt);
        const name = driver.currentElement();
        return name
          ? [{ label: `/${name}`, kind: 'closing-tag', insertText: `/${name}>`, snippet: false, detail: '', from: lt + 1, to: offset }]
          : [];
      }
      const tag = startTagAt(xml, offset);
      if (!tag) return [];
      const valueMatch = /\s([A-Za-z_][\w.:-]*)\s*=\s*(["'])([^"']*)$/.exec(tag.before);
      if (valueMatch) {
        const attribute = valueMatch[1] ?? '';
        const typed = valueMatch[3] ?? '';
        const withoutCurrent = tag.before.slice(0, valueMatch.index);
        const driver = this.insideStartTag(xml, tag, withoutCurrent);
        if (!driver) return [];
        driver.fire('attributeName', this.resolveAttribute(driver, attribute), { from: 0, to: 0 });
        const { values } = possibleValues(driver.walker.possible(), 'attributeValue');
        return values.map((value) => ({
          label: value,
          kind: 'value' as const,
          insertText: value,
          snippet: false,
          detail: attribute,
          from: offset - typed.length,
          to: offset,
        }));
      }
      const nameMatch = /\s([A-Za-z_][\w.:-]*)?$/.exec(tag.before);
      if (!nameMatch) return [];
      const typed = nameMatch[1] ?? '';
      const driver = this.insideStartTag(xml, tag, tag.before.slice(0, tag.before.length - typed.length));
      if (!driver) return [];
      const present = new Set(writtenAttributes(this.wholeStartTag(xml, tag.start)).map((a) => a.name));
      return possibleNames(driver.walker.possible(), 'attributeName')
        .filter((name) => driver.prefixes.has(name.ns))
        .map((name) => driver.qualified(name.ns, name.name))
        .filter((name) => !present.has(name))
        .sort()
        .map((name) => ({
          label: name,
          kind: 'attribute' as const,
          insertText: `${name}="$1"`,
          snippet: true,
          detail: tag.name,
          from: offset - typed.length,
          to: offset,
        }));
    }
    // In content: offer `<name` for every element allowed here.
    const word = /[A-Za-z_][\w.:-]*$/.exec(before)?.[0] ?? '';
    return this.elementItems(xml, offset - word.length, offset - word.length, offset, '<');
  }

  /** Hover on an element or attribute name: what the schema allows there. */
  hover(xml: string, offset: number): DomainXmlHover | null {
    // Find the tag around the offset, including the part after it.
    const lt = xml.lastIndexOf('<', offset);
    if (lt < 0 || xml.lastIndexOf('>', offset - 1) > lt) return null;
    const close = xml.indexOf('>', lt);
    const tagText = xml.slice(lt, close < 0 ? xml.length : close + 1);
    const nameMatch = new RegExp(`^<(${NAME.source})`).exec(tagText);
    if (!nameMatch) return null;
    const name = nameMatch[1] ?? '';
    const tag: TagContext = { start: lt, name, before: tagText };
    const relative = offset - lt;
    if (relative <= name.length + 1) {
      const driver = this.insideStartTag(xml, tag, `<${name}`);
      if (!driver) return null;
      const attributes = possibleNames(driver.walker.possible(), 'attributeName')
        .filter((n) => driver.prefixes.has(n.ns))
        .map((n) => driver.qualified(n.ns, n.name))
        .sort();
      for (const attribute of writtenAttributes(tagText)) {
        driver.fire('attributeName', this.resolveAttribute(driver, attribute.name), { from: 0, to: 0 });
        driver.fire('attributeValue', [attribute.value], { from: 0, to: 0 });
      }
      driver.fire('leaveStartTag', [], { from: 0, to: 0 });
      const possible = driver.walker.possible();
      const childNames = possibleNames(possible, 'enterStartTag')
        .filter((n) => driver.prefixes.has(n.ns))
        .map((n) => `<${driver.qualified(n.ns, n.name)}>`);
      const text = possibleValues(possible, 'text');
      const lines = [`**<${name}>** — libvirt ${this.libvirtVersion} schema`];
      lines.push(attributes.length ? `Attributes: ${attributes.join(', ')}` : 'No attributes');
      if (childNames.length) lines.push(`May contain: ${[...new Set(childNames)].sort().join(', ')}`);
      if (text.values.length) lines.push(`Values: ${text.values.join(' | ')}`);
      else if (text.patterns.length) lines.push(`Text matching: \`${text.patterns[0]}\``);
      return { markdown: lines.join('\n\n'), from: lt + 1, to: lt + 1 + name.length };
    }
    const attributes = [...tagText.matchAll(/\s([A-Za-z_][\w.:-]*)\s*=/g)];
    const hit = attributes.find((m) => relative >= m.index + 1 && relative <= m.index + 1 + (m[1] ?? '').length);
    if (!hit) return null;
    const attribute = hit[1] ?? '';
    const driver = this.insideStartTag(xml, tag, `<${name}`);
    if (!driver) return null;
    driver.fire('attributeName', this.resolveAttribute(driver, attribute), { from: 0, to: 0 });
    const { values, patterns } = possibleValues(driver.walker.possible(), 'attributeValue');
    const lines = [`**${attribute}** on <${name}> — libvirt ${this.libvirtVersion} schema`];
    if (values.length) lines.push(`Values: ${values.join(' | ')}`);
    else if (patterns.length) lines.push(`Value matching: \`${patterns[0]}\``);
    else lines.push('Free text');
    const from = lt + hit.index + 1;
    return { markdown: lines.join('\n\n'), from, to: from + attribute.length };
  }

  private elementItems(xml: string, feedTo: number, from: number, to: number, prefix: string): DomainXmlCompletion[] {
    const driver = new EventDriver(this.grammar, xml, false).feed(feedTo);
    if (driver.wellFormednessError) return [];
    const parent = driver.currentElement();
    const names = possibleNames(driver.walker.possible(), 'enterStartTag')
      .filter((name) => driver.prefixes.has(name.ns))
      .map((name) => driver.qualified(name.ns, name.name));
    return [...new Set(names)].sort().map((name) => ({
      label: name,
      kind: 'element' as const,
      insertText: `${prefix}${name}`,
      snippet: false,
      detail: parent ? `in <${parent}>` : 'root element',
      from,
      to,
    }));
  }

  /** A driver fed up to the tag's `<`, then the tag's name and the attributes written in `written`. */
  private insideStartTag(xml: string, tag: TagContext, written: string): EventDriver | null {
    const driver = new EventDriver(this.grammar, xml, false).feed(tag.start);
    if (driver.wellFormednessError) return null;
    const declared: Record<string, string> = {};
    const attributes = writtenAttributes(written);
    for (const attribute of attributes) {
      if (attribute.name === 'xmlns') declared[''] = attribute.value;
      else if (attribute.name.startsWith('xmlns:')) declared[attribute.name.slice(6)] = attribute.value;
    }
    driver.resolver.enterContextWithMapping(declared);
    for (const [prefix, uri] of Object.entries(declared)) if (!driver.prefixes.has(uri)) driver.prefixes.set(uri, prefix);
    const [uri, local] = this.resolveElement(driver, tag.name);
    driver.fire('enterStartTag', [uri, local], { from: 0, to: 0 });
    for (const attribute of attributes) {
      if (attribute.name === 'xmlns' || attribute.name.startsWith('xmlns:')) continue;
      driver.fire('attributeName', this.resolveAttribute(driver, attribute.name), { from: 0, to: 0 });
      driver.fire('attributeValue', [attribute.value], { from: 0, to: 0 });
    }
    return driver;
  }

  private resolveElement(driver: EventDriver, qname: string): [string, string] {
    const colon = qname.indexOf(':');
    return [driver.resolver.resolveName(qname)?.ns ?? '', colon < 0 ? qname : qname.slice(colon + 1)];
  }

  private resolveAttribute(driver: EventDriver, qname: string): [string, string] {
    const colon = qname.indexOf(':');
    if (colon < 0) return ['', qname];
    return [driver.resolver.resolveName(qname, true)?.ns ?? '', qname.slice(colon + 1)];
  }

  private wholeStartTag(xml: string, start: number): string {
    const end = xml.indexOf('>', start);
    return xml.slice(start, end < 0 ? xml.length : end + 1);
  }
}
