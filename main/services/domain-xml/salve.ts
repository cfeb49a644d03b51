/**
 * salve-annos (a maintained fork of salve): RELAX NG → a grammar that validates an XML event stream and
 * lists what may come next at any point. One engine gives the editor schema validation with positions and
 * completion.
 *
 * libvirt validates a definition with libxml2 (virt-xml-validate, define with VALIDATE), so the editor
 * must accept what libxml2 accepts and refuse what it refuses (tests/conformance checks that on
 * libvirt's own schema-test corpus and mutants of it). salve-annos 1.2.4 (the latest release; upstream
 * salve 9.x has the same code in these places) needs the local changes below, all made here, at load,
 * on salve's own classes; each says what upstream does wrong.
 *
 * Packaging:
 *  - it requires `xregexp/lib/addons/*` (xregexp 4 layout) without declaring the dependency: the app
 *    depends on xregexp 4 itself;
 *  - its internal simplifier calls `parse(url)` for <include>/<externalRef> without the resource text,
 *    which crashes on any schema with includes (libvirt's all have them). The wrapper below loads the
 *    text through the configured resource loader when it is missing, which is what the caller intended.
 *
 * Validation:
 *  1. Datatypes (`<data type="…">` with its params): salve's XML Schema type library is replaced by
 *     libxml2's rules (libxml2-datatypes.ts, libxml2-regexp.ts). salve translated patterns to
 *     JavaScript without anchoring top-level alternatives (its own test suite expects `abc|def` →
 *     `^abc|def$`), so libvirt's `unit` pattern `([bB]…)|([kKmMgGtTpPeE]…)` accepted any value that
 *     ends in one of those letters; it mistranslated escaped brackets (libvirt's vmwarePath,
 *     `\[[^\]]+\] .+`, matched nothing); and it matched patterns against the converted value (a
 *     number for the integer types) instead of the text, so `<memory> 1024 </memory>` or `index="-0"`
 *     passed where libxml2 refuses them. This is what let garbage data-typed values through.
 *  2. A data attribute with an `<except>` (libvirt's volume names exclude `.` and `..`): salve's
 *     specialised attribute walker (AttributeDataWalker) fires the attribute event, not a text event,
 *     at the except pattern, which therefore never matches. Such attributes use salve's generic
 *     attribute walker, which checks the value with the data walker and its except correctly.
 *  3. An element whose whole content is whitespace (`<hyperv mode='passthrough'>\n</hyperv>`): in
 *     RELAX NG (and libxml2) whitespace-only content matches what empty content matches, or what that
 *     text matches. salve fires the whitespace as text and reports "text not allowed here" when the
 *     pattern takes no text. GrammarWalker now keeps both readings: each walker as it was (empty
 *     content) and, where the text is accepted, a copy that took it.
 *  4. The walkers of <value> and <data> report "value required" from endAttributes() (called when a
 *     start tag ends) inside a <choice>, e.g. for `<type arch='x86_64'>hvm</type>` in libvirt's os
 *     choices. A value or data pattern holds no attributes, so it never has attributes left to
 *     require: its endAttributes() answers "nothing missing"; the value itself is still checked when
 *     the element ends (end()), so nothing invalid passes because of this.
 */
import { registry } from 'salve-annos/lib/salve/datatypes.js';
import { InternalSimplifier } from 'salve-annos/lib/salve/conversion/schema-simplifiers/internal.js';
import { Attribute } from 'salve-annos/lib/salve/patterns/attribute.js';
import { Data } from 'salve-annos/lib/salve/patterns/data.js';
import { GrammarWalker as SalveGrammarWalker } from 'salve-annos/lib/salve/patterns/grammar.js';
import { Value } from 'salve-annos/lib/salve/patterns/value.js';
import { makeLibxml2Datatype, XSD_DATATYPES, type SalveDatatype } from './libxml2-datatypes';

interface ParseHost {
  options: { resourceLoader: { load(url: URL): Promise<{ getText(): Promise<string> }> } };
}
type ParseFunction = (this: ParseHost, path: URL, resource?: unknown, text?: string) => Promise<unknown>;

/** Marks a patched object, so that loading this module twice (tests, hot reload) patches once. */
function once(target: object, patch: () => void): void {
  const marked = target as { __virtdeckPatched?: boolean };
  if (marked.__virtdeckPatched) return;
  patch();
  marked.__virtdeckPatched = true;
}

// Packaging: includes.
const simplifier = InternalSimplifier.prototype as unknown as { parse: ParseFunction };
once(simplifier, () => {
  const original = simplifier.parse;
  simplifier.parse = async function parse(this: ParseHost, path: URL, resource?: unknown, text?: string) {
    if (text === undefined) {
      const loaded = await this.options.resourceLoader.load(path);
      return original.call(this, path, loaded, await loaded.getText());
    }
    return original.call(this, path, resource, text);
  };
});

// 1. Datatypes.
const xsd = registry.get(XSD_DATATYPES) as unknown as { types: Record<string, SalveDatatype> };
once(xsd, () => {
  for (const type of Object.values(xsd.types)) makeLibxml2Datatype(type);
});

// 2. Data attributes with an except: the generic attribute walker (kind 0) instead of the data one (2).
interface AttributePattern {
  kind: number;
  pat: { except?: unknown };
  newWalker(): unknown;
}
const attribute = Attribute.prototype as unknown as AttributePattern;
once(attribute, () => {
  const original = attribute.newWalker;
  attribute.newWalker = function newWalker(this: AttributePattern) {
    if (this.kind === 2 && this.pat.except !== undefined) this.kind = 0;
    return original.call(this);
  };
});

// 3. Whitespace-only content.
interface ElementWalkerLike {
  clone(): ElementWalkerLike;
  fireEvent(name: string, params: string[], resolver: unknown): { matched: boolean };
}
interface GrammarWalkerInternals {
  elementWalkerStack: ElementWalkerLike[][];
  suspendedWs: string;
  nameResolver: unknown;
  _fireSuspendedWsOnCurrentWalkers(): boolean;
}
const grammarWalker = SalveGrammarWalker.prototype as unknown as GrammarWalkerInternals;
once(grammarWalker, () => {
  grammarWalker._fireSuspendedWsOnCurrentWalkers = function fireSuspendedWs(this: GrammarWalkerInternals) {
    const stack = this.elementWalkerStack;
    const top = stack.length - 1;
    const readings: ElementWalkerLike[] = [];
    for (const walker of stack[top] ?? []) {
      const withText = walker.clone();
      if (withText.fireEvent('text', [this.suspendedWs], this.nameResolver).matched) readings.push(withText);
      readings.push(walker);
    }
    stack[top] = readings;
    return true;
  };
});

// 4. endAttributes() of value and data walkers.
for (const walker of [new Value('', 'x').newWalker(), new Data('', 'token').newWalker()]) {
  const prototype = Object.getPrototypeOf(walker) as { endAttributes(): unknown };
  once(prototype, () => {
    prototype.endAttributes = () => false;
  });
}

export {
  convertRNGToPattern,
  DefaultNameResolver,
  readTreeFromJSON,
  writeTreeToJSON,
  type EventSet,
  type Grammar,
  type GrammarWalker,
  type ValidationError,
} from 'salve-annos';
export type { Base as NamePattern, Name } from 'salve-annos/lib/salve/name_patterns.js';
