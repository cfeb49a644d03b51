/**
 * salve-annos (a maintained fork of salve): RELAX NG → a grammar that validates an XML event stream and
 * lists what may come next at any point. One engine gives the editor schema validation with positions and
 * completion.
 *
 * Two packaging faults of salve-annos 1.2.4 are dealt with here, in one place:
 *  - it requires `xregexp/lib/addons/*` (xregexp 4 layout) without declaring the dependency: the app
 *    depends on xregexp 4 itself;
 *  - its internal simplifier calls `parse(url)` for <include>/<externalRef> without the resource text,
 *    which crashes on any schema with includes (libvirt's all have them). The wrapper below loads the
 *    text through the configured resource loader when it is missing, which is what the caller intended;
 *  - the walkers of <value> and <data> report "value required" from endAttributes() (called when a start
 *    tag ends) inside a <choice>, e.g. for `<type arch='x86_64'>hvm</type>` in libvirt's os choices. A
 *    value or data pattern holds no attributes, so it never has attributes left to require: its
 *    endAttributes() answers "nothing missing"; the value itself is still checked when the element ends.
 */
import { InternalSimplifier } from 'salve-annos/lib/salve/conversion/schema-simplifiers/internal.js';
import { Data } from 'salve-annos/lib/salve/patterns/data.js';
import { Value } from 'salve-annos/lib/salve/patterns/value.js';

interface ParseHost {
  options: { resourceLoader: { load(url: URL): Promise<{ getText(): Promise<string> }> } };
}
type ParseFunction = (this: ParseHost, path: URL, resource?: unknown, text?: string) => Promise<unknown>;

const prototype = InternalSimplifier.prototype as unknown as { parse: ParseFunction; __virtdeckPatched?: boolean };
if (!prototype.__virtdeckPatched) {
  const original = prototype.parse;
  prototype.parse = async function parse(this: ParseHost, path: URL, resource?: unknown, text?: string) {
    if (text === undefined) {
      const loaded = await this.options.resourceLoader.load(path);
      return original.call(this, path, loaded, await loaded.getText());
    }
    return original.call(this, path, resource, text);
  };
  prototype.__virtdeckPatched = true;
}

function noAttributesLeft(patternClass: { prototype: { newWalker(...args: never[]): unknown } }): void {
  const pattern = patternClass.prototype as unknown as { newWalker(this: unknown): object; __virtdeckPatched?: boolean };
  if (pattern.__virtdeckPatched) return;
  const original = pattern.newWalker;
  pattern.newWalker = function newWalker(this: unknown) {
    const walker = original.call(this);
    const walkerPrototype = Object.getPrototypeOf(walker) as { endAttributes(): unknown };
    walkerPrototype.endAttributes = () => false;
    return walker;
  };
  pattern.__virtdeckPatched = true;
}
noAttributesLeft(Value);
noAttributesLeft(Data);

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
