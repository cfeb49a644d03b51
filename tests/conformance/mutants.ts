/**
 * Deterministic mutants of real domain XML documents, for comparing two validators on documents near
 * the valid ones. Each mutant is one textual change to the document:
 *
 *  - element-renamed      an element (start and end tag) gets another name: one the corpus uses
 *                         elsewhere, or a made-up one;
 *  - attribute-value      an attribute's value becomes another value the corpus has for an attribute
 *                         of that name, made-up text, the empty string, the value with text appended,
 *                         or the value padded with spaces;
 *  - unknown-attribute    an element gets an attribute it did not have: a name the corpus uses
 *                         elsewhere (with one of its values) or a made-up name; a name the element
 *                         already has makes the document not well-formed, which both must reject too;
 *  - number-replaced      a number (an attribute value or an element's whole text) becomes text: a
 *                         word, the number with letters appended, a negative, a fraction, a number
 *                         too large for 64 bits, or the number padded with spaces.
 *
 * The document is read with a small tag scanner of its own (not with the parser under test). Choices
 * come from a seeded PRNG keyed by the seed, the document's path, the kind and the mutant's index.
 */

export const MUTANT_KINDS = ['element-renamed', 'attribute-value', 'unknown-attribute', 'number-replaced'] as const;
export type MutantKind = (typeof MUTANT_KINDS)[number];

export interface Mutant {
  kind: MutantKind;
  /** What was changed, e.g. `<memory unit="KiB"> → unit="xqzv"`. */
  description: string;
  text: string;
}

interface Attribute {
  name: string;
  value: string;
  /** Offsets of the value between its quotes. */
  valueFrom: number;
  valueTo: number;
}

interface ScannedElement {
  name: string;
  /** Offset of the name in the start tag, and of the name in the end tag (null: self-closing). */
  nameAt: number;
  endNameAt: number | null;
  /** Offset just after the name in the start tag (where an attribute can be inserted). */
  afterName: number;
  attributes: Attribute[];
  /** The element's only content when it is a single text run (no child elements, comments…). */
  text: { from: number; to: number; value: string } | null;
}

/** Start tags, end tags and text of a document; null when the scanner cannot follow it. */
export function scanElements(xml: string): ScannedElement[] | null {
  const elements: ScannedElement[] = [];
  const open: Array<{ element: ScannedElement; contentFrom: number; children: number }> = [];
  let at = 0;
  while (at < xml.length) {
    const lt = xml.indexOf('<', at);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end < 0) return null;
      const parent = open.at(-1);
      if (parent) parent.children++;
      at = end + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt);
      if (end < 0) return null;
      const parent = open.at(-1);
      if (parent) parent.children++;
      at = end + 3;
    } else if (xml.startsWith('<?', lt)) {
      const end = xml.indexOf('?>', lt);
      if (end < 0) return null;
      at = end + 2;
    } else if (xml.startsWith('<!', lt)) {
      // DOCTYPE, possibly with an internal subset.
      const bracket = xml.indexOf('[', lt);
      const close = xml.indexOf('>', lt);
      if (close < 0) return null;
      at = bracket >= 0 && bracket < close ? xml.indexOf(']>', bracket) + 2 : close + 1;
      if (at < 2) return null;
    } else if (xml.startsWith('</', lt)) {
      const match = /^<\/([^\s>]+)\s*>/.exec(xml.slice(lt, lt + 200));
      const top = open.pop();
      if (!match || !top || match[1] !== top.element.name) return null;
      top.element.endNameAt = lt + 2;
      if (top.children === 0) top.element.text = { from: top.contentFrom, to: lt, value: xml.slice(top.contentFrom, lt) };
      at = lt + match[0].length;
    } else {
      const close = findTagEnd(xml, lt);
      if (close < 0) return null;
      const tag = xml.slice(lt, close + 1);
      const name = /^<([^\s/>]+)/.exec(tag)?.[1];
      if (!name) return null;
      const attributes: Attribute[] = [];
      for (const match of tag.matchAll(/\s([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
        const valueFrom = lt + match.index + match[0].length - (match[2] ?? '').length + 1;
        const value = match[3] ?? match[4] ?? '';
        attributes.push({ name: match[1] ?? '', value, valueFrom, valueTo: valueFrom + value.length });
      }
      const element: ScannedElement = {
        name,
        nameAt: lt + 1,
        endNameAt: null,
        afterName: lt + 1 + name.length,
        attributes,
        text: null,
      };
      elements.push(element);
      const parent = open.at(-1);
      if (parent) parent.children++;
      if (!tag.endsWith('/>')) open.push({ element, contentFrom: close + 1, children: 0 });
      at = close + 1;
    }
  }
  return open.length === 0 && elements.length > 0 ? elements : null;
}

function findTagEnd(xml: string, from: number): number {
  let quote = '';
  for (let i = from + 1; i < xml.length; i++) {
    const c = xml[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
    else if (c === '<') return -1;
  }
  return -1;
}

/** Names and values the corpus uses, for plausible replacements. */
export class Vocabulary {
  readonly elementNames = new Set<string>();
  readonly attributeNames = new Set<string>();
  readonly valuesByAttribute = new Map<string, Set<string>>();

  add(elements: readonly ScannedElement[]): void {
    for (const element of elements) {
      if (!element.name.includes(':')) this.elementNames.add(element.name);
      for (const attribute of element.attributes) {
        if (attribute.name.includes(':') || attribute.name === 'xmlns') continue;
        this.attributeNames.add(attribute.name);
        let values = this.valuesByAttribute.get(attribute.name);
        if (!values) this.valuesByAttribute.set(attribute.name, (values = new Set()));
        if (!/[<&"']/.test(attribute.value)) values.add(attribute.value);
      }
    }
  }

  /** Sorted arrays, so that choices do not depend on insertion order. */
  freeze(): FrozenVocabulary {
    const values = new Map<string, string[]>();
    for (const [name, set] of this.valuesByAttribute) values.set(name, [...set].sort());
    return { elementNames: [...this.elementNames].sort(), attributeNames: [...this.attributeNames].sort(), values };
  }
}

export interface FrozenVocabulary {
  elementNames: string[];
  attributeNames: string[];
  values: Map<string, string[]>;
}

/** mulberry32 over a 32-bit FNV-1a hash of the key. */
export function seededRandom(key: string): () => number {
  let state = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) state = Math.imul(state ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Chooser {
  constructor(readonly random: () => number) {}
  index(length: number): number {
    return Math.floor(this.random() * length);
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.index(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  word(min = 3, max = 8): string {
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    let word = '';
    const length = min + this.index(max - min + 1);
    for (let i = 0; i < length; i++) word += letters[this.index(letters.length)];
    return word;
  }
}

const NUMBER = /^(?:[-+]?\d+(?:\.\d+)?|0x[0-9a-fA-F]+)$/;

function splice(text: string, from: number, to: number, insert: string): string {
  return text.slice(0, from) + insert + text.slice(to);
}

function renameElement(xml: string, elements: readonly ScannedElement[], vocabulary: FrozenVocabulary, choose: Chooser): Mutant | null {
  const element = choose.pick(elements);
  let name = element.name;
  for (let tries = 0; name === element.name && tries < 5; tries++) {
    name = choose.random() < 0.5 ? choose.pick(vocabulary.elementNames) : `vd${choose.word()}`;
  }
  if (name === element.name) return null;
  let text = xml;
  // The end tag first, so that the start tag's offset stays right.
  if (element.endNameAt !== null) text = splice(text, element.endNameAt, element.endNameAt + element.name.length, name);
  text = splice(text, element.nameAt, element.nameAt + element.name.length, name);
  return { kind: 'element-renamed', description: `<${element.name}> → <${name}>`, text };
}

function replaceAttributeValue(xml: string, elements: readonly ScannedElement[], vocabulary: FrozenVocabulary, choose: Chooser): Mutant | null {
  const candidates = elements.flatMap((element) =>
    element.attributes.filter((a) => a.name !== 'xmlns' && !a.name.startsWith('xmlns:')).map((attribute) => ({ element, attribute })),
  );
  if (candidates.length === 0) return null;
  const { element, attribute } = choose.pick(candidates);
  const others = (vocabulary.values.get(attribute.name) ?? []).filter((v) => v !== attribute.value);
  const roll = choose.random();
  let value: string;
  if (roll < 0.4 && others.length > 0) value = choose.pick(others);
  else if (roll < 0.65) value = choose.word();
  else if (roll < 0.75) value = '';
  else if (roll < 0.9) value = `${attribute.value}${choose.word(1, 3)}`;
  else value = ` ${attribute.value} `;
  if (value === attribute.value) return null;
  return {
    kind: 'attribute-value',
    description: `<${element.name} ${attribute.name}="${attribute.value}"> → ${attribute.name}="${value}"`,
    text: splice(xml, attribute.valueFrom, attribute.valueTo, value),
  };
}

function addAttribute(xml: string, elements: readonly ScannedElement[], vocabulary: FrozenVocabulary, choose: Chooser): Mutant | null {
  const element = choose.pick(elements);
  let name: string;
  let value: string;
  if (choose.random() < 0.5 && vocabulary.attributeNames.length > 0) {
    name = choose.pick(vocabulary.attributeNames);
    const values = vocabulary.values.get(name) ?? [];
    value = values.length > 0 ? choose.pick(values) : choose.word();
  } else {
    name = `vd${choose.word()}`;
    value = choose.word();
  }
  return {
    kind: 'unknown-attribute',
    description: `<${element.name}> + ${name}="${value}"`,
    text: splice(xml, element.afterName, element.afterName, ` ${name}="${value}"`),
  };
}

function replaceNumber(xml: string, elements: readonly ScannedElement[], choose: Chooser): Mutant | null {
  const candidates: Array<{ where: string; from: number; to: number; number: string }> = [];
  for (const element of elements) {
    for (const attribute of element.attributes) {
      if (NUMBER.test(attribute.value)) {
        candidates.push({ where: `<${element.name} ${attribute.name}>`, from: attribute.valueFrom, to: attribute.valueTo, number: attribute.value });
      }
    }
    const trimmed = element.text?.value.trim() ?? '';
    if (element.text && NUMBER.test(trimmed)) {
      const from = element.text.from + element.text.value.indexOf(trimmed);
      candidates.push({ where: `<${element.name}> text`, from, to: from + trimmed.length, number: trimmed });
    }
  }
  if (candidates.length === 0) return null;
  const { where, from, to, number } = choose.pick(candidates);
  const roll = choose.random();
  let text: string;
  if (roll < 0.4) text = choose.word();
  else if (roll < 0.55) text = `${number}${choose.word(1, 3)}`;
  else if (roll < 0.65) text = number.startsWith('-') ? number.slice(1) : `-${number}`;
  else if (roll < 0.75) text = `${number}.5`;
  else if (roll < 0.85) text = '184467440737095516160';
  else text = ` ${number} `;
  return { kind: 'number-replaced', description: `${where} ${number} → "${text}"`, text: splice(xml, from, to, text) };
}

/** `perKind` mutants of each kind (fewer when the document offers nothing to change), deterministic. */
export function mutate(xml: string, path: string, vocabulary: FrozenVocabulary, seed: string, perKind: number): Mutant[] {
  const elements = scanElements(xml);
  if (!elements) return [];
  const mutants: Mutant[] = [];
  for (const kind of MUTANT_KINDS) {
    const seen = new Set<string>();
    for (let i = 0; i < perKind; i++) {
      const choose = new Chooser(seededRandom(`${seed}\0${path}\0${kind}\0${i}`));
      let mutant: Mutant | null = null;
      // A few draws, in case one picks something with nothing to change.
      for (let draw = 0; draw < 4 && !mutant; draw++) {
        switch (kind) {
          case 'element-renamed':
            mutant = renameElement(xml, elements, vocabulary, choose);
            break;
          case 'attribute-value':
            mutant = replaceAttributeValue(xml, elements, vocabulary, choose);
            break;
          case 'unknown-attribute':
            mutant = addAttribute(xml, elements, vocabulary, choose);
            break;
          case 'number-replaced':
            mutant = replaceNumber(xml, elements, choose);
            break;
        }
        if (mutant && seen.has(mutant.text)) mutant = null;
      }
      if (mutant) {
        seen.add(mutant.text);
        mutants.push(mutant);
      }
    }
  }
  return mutants;
}
