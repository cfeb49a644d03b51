/**
 * Recursive-descent parser for the XDR language (RFC 4506 §6.3) as used by libvirt, with the
 * rpcgen extensions libvirt relies on:
 *  - `char`/`short` (signed and unsigned), bare `unsigned` meaning `unsigned int`;
 *  - `%` pass-through lines and comments are dropped by the lexer;
 *  - `struct X` / `enum X` / `union X` as a reference to a named type;
 *  - several `case` labels sharing one arm.
 * Inline (anonymous) struct/enum/union bodies are hoisted to named definitions: a typedef of
 * an inline body takes the typedef's name, any other inline body is named `<outer>_<field>`.
 */
import type {
  Declaration,
  Definition,
  EnumMember,
  NamedDeclaration,
  PrimitiveKind,
  Specification,
  TypeSpec,
  UnionArm,
  Value,
} from './ast';
import { XdrSyntaxError, parseIntegerLiteral, tokenize, type Token } from './lexer';

const RESERVED = new Set([
  'bool',
  'case',
  'const',
  'default',
  'double',
  'quadruple',
  'enum',
  'float',
  'hyper',
  'int',
  'opaque',
  'string',
  'struct',
  'switch',
  'typedef',
  'union',
  'unsigned',
  'void',
  'char',
  'short',
  'program',
  'version',
]);

type InlineBody =
  | { kind: 'enum'; members: EnumMember[] }
  | { kind: 'struct'; fields: NamedDeclaration[] }
  | { kind: 'union'; discriminant: NamedDeclaration; arms: UnionArm[]; defaultArm: Declaration | null };

class Parser {
  private pos = 0;
  readonly definitions: Definition[] = [];
  /** Inline bodies waiting for a name (set by parseType, consumed by parseDeclaration). */
  private pendingInline: { body: InlineBody; line: number } | null = null;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly file: string,
  ) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private error(message: string, tok?: Token): XdrSyntaxError {
    const t = tok ?? this.peek() ?? this.tokens[this.tokens.length - 1];
    return new XdrSyntaxError(
      this.file,
      t?.line ?? 0,
      t?.column ?? 0,
      message + (tok || this.peek() ? '' : ' (at end of file)'),
    );
  }

  private next(): Token {
    const t = this.tokens[this.pos];
    if (!t) throw this.error('unexpected end of file');
    this.pos++;
    return t;
  }

  private expectPunct(p: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== p) throw this.error(`expected '${p}', got '${t.text}'`, t);
    return t;
  }

  private isPunct(p: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && t.kind === 'punct' && t.text === p;
  }

  private isKeyword(k: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && t.kind === 'ident' && t.text === k;
  }

  private expectIdent(what = 'identifier'): Token {
    const t = this.next();
    if (t.kind !== 'ident') throw this.error(`expected ${what}, got '${t.text}'`, t);
    if (RESERVED.has(t.text)) throw this.error(`expected ${what}, got keyword '${t.text}'`, t);
    return t;
  }

  private parseValue(): Value {
    const t = this.next();
    if (t.kind === 'number') return { kind: 'number', value: parseIntegerLiteral(t.text), text: t.text };
    if (t.kind === 'ident' && !RESERVED.has(t.text)) return { kind: 'ident', name: t.text };
    throw this.error(`expected a constant or constant name, got '${t.text}'`, t);
  }

  parseSpecification(): void {
    while (this.peek()) this.parseDefinition();
  }

  private parseDefinition(): void {
    const t = this.next();
    if (t.kind !== 'ident') throw this.error(`expected a definition, got '${t.text}'`, t);
    switch (t.text) {
      case 'const': {
        const name = this.expectIdent('constant name');
        this.expectPunct('=');
        const value = this.parseValue();
        this.expectPunct(';');
        this.definitions.push({ kind: 'const', name: name.text, value, line: t.line });
        return;
      }
      case 'typedef': {
        const decl = this.parseDeclaration('', true);
        this.expectPunct(';');
        if (decl.kind === 'void') throw this.error('typedef of void', t);
        if (this.pendingInline) {
          // `typedef struct { ... } name;` defines `name` itself.
          const { body } = this.pendingInline;
          this.pendingInline = null;
          if (decl.kind !== 'scalar')
            throw this.error('inline type in a typedef must be a plain declaration', t);
          this.pushInline(decl.name, body, t.line);
          return;
        }
        this.definitions.push({ kind: 'typedef', name: decl.name, decl, line: t.line });
        return;
      }
      case 'enum':
      case 'struct':
      case 'union': {
        const name = this.expectIdent(`${t.text} name`);
        const body = this.parseBody(t.text, name.text);
        this.expectPunct(';');
        this.pushInline(name.text, body, t.line);
        return;
      }
      case 'program':
        throw this.error('rpcgen "program" definitions are not supported (libvirt does not use them)', t);
      default:
        throw this.error(`unexpected '${t.text}' at top level`, t);
    }
  }

  private pushInline(name: string, body: InlineBody, line: number): void {
    switch (body.kind) {
      case 'enum':
        this.definitions.push({ kind: 'enum', name, members: body.members, line });
        return;
      case 'struct':
        this.definitions.push({ kind: 'struct', name, fields: body.fields, line });
        return;
      case 'union':
        this.definitions.push({
          kind: 'union',
          name,
          discriminant: body.discriminant,
          arms: body.arms,
          defaultArm: body.defaultArm,
          line,
        });
        return;
    }
  }

  private parseBody(kind: string, outerName: string): InlineBody {
    if (kind === 'enum') return this.parseEnumBody();
    if (kind === 'struct') return this.parseStructBody(outerName);
    return this.parseUnionBody(outerName);
  }

  private parseEnumBody(): InlineBody {
    this.expectPunct('{');
    const members: EnumMember[] = [];
    for (;;) {
      const name = this.expectIdent('enum member name');
      this.expectPunct('=');
      const value = this.parseValue();
      members.push({ name: name.text, value, doc: name.doc, line: name.line });
      const sep = this.next();
      if (sep.kind === 'punct' && sep.text === '}') break;
      if (sep.kind !== 'punct' || sep.text !== ',')
        throw this.error(`expected ',' or '}', got '${sep.text}'`, sep);
      if (this.isPunct('}')) {
        this.next(); // tolerate a trailing comma
        break;
      }
    }
    if (members.length === 0) throw this.error('empty enum');
    return { kind: 'enum', members };
  }

  private parseStructBody(outerName: string): InlineBody {
    this.expectPunct('{');
    const fields: NamedDeclaration[] = [];
    while (!this.isPunct('}')) {
      const decl = this.parseDeclaration(outerName, false);
      this.expectPunct(';');
      if (decl.kind === 'void') throw this.error('void field in a struct');
      fields.push(decl);
    }
    this.expectPunct('}');
    if (fields.length === 0) throw this.error('empty struct');
    return { kind: 'struct', fields };
  }

  private parseUnionBody(outerName: string): InlineBody {
    const sw = this.next();
    if (sw.kind !== 'ident' || sw.text !== 'switch')
      throw this.error(`expected 'switch', got '${sw.text}'`, sw);
    this.expectPunct('(');
    const discriminant = this.parseDeclaration(outerName, false);
    if (discriminant.kind !== 'scalar')
      throw this.error('union discriminant must be a plain declaration', sw);
    this.expectPunct(')');
    this.expectPunct('{');
    const arms: UnionArm[] = [];
    let defaultArm: Declaration | null = null;
    let sawDefault = false;
    while (!this.isPunct('}')) {
      const t = this.next();
      if (t.kind === 'ident' && t.text === 'case') {
        const cases: Value[] = [this.parseValue()];
        this.expectPunct(':');
        while (this.isKeyword('case')) {
          this.next();
          cases.push(this.parseValue());
          this.expectPunct(':');
        }
        const decl = this.parseDeclaration(outerName, false);
        this.expectPunct(';');
        arms.push({ cases, decl });
      } else if (t.kind === 'ident' && t.text === 'default') {
        if (sawDefault) throw this.error('duplicate default arm', t);
        sawDefault = true;
        this.expectPunct(':');
        defaultArm = this.parseDeclaration(outerName, false);
        this.expectPunct(';');
      } else {
        throw this.error(`expected 'case' or 'default', got '${t.text}'`, t);
      }
    }
    this.expectPunct('}');
    if (arms.length === 0) throw this.error('union without case arms');
    return { kind: 'union', discriminant, arms, defaultArm: sawDefault ? defaultArm : null };
  }

  private parseType(outerName: string): TypeSpec {
    const t = this.next();
    if (t.kind !== 'ident') throw this.error(`expected a type, got '${t.text}'`, t);
    const prim = (p: PrimitiveKind): TypeSpec => ({ kind: 'primitive', prim: p });
    switch (t.text) {
      case 'unsigned': {
        const n = this.peek();
        if (n && n.kind === 'ident') {
          switch (n.text) {
            case 'int':
              this.next();
              return prim('uint');
            case 'hyper':
              this.next();
              return prim('uhyper');
            case 'char':
              this.next();
              return prim('uchar');
            case 'short':
              this.next();
              return prim('ushort');
            case 'long':
              this.next();
              return prim('uint');
          }
        }
        return prim('uint'); // bare 'unsigned' (rpcgen)
      }
      case 'int':
        return prim('int');
      case 'hyper':
        return prim('hyper');
      case 'char':
        return prim('char');
      case 'short':
        return prim('short');
      case 'float':
        return prim('float');
      case 'double':
        return prim('double');
      case 'bool':
        return prim('bool');
      case 'quadruple':
        throw this.error("'quadruple' is not supported", t);
      case 'void':
        return { kind: 'void' };
      case 'string':
        return { kind: 'string' };
      case 'opaque':
        return { kind: 'opaque' };
      case 'enum':
      case 'struct':
      case 'union': {
        if (this.isPunct('{') || (t.text === 'union' && this.isKeyword('switch'))) {
          const body = this.parseBody(t.text, outerName);
          this.pendingInline = { body, line: t.line };
          return { kind: 'named', name: '' }; // name fixed up by parseDeclaration
        }
        return { kind: 'named', name: this.expectIdent(`${t.text} name`).text };
      }
      default:
        if (RESERVED.has(t.text)) throw this.error(`unexpected keyword '${t.text}'`, t);
        return { kind: 'named', name: t.text };
    }
  }

  private parseDeclaration(outerName: string, inTypedef: boolean): Declaration {
    const startTok = this.peek();
    let type = this.parseType(outerName);
    if (type.kind === 'void') return { kind: 'void' };
    let optional = false;
    if (this.isPunct('*')) {
      this.next();
      optional = true;
    }
    const name = this.expectIdent('declaration name').text;
    if (this.pendingInline && !inTypedef) {
      const hoisted = `${outerName}_${name}`;
      const { body, line } = this.pendingInline;
      this.pendingInline = null;
      this.pushInline(hoisted, body, line);
      type = { kind: 'named', name: hoisted };
    } else if (this.pendingInline && inTypedef && type.kind === 'named' && type.name === '') {
      if (optional || this.isPunct('[') || this.isPunct('<')) {
        const hoisted = `${name}_body`;
        const { body, line } = this.pendingInline;
        this.pendingInline = null;
        this.pushInline(hoisted, body, line);
        type = { kind: 'named', name: hoisted };
      }
    }
    if (optional) {
      if (type.kind === 'string' || type.kind === 'opaque')
        throw this.error(`'${type.kind}' cannot be optional`, startTok);
      if (this.isPunct('[') || this.isPunct('<')) throw this.error('optional arrays are not XDR', startTok);
      return { kind: 'optional', type, name };
    }
    if (this.isPunct('[')) {
      this.next();
      const length = this.parseValue();
      this.expectPunct(']');
      if (type.kind === 'string') throw this.error("'string' needs <max>, not [n]", startTok);
      return { kind: 'fixed', type, name, length };
    }
    if (this.isPunct('<')) {
      this.next();
      const max = this.isPunct('>') ? null : this.parseValue();
      this.expectPunct('>');
      return { kind: 'var', type, name, max };
    }
    if (type.kind === 'string' || type.kind === 'opaque') {
      throw this.error(`'${type.kind}' needs a length ([n] or <max>)`, startTok);
    }
    return { kind: 'scalar', type, name };
  }
}

export function parseXdr(source: string, file: string): Specification {
  const parser = new Parser(tokenize(source, file), file);
  parser.parseSpecification();
  return { file, definitions: parser.definitions };
}
