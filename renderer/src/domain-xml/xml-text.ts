/**
 * Text-level work on a domain XML document in the editor: the well-formedness check that runs on every
 * keystroke, the device list with each device's exact text range, splicing an edited device back in
 * (every other character of the document stays as it was), and placing libvirt's error message on a line.
 *
 * Splicing works on the text, not on a re-serialised DOM: comments, attribute quoting, whitespace,
 * foreign namespaces and elements VirtDeck does not know all survive byte for byte.
 */
import { SaxesParser } from 'saxes';
import type { DomainXmlProblem } from '../../../preload/api-contract';

/** Code-point positions (what saxes counts) → UTF-16 offsets (what JavaScript and Monaco count). */
function codePointMapper(text: string): (codePoints: number) => number {
  if (!/[\uD800-\uDBFF]/.test(text)) return (n) => Math.max(0, Math.min(n, text.length));
  const offsets: number[] = [];
  for (let i = 0; i < text.length; i++) {
    offsets.push(i);
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) i++;
  }
  offsets.push(text.length);
  return (n) => offsets[Math.max(0, Math.min(n, offsets.length - 1))] ?? text.length;
}

export function positionAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lastNewline = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: before.length - lastNewline };
}

function problemAt(text: string, from: number, to: number, kind: DomainXmlProblem['kind'], message: string): DomainXmlProblem {
  const start = positionAt(text, from);
  const end = positionAt(text, Math.max(from, to));
  return { kind, message, line: start.line, column: start.column, endLine: end.line, endColumn: end.column, located: true };
}

/** The first well-formedness error (saxes, namespaces on), or null when the document is well-formed. */
export function checkWellFormed(xml: string): DomainXmlProblem | null {
  const parser = new SaxesParser({ xmlns: true, position: true });
  let first: DomainXmlProblem | null = null;
  parser.on('error', (error) => {
    if (first) return;
    const line = parser.line;
    const column = parser.column;
    first = {
      kind: 'well-formedness',
      message: error.message.replace(/^\d+:\d+:\s*/, ''),
      line,
      column: Math.max(1, column),
      endLine: line,
      endColumn: Math.max(1, column) + 1,
      located: true,
    };
  });
  try {
    parser.write(xml).close();
  } catch (error) {
    if (!first) first = { kind: 'well-formedness', message: String(error), line: 1, column: 1, endLine: 1, endColumn: 1, located: false };
  }
  return first;
}

export interface DeviceRange {
  /** Element name: disk, interface, graphics, … */
  tag: string;
  /** Its position among the <devices> children with the same name (0-based). */
  ordinal: number;
  /** Short description: target, MAC, type. */
  label: string;
  /** [start, end) of the element's text, from `<` to the end of its end tag. */
  start: number;
  end: number;
}

/** Every child element of /domain/devices with its exact text range. Empty when not well-formed. */
export function listDevices(xml: string): DeviceRange[] {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const toOffset = codePointMapper(xml);
  const path: string[] = [];
  const devices: DeviceRange[] = [];
  const counts = new Map<string, number>();
  let tagStart = 0;
  let current: { tag: string; start: number; details: string[]; type: string | null } | null = null;
  let failed = false;
  parser.on('error', () => {
    failed = true;
  });
  parser.on('opentagstart', (tag) => {
    tagStart = toOffset(parser.position - tag.name.length - 2);
  });
  parser.on('opentag', (tag) => {
    const attribute = (name: string) => {
      const value = (tag.attributes as Record<string, { value: string } | string>)[name];
      return typeof value === 'string' ? value : (value?.value ?? null);
    };
    if (path.length === 2 && path[0] === 'domain' && path[1] === 'devices') {
      current = { tag: tag.name, start: tagStart, details: [], type: attribute('type') ?? attribute('model') };
    } else if (current && path.length === 3) {
      if (tag.name === 'target' && attribute('dev')) current.details.push(attribute('dev') ?? '');
      if (tag.name === 'mac' && attribute('address')) current.details.push(attribute('address') ?? '');
      if (tag.name === 'source') {
        const source = attribute('file') ?? attribute('network') ?? attribute('bridge') ?? attribute('dev') ?? attribute('volume');
        if (source) current.details.push(source);
      }
      if (tag.name === 'model' && attribute('type')) current.details.push(attribute('type') ?? '');
    }
    path.push(tag.name);
  });
  parser.on('closetag', () => {
    path.pop();
    if (current && path.length === 2) {
      const ordinal = counts.get(current.tag) ?? 0;
      counts.set(current.tag, ordinal + 1);
      const label = [current.tag, current.type, ...current.details].filter(Boolean).join(' · ');
      devices.push({ tag: current.tag, ordinal, label, start: current.start, end: toOffset(parser.position) });
      current = null;
    }
  });
  try {
    parser.write(xml).close();
  } catch {
    return [];
  }
  return failed ? [] : devices;
}

/** The namespace declarations of the root start tag, e.g. ` xmlns:qemu='…'` (fragments may use them). */
function rootNamespaceDeclarations(xml: string): string {
  const root = /<[A-Za-z_][\w.:-]*(\s[^>]*)?>/.exec(xml.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->/g, (m) => ' '.repeat(m.length)));
  const declarations = (root?.[1] ?? '').match(/\sxmlns(:[\w.-]+)?\s*=\s*("[^"]*"|'[^']*')/g);
  return declarations ? declarations.join('') : '';
}

/**
 * Checks an edited device fragment: exactly one well-formed element (namespace prefixes of the root
 * element may be used). Problems are placed in the fragment's own lines and columns.
 */
export function checkFragment(fullXml: string, fragment: string): DomainXmlProblem | null {
  const wrapperOpen = `<virtdeck-fragment${rootNamespaceDeclarations(fullXml)}>`;
  const wrapped = `${wrapperOpen}${fragment}</virtdeck-fragment>`;
  const error = checkWellFormed(wrapped);
  if (error) {
    const shift = (line: number, column: number) => (line === 1 ? Math.max(1, column - wrapperOpen.length) : column);
    const inFragment = error.line === 1 && error.column <= wrapperOpen.length ? { line: 1, column: 1 } : null;
    return {
      ...error,
      column: inFragment ? 1 : shift(error.line, error.column),
      endColumn: inFragment ? 2 : shift(error.endLine, error.endColumn),
    };
  }
  const parser = new SaxesParser({ xmlns: true });
  let depth = 0;
  let elements = 0;
  let strayText = false;
  parser.on('opentag', () => {
    if (depth === 1) elements++;
    depth++;
  });
  parser.on('closetag', () => {
    depth--;
  });
  parser.on('text', (text) => {
    if (depth === 1 && text.trim()) strayText = true;
  });
  parser.write(wrapped).close();
  if (elements !== 1 || strayText) {
    return {
      kind: 'well-formedness',
      message: elements === 0 ? 'The fragment has no element' : 'The fragment must be exactly one element (the device)',
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 2,
      located: true,
    };
  }
  return null;
}

/** The document with `device`'s text replaced by `fragment`; everything else is kept as it was. */
export function spliceDevice(fullXml: string, device: Pick<DeviceRange, 'start' | 'end'>, fragment: string): string {
  return fullXml.slice(0, device.start) + fragment + fullXml.slice(device.end);
}

/** The same device (by name and ordinal) in another version of the document. */
export function findDevice(xml: string, tag: string, ordinal: number): DeviceRange | null {
  return listDevices(xml).find((device) => device.tag === tag && device.ordinal === ordinal) ?? null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Places libvirt's error on the document: libvirt's schema messages (libxml2's RELAX NG validator) name
 * elements and attributes ("Element domain has extra content: foo", "Extra element vcpu in interleave",
 * "Invalid attribute bar for element disk"), its other errors
 * usually quote the offending value ("unknown disk bus type 'foo'"). Among several matches, one on a
 * line the edit changed (not in `basedOn`) wins. When nothing matches, the problem is not located.
 */
export function locateLibvirtError(message: string, xml: string, basedOn: string): DomainXmlProblem {
  const unchanged = new Set(basedOn.split('\n').map((line) => line.trim()));
  const lines = xml.split('\n');
  const candidates: Array<{ pattern: RegExp; length: (match: RegExpExecArray) => number }> = [];
  const element = (name: string) => ({ pattern: new RegExp(`<${escapeRegExp(name)}(?=[\\s/>])`, 'g'), length: () => name.length + 1 });
  const attributeRe = /Invalid attribute (\S+) for element (\S+)/.exec(message);
  if (attributeRe) {
    const [, attribute = '', owner = ''] = attributeRe;
    candidates.push({ pattern: new RegExp(`<${escapeRegExp(owner)}\\s[^>]*?\\b${escapeRegExp(attribute)}\\s*=`, 'g'), length: (m) => m[0].length });
  }
  for (const re of [
    /Element \S+ has extra content: (\S+)/,
    /Extra element (\S+) in/,
    /Did not expect element (\S+) there/,
    /Expecting (?:an )?element (\S+)/,
    /Element (\S+) failed to validate/,
    /[Ee]lement '([\w.:-]+)'/,
  ]) {
    const name = re.exec(message)?.[1];
    if (name) candidates.push(element(name));
  }
  for (const quoted of message.matchAll(/'([^'\n]{1,200})'/g)) {
    const value = quoted[1] ?? '';
    candidates.push({ pattern: new RegExp(`(=\\s*["']${escapeRegExp(value)}["']|>${escapeRegExp(value)}<)`, 'g'), length: (m) => m[0].length });
  }
  for (const candidate of candidates) {
    const matches = [...xml.matchAll(candidate.pattern)];
    if (matches.length === 0) continue;
    const lineOf = (index: number) => positionAt(xml, index).line;
    const preferred = matches.find((m) => !unchanged.has((lines[lineOf(m.index) - 1] ?? '').trim())) ?? matches[0];
    if (!preferred) continue;
    return { ...problemAt(xml, preferred.index, preferred.index + candidate.length(preferred as RegExpExecArray), 'libvirt', message) };
  }
  return { kind: 'libvirt', message, line: 1, column: 1, endLine: 1, endColumn: 1, located: false };
}

/** Lines and columns of a problem found in the whole document, moved into a fragment at `fragmentStart`. */
export function problemInFragment(fullXml: string, problem: DomainXmlProblem, fragmentStart: number, fragmentEnd: number): DomainXmlProblem | null {
  const start = positionAt(fullXml, fragmentStart);
  const end = positionAt(fullXml, fragmentEnd);
  const inside =
    (problem.line > start.line || (problem.line === start.line && problem.column >= start.column)) &&
    (problem.line < end.line || (problem.line === end.line && problem.column <= end.column));
  if (!problem.located || !inside) return null;
  const shift = (line: number, column: number) => ({
    line: line - start.line + 1,
    column: line === start.line ? column - start.column + 1 : column,
  });
  const a = shift(problem.line, problem.column);
  const b = shift(problem.endLine, problem.endColumn);
  return { ...problem, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
}
