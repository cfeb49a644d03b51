/**
 * Small, careful edits of a libvirt XML document. Parsing keeps everything (unknown elements, foreign
 * namespaces, comments, CDATA); the serializer writes libvirt's own style (single-quoted attributes,
 * `<empty/>` elements), so what a form did not touch comes out byte for byte as libvirt wrote it, and
 * inserted elements are indented like their siblings.
 */
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { readCpuset } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';

export interface XmlDoc {
  document: Document;
  root: Element;
  /** Whatever followed the root element in the source (libvirt ends its XML with a newline). */
  trailing: string;
}

export function parseXml(xml: string, what = 'The domain XML'): XmlDoc {
  const problems: string[] = [];
  let document: Document | null = null;
  try {
    document = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') problems.push(message);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    if (problems.length === 0) problems.push(error instanceof Error ? error.message : String(error));
  }
  const root = document?.documentElement ?? null;
  if (problems.length > 0 || !document || !root) {
    throw new ApiFailure('invalid-request', `${what} is not well-formed XML: ${problems[0] ?? 'no root element'}`);
  }
  const end = xml.trimEnd().length;
  return { document, root, trailing: xml.slice(end) };
}

const escapeAttribute = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
const escapeText = escapeAttribute;

function writeNode(node: Node, out: string[]): void {
  switch (node.nodeType) {
    case node.ELEMENT_NODE: {
      const element = node as Element;
      out.push('<', element.tagName);
      for (let i = 0; i < element.attributes.length; i++) {
        const attribute = element.attributes.item(i);
        if (attribute) out.push(' ', attribute.name, "='", escapeAttribute(attribute.value), "'");
      }
      if (!element.firstChild) {
        out.push('/>');
        return;
      }
      out.push('>');
      for (let child: Node | null = element.firstChild; child; child = child.nextSibling) writeNode(child, out);
      out.push('</', element.tagName, '>');
      return;
    }
    case node.TEXT_NODE:
      out.push(escapeText(node.nodeValue ?? ''));
      return;
    case node.CDATA_SECTION_NODE:
      out.push('<![CDATA[', node.nodeValue ?? '', ']]>');
      return;
    case node.COMMENT_NODE:
      out.push('<!--', node.nodeValue ?? '', '-->');
      return;
    case node.PROCESSING_INSTRUCTION_NODE: {
      const pi = node as unknown as { target: string; data: string };
      out.push('<?', pi.target, pi.data ? ` ${pi.data}` : '', '?>');
      return;
    }
    default:
      return;
  }
}

/** The document in libvirt's style; nodes before the root (comments, PIs) each on their own line. */
export function serializeXml(doc: XmlDoc): string {
  const out: string[] = [];
  for (let node = doc.document.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === node.DOCUMENT_TYPE_NODE) continue;
    if (node !== doc.root && node.nodeType === node.TEXT_NODE) continue;
    writeNode(node, out);
    if (node !== doc.root && node.nodeType !== node.TEXT_NODE) out.push('\n');
  }
  return out.join('') + doc.trailing;
}

/** The document an element belongs to (xmldom types it nullable; elements always have one). */
export function docOf(node: Node): Document {
  const owner = node.ownerDocument;
  if (!owner) throw new Error('a detached XML node');
  return owner;
}

export function elements(parent: Element | null | undefined, name?: string): Element[] {
  const found: Element[] = [];
  if (!parent) return found;
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === node.ELEMENT_NODE && (name === undefined || (node as Element).tagName === name)) {
      found.push(node as Element);
    }
  }
  return found;
}

export const first = (parent: Element | null | undefined, name: string): Element | null => elements(parent, name)[0] ?? null;

export function attribute(element: Element | null | undefined, name: string): string | null {
  return element?.hasAttribute(name) ? element.getAttribute(name) : null;
}

export function textOf(element: Element | null | undefined): string | null {
  const value = element?.textContent?.trim();
  return value ? value : null;
}

/** Sets an attribute, or removes it for null; an unchanged value is left untouched. */
export function setAttribute(element: Element, name: string, value: string | number | null): void {
  if (value === null) {
    if (element.hasAttribute(name)) element.removeAttribute(name);
    return;
  }
  const text = String(value);
  if (element.getAttribute(name) !== text || !element.hasAttribute(name)) element.setAttribute(name, text);
}

/** Replaces an element's content with text (keeps the element and its attributes). */
export function setText(element: Element, value: string | number): void {
  const text = String(value);
  if (element.textContent === text) return;
  while (element.firstChild) element.removeChild(element.firstChild);
  element.appendChild(docOf(element).createTextNode(text));
}

/** The whitespace that indents `element` (the text node before it), or '' at the top. */
function indentOf(element: Element): string {
  const before = element.previousSibling;
  if (before && before.nodeType === before.TEXT_NODE) {
    const value = before.nodeValue ?? '';
    const newline = value.lastIndexOf('\n');
    if (newline >= 0 && /^\s*$/.test(value)) return value.slice(newline + 1);
  }
  return '';
}

/** The indentation children of `parent` use (their first one's, or the parent's plus two spaces). */
function childIndent(parent: Element): string {
  const existing = elements(parent)[0];
  if (existing) return indentOf(existing);
  return `${indentOf(parent)}  `;
}

/**
 * Inserts `element` into `parent`, after the last child whose name is in `after` (in document order),
 * or before the first child whose name is in `before`, else at the end; indented like its siblings.
 */
export function insertChild(parent: Element, element: Element, place: { after?: string[]; before?: string[] } = {}): Element {
  const document = docOf(parent);
  const indent = childIndent(parent);
  const kids = elements(parent);
  let anchor: Element | null = null;
  let mode: 'after' | 'before' | 'end' = 'end';
  if (place.after) {
    const matches = kids.filter((kid) => place.after?.includes(kid.tagName));
    if (matches.length > 0) {
      anchor = matches[matches.length - 1] ?? null;
      mode = 'after';
    }
  }
  if (!anchor && place.before) {
    anchor = kids.find((kid) => place.before?.includes(kid.tagName)) ?? null;
    if (anchor) mode = 'before';
  }
  if (!parent.firstChild) {
    parent.appendChild(document.createTextNode(`\n${indent}`));
    parent.appendChild(element);
    parent.appendChild(document.createTextNode(`\n${indentOf(parent)}`));
    return element;
  }
  if (mode === 'after' && anchor) {
    const next = anchor.nextSibling;
    parent.insertBefore(document.createTextNode(`\n${indent}`), next);
    parent.insertBefore(element, next);
    return element;
  }
  if (mode === 'before' && anchor) {
    parent.insertBefore(element, anchor);
    parent.insertBefore(document.createTextNode(`\n${indent}`), anchor);
    return element;
  }
  // At the end: before the closing whitespace, if there is some.
  const last = parent.lastChild;
  if (last && last.nodeType === last.TEXT_NODE && /^\s*$/.test(last.nodeValue ?? '')) {
    parent.insertBefore(document.createTextNode(`\n${indent}`), last);
    parent.insertBefore(element, last);
  } else {
    parent.appendChild(document.createTextNode(`\n${indent}`));
    parent.appendChild(element);
  }
  return element;
}

/** The first child named `name`, created (and placed as insertChild places it) when missing. */
export function ensureChild(parent: Element, name: string, place: { after?: string[]; before?: string[] } = {}): Element {
  return first(parent, name) ?? insertChild(parent, docOf(parent).createElement(name), place);
}

/** Removes an element with the whitespace that indented it; a parent left empty loses its whitespace. */
export function removeElement(element: Element): void {
  const parent = element.parentNode as Element | null;
  if (!parent) return;
  const before = element.previousSibling;
  if (before && before.nodeType === before.TEXT_NODE && /^\s*$/.test(before.nodeValue ?? '')) parent.removeChild(before);
  parent.removeChild(element);
  if (elements(parent).length === 0) {
    let onlyWhitespace = true;
    for (let node = parent.firstChild; node; node = node.nextSibling) {
      if (!(node.nodeType === node.TEXT_NODE && /^\s*$/.test(node.nodeValue ?? ''))) onlyWhitespace = false;
    }
    if (onlyWhitespace) while (parent.firstChild) parent.removeChild(parent.firstChild);
  }
}

/**
 * Removes an emptied container: no attributes and nothing inside but whitespace. A comment or any other
 * content someone put there keeps it.
 */
export function removeIfEmpty(element: Element | null): void {
  if (!element || element.attributes.length > 0) return;
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (!(node.nodeType === node.TEXT_NODE && /^\s*$/.test(node.nodeValue ?? ''))) return;
  }
  removeElement(element);
}

/** libvirt size element (`<memory unit='GiB'>8</memory>`) in KiB. */
const UNIT_KIB: Record<string, number> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  kb: 1000 / 1024,
  k: 1,
  kib: 1,
  mb: 1e6 / 1024,
  m: 1024,
  mib: 1024,
  gb: 1e9 / 1024,
  g: 1024 ** 2,
  gib: 1024 ** 2,
  tb: 1e12 / 1024,
  t: 1024 ** 3,
  tib: 1024 ** 3,
};

export function sizeInKiB(amount: string | null, unit: string | null, fallbackUnit = 'KiB'): number | null {
  if (amount === null || !/^\d+$/.test(amount.trim())) return null;
  const factor = UNIT_KIB[(unit ?? fallbackUnit).toLowerCase()];
  if (factor === undefined) throw new ApiFailure('invalid-request', `Unknown memory unit "${unit}"`);
  return Math.round(Number(amount.trim()) * factor);
}

export function elementKiB(element: Element | null): number | null {
  return element ? sizeInKiB(textOf(element), attribute(element, 'unit')) : null;
}

/** Writes a size in KiB, keeping the element's unit when the value is a whole number of it. */
export function setKiB(element: Element, kib: number): void {
  if (elementKiB(element) === kib) return;
  setAttribute(element, 'unit', 'KiB');
  setText(element, kib);
}

/** Parses a libvirt cpuset ("0-3,8,^2") into sorted CPU numbers; throws a clear error when malformed. */
export function parseCpuset(cpuset: string, what = 'cpuset'): number[] {
  const read = readCpuset(cpuset);
  if ('cpus' in read) return read.cpus;
  const problem = read.problem;
  const message =
    problem.kind === 'empty-item'
      ? `The ${what} "${cpuset}" is empty or has an empty item`
      : problem.kind === 'syntax'
        ? `The ${what} "${cpuset}" has an item "${problem.item}" that is not N, N-M or ^N`
        : problem.kind === 'backwards'
          ? `The ${what} "${cpuset}" has a range ${problem.item} that runs backwards`
          : problem.kind === 'too-large'
            ? `The ${what} "${cpuset}" is too large`
            : `The ${what} "${cpuset}" selects no CPU`;
  throw new ApiFailure('invalid-request', message, { field: what });
}
