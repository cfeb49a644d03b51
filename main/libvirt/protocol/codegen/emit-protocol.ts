/**
 * Emits one `<name>-protocol.gen.ts` module per .x file: constants, TypeScript types, generated
 * encode/decode functions and codec objects for every type, and (for programs) the procedure
 * table. Also produces the schema descriptions used by xdr-schema.gen.ts.
 */
import type { Declaration, NamedDeclaration, TypeDefinition, TypeSpec, Value } from './ast';
import { parseAnnotations, type ParsedAnnotations } from './annotations';
import type { Model, ProtocolFile } from './model';

export interface ProgramConfig {
  /** XDR enum listing the procedures, e.g. `remote_procedure`. */
  readonly procEnum: string;
  readonly procPrefix: string;
  /** Prefix of `<prefix><proc>_args|_ret|_msg` struct names, e.g. `remote_`. */
  readonly structPrefix: string;
  readonly programConst: string;
  readonly versionConst: string;
  /** Exported name of the generated table, e.g. `remoteProcedures`. */
  readonly tableName: string;
  /** Every procedure is an asynchronous message (keepalive PING/PONG). */
  readonly allMessages?: boolean;
}

export interface ProcedureModel {
  readonly name: string;
  readonly proc: number;
  readonly kind: 'call' | 'message';
  readonly args: string | null;
  readonly ret: string | null;
  readonly msg: string | null;
  readonly annotations: ParsedAnnotations;
}

export interface EmittedModule {
  readonly code: string;
  readonly procedures: readonly ProcedureModel[];
  /** XDR type name → TS object-literal text of its schema entry (without codec). */
  readonly schema: ReadonlyMap<string, { description: string; minSize: number; codec: string }>;
  readonly warnings: readonly string[];
}

const PRIM_METHOD: Record<string, string> = {
  int: 'Int',
  uint: 'Uint',
  hyper: 'Hyper',
  uhyper: 'Uhyper',
  char: 'Char',
  uchar: 'Uchar',
  short: 'Short',
  ushort: 'Ushort',
  float: 'Float',
  double: 'Double',
  bool: 'Bool',
};

function q(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function valueText(v: Value | null): string {
  if (v === null) return '';
  return v.kind === 'number' ? v.text : v.name;
}

const PRIM_XDR: Record<string, string> = {
  int: 'int',
  uint: 'unsigned int',
  hyper: 'hyper',
  uhyper: 'unsigned hyper',
  char: 'char',
  uchar: 'unsigned char',
  short: 'short',
  ushort: 'unsigned short',
  float: 'float',
  double: 'double',
  bool: 'bool',
};

/** The declaration as XDR source text, for comments. */
function xdrDeclText(d: NamedDeclaration): string {
  const t = d.type;
  const type = t.kind === 'primitive' ? (PRIM_XDR[t.prim] as string) : t.kind === 'named' ? t.name : t.kind;
  switch (d.kind) {
    case 'scalar':
      return `${type} ${d.name}`;
    case 'optional':
      return `${type} *${d.name}`;
    case 'fixed':
      return `${type} ${d.name}[${valueText(d.length)}]`;
    case 'var':
      return `${type} ${d.name}<${valueText(d.max)}>`;
  }
}

function arrayOf(t: string): string {
  return /[ |&]/.test(t) ? `(${t})[]` : `${t}[]`;
}

function safeComment(s: string): string {
  return s.replace(/\*\//g, '* /');
}

class ModuleEmitter {
  private readonly out: string[] = [];
  private readonly typeImports = new Map<string, Set<string>>();
  private readonly valueImports = new Map<string, Set<string>>();
  private readonly xdrValues = new Set<string>();
  private readonly xdrTypes = new Set<string>();
  readonly schema = new Map<string, { description: string; minSize: number; codec: string }>();
  readonly warnings: string[] = [];

  constructor(
    private readonly model: Model,
    private readonly file: ProtocolFile,
  ) {}

  // ---- names and imports ---------------------------------------------------------------------

  private owner(name: string, where: string): ProtocolFile {
    return this.model.type(name, where).file;
  }

  private typeRef(name: string, where: string): string {
    const ts = this.model.tsName(name);
    const f = this.owner(name, where);
    if (f !== this.file) this.addImport(this.typeImports, f.module, ts);
    return ts;
  }

  private valueRef(name: string, prefix: 'encode' | 'decode', where: string): string {
    const ts = `${prefix}${this.model.tsName(name)}`;
    const f = this.owner(name, where);
    if (f !== this.file) this.addImport(this.valueImports, f.module, ts);
    return ts;
  }

  private addImport(map: Map<string, Set<string>>, module: string, name: string): void {
    let s = map.get(module);
    if (!s) map.set(module, (s = new Set()));
    s.add(name);
  }

  // ---- type expressions ----------------------------------------------------------------------

  private tsOfSpec(t: TypeSpec, where: string): string {
    switch (t.kind) {
      case 'primitive':
        return t.prim === 'hyper' || t.prim === 'uhyper'
          ? 'bigint'
          : t.prim === 'bool'
            ? 'boolean'
            : 'number';
      case 'named':
        return this.typeRef(t.name, where);
      case 'string':
        return 'string';
      case 'opaque':
        return 'Uint8Array';
      case 'void':
        throw new Error(`${where}: void used as a value type`);
    }
  }

  private tsOfDecl(d: NamedDeclaration, where: string): string {
    switch (d.kind) {
      case 'scalar':
        return this.tsOfSpec(d.type, where);
      case 'optional':
        return `${this.tsOfSpec(d.type, where)} | null`;
      case 'fixed':
        return d.type.kind === 'opaque' ? 'Uint8Array' : arrayOf(this.tsOfSpec(d.type, where));
      case 'var':
        if (d.type.kind === 'string') return 'string';
        if (d.type.kind === 'opaque') return 'Uint8Array';
        return arrayOf(this.tsOfSpec(d.type, where));
    }
  }

  /** A typedef simple enough to be inlined at use sites (not an array or optional). */
  private inlineTypedef(name: string, where: string): NamedDeclaration | null {
    const { def } = this.model.type(name, where);
    if (def.kind !== 'typedef') return null;
    const d = def.decl;
    if (d.kind === 'scalar') return d;
    if ((d.kind === 'var' || d.kind === 'fixed') && (d.type.kind === 'string' || d.type.kind === 'opaque'))
      return d;
    return null;
  }

  // ---- encode / decode expressions -------------------------------------------------------------

  private encFn(t: TypeSpec, where: string): string {
    if (t.kind === 'named') return this.valueRef(t.name, 'encode', where);
    if (t.kind === 'primitive') return `(w, e) => w.write${PRIM_METHOD[t.prim] as string}(e)`;
    throw new Error(`${where}: ${t.kind} cannot be an array element or optional type`);
  }

  private decFn(t: TypeSpec, where: string): string {
    if (t.kind === 'named') return this.valueRef(t.name, 'decode', where);
    if (t.kind === 'primitive') return `(r) => r.read${PRIM_METHOD[t.prim] as string}()`;
    throw new Error(`${where}: ${t.kind} cannot be an array element or optional type`);
  }

  private encStmt(d: NamedDeclaration, x: string, where: string): string {
    const m = this.model;
    switch (d.kind) {
      case 'scalar': {
        const t = d.type;
        if (t.kind === 'primitive') return `w.write${PRIM_METHOD[t.prim] as string}(${x});`;
        if (t.kind === 'named') {
          const inl = this.inlineTypedef(t.name, where);
          if (inl) return this.encStmt(inl, x, where);
          return `${this.valueRef(t.name, 'encode', where)}(w, ${x});`;
        }
        throw new Error(`${where}: ${t.kind} needs a length`);
      }
      case 'fixed': {
        const n = m.size(d.length, where);
        if (d.type.kind === 'opaque') return `w.writeFixedOpaque(${x}, ${n});`;
        return `w.writeFixedArray(${x}, ${n}, ${this.encFn(d.type, where)});`;
      }
      case 'var': {
        const max = m.size(d.max, where);
        if (d.type.kind === 'string') return `w.writeString(${x}, ${max});`;
        if (d.type.kind === 'opaque') return `w.writeVarOpaque(${x}, ${max});`;
        return `w.writeArray(${x}, ${max}, ${this.encFn(d.type, where)});`;
      }
      case 'optional':
        return `w.writeOptional(${x}, ${this.encFn(d.type, where)});`;
    }
  }

  private decExpr(d: NamedDeclaration, where: string): string {
    const m = this.model;
    switch (d.kind) {
      case 'scalar': {
        const t = d.type;
        if (t.kind === 'primitive') return `r.read${PRIM_METHOD[t.prim] as string}()`;
        if (t.kind === 'named') {
          const inl = this.inlineTypedef(t.name, where);
          if (inl) return this.decExpr(inl, where);
          return `${this.valueRef(t.name, 'decode', where)}(r)`;
        }
        throw new Error(`${where}: ${t.kind} needs a length`);
      }
      case 'fixed': {
        const n = m.size(d.length, where);
        if (d.type.kind === 'opaque') return `r.readFixedOpaque(${n})`;
        return `r.readFixedArray(${n}, ${this.decFn(d.type, where)})`;
      }
      case 'var': {
        const max = m.size(d.max, where);
        if (d.type.kind === 'string') return `r.readString(${max})`;
        if (d.type.kind === 'opaque') return `r.readVarOpaque(${max})`;
        return `r.readArray(${max}, ${m.minTypeSize(d.type, where)}, ${this.decFn(d.type, where)})`;
      }
      case 'optional':
        return `r.readOptional(${this.decFn(d.type, where)})`;
    }
  }

  /** Trailing comment documenting a length bound, e.g. `<REMOTE_DOMAIN_LIST_MAX>`. */
  private boundComment(d: NamedDeclaration): string {
    if (d.kind === 'fixed') return ` // [${valueText(d.length)}]`;
    if (d.kind === 'var') return ` // <${valueText(d.max)}>`;
    return '';
  }

  // ---- schema descriptions ---------------------------------------------------------------------

  private schemaSpec(t: TypeSpec, where: string): string {
    switch (t.kind) {
      case 'primitive':
        return q(t.prim);
      case 'named':
        this.model.type(t.name, where);
        return `{ ref: ${q(t.name)} }`;
      case 'void':
        return `'void'`;
      default:
        throw new Error(`${where}: ${t.kind} needs a length`);
    }
  }

  private schemaDecl(d: Declaration, where: string): string {
    const m = this.model;
    switch (d.kind) {
      case 'void':
        return `'void'`;
      case 'scalar':
        return this.schemaSpec(d.type, where);
      case 'optional':
        return `{ optional: ${this.schemaSpec(d.type, where)} }`;
      case 'fixed': {
        const n = m.size(d.length, where);
        if (d.type.kind === 'opaque') return `{ fixedOpaque: ${n} }`;
        return `{ fixedArray: ${this.schemaSpec(d.type, where)}, length: ${n} }`;
      }
      case 'var': {
        const max = m.size(d.max, where);
        if (d.type.kind === 'string') return `{ string: ${max} }`;
        if (d.type.kind === 'opaque') return `{ opaque: ${max} }`;
        return `{ array: ${this.schemaSpec(d.type, where)}, max: ${max} }`;
      }
    }
  }

  // ---- definitions ---------------------------------------------------------------------------

  private emitCodecFunctions(name: string, ts: string, encBody: string[], decBody: string[]): void {
    this.xdrTypes.add('XdrWriter');
    this.xdrTypes.add('XdrReader');
    this.xdrTypes.add('XdrCodec');
    this.out.push(`export function encode${ts}(w: XdrWriter, v: ${ts}): void {`);
    for (const l of encBody) this.out.push(`  ${l}`);
    this.out.push('}');
    this.out.push(`export function decode${ts}(r: XdrReader): ${ts} {`);
    for (const l of decBody) this.out.push(`  ${l}`);
    this.out.push('}');
    this.out.push(
      `export const ${ts}Codec: XdrCodec<${ts}> = { name: ${q(name)}, encode: encode${ts}, decode: decode${ts} };`,
    );
  }

  private emitConst(name: string, v: Value, where: string): void {
    const value = this.model.constValue(name, where);
    const text =
      v.kind === 'number' && /^0[xX]/.test(v.text)
        ? v.text.toLowerCase()
        : value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
          ? value.toString()
          : `${value}n`;
    const note = v.kind === 'ident' ? ` // = ${v.name}` : '';
    this.out.push(`export const ${name} = ${text};${note}`);
  }

  private emitEnum(def: Extract<TypeDefinition, { kind: 'enum' }>, where: string): void {
    const ts = this.model.tsName(def.name);
    const values: string[] = [];
    this.out.push(`/** enum ${def.name} */`);
    this.out.push(`export const ${ts} = {`);
    for (const mem of def.members) {
      const v = this.model.enumValue(mem.value, where);
      values.push(`${mem.name}: ${v}`);
      this.out.push(`  ${mem.name}: ${v},`);
    }
    this.out.push('} as const;');
    this.out.push(`export type ${ts} = (typeof ${ts})[keyof typeof ${ts}];`);
    this.out.push(`const ${ts}Values: ReadonlySet<${ts}> = new Set(Object.values(${ts}));`);
    this.emitCodecFunctions(
      def.name,
      ts,
      [`w.writeEnum(v, ${ts}Values, ${q(def.name)});`],
      [`return r.readEnum(${ts}Values, ${q(def.name)});`],
    );
    this.schema.set(def.name, {
      description: `{ kind: 'enum', values: { ${values.join(', ')} } }`,
      minSize: 4,
      codec: `${ts}Codec`,
    });
  }

  private emitTypedef(def: Extract<TypeDefinition, { kind: 'typedef' }>, where: string): void {
    const ts = this.model.tsName(def.name);
    const d = def.decl;
    this.out.push(`/** typedef ${safeComment(xdrDeclText(d))} */`);
    this.out.push(`export type ${ts} = ${this.tsOfDecl(d, where)};`);
    this.emitCodecFunctions(
      def.name,
      ts,
      [this.encStmt(d, 'v', where)],
      [`return ${this.decExpr(d, where)};`],
    );
    this.schema.set(def.name, {
      description: `{ kind: 'typedef', type: ${this.schemaDecl(d, where)} }`,
      minSize: this.model.minNamedSize(def.name, where),
      codec: `${ts}Codec`,
    });
  }

  private emitStruct(def: Extract<TypeDefinition, { kind: 'struct' }>, where: string): void {
    const ts = this.model.tsName(def.name);
    this.out.push(`/** struct ${def.name} */`);
    this.out.push(`export interface ${ts} {`);
    const seen = new Set<string>();
    for (const f of def.fields) {
      if (seen.has(f.name)) throw new Error(`${where}: duplicate field ${f.name} in ${def.name}`);
      seen.add(f.name);
      this.out.push(`  ${f.name}: ${this.tsOfDecl(f, where)};${this.boundComment(f)}`);
    }
    this.out.push('}');
    const enc = def.fields.map((f) => this.encStmt(f, `v.${f.name}`, where));
    const dec = ['return {', ...def.fields.map((f) => `  ${f.name}: ${this.decExpr(f, where)},`), '};'];
    this.emitCodecFunctions(def.name, ts, enc, dec);
    const fields = def.fields.map((f) => `[${q(f.name)}, ${this.schemaDecl(f, where)}]`).join(', ');
    this.schema.set(def.name, {
      description: `{ kind: 'struct', fields: [${fields}] }`,
      minSize: this.model.minNamedSize(def.name, where),
      codec: `${ts}Codec`,
    });
  }

  private emitUnion(def: Extract<TypeDefinition, { kind: 'union' }>, where: string): void {
    const m = this.model;
    const ts = m.tsName(def.name);
    const disc = def.discriminant;
    if (disc.kind !== 'scalar') throw new Error(`${where}: bad discriminant`);
    const dt = disc.type;
    let discKind: 'int' | 'uint' | 'bool' | 'enum';
    let enumTs: string | null = null;
    if (dt.kind === 'primitive' && (dt.prim === 'int' || dt.prim === 'uint' || dt.prim === 'bool')) {
      discKind = dt.prim;
    } else if (dt.kind === 'named' && m.resolveNamed(dt.name, where).kind === 'enum') {
      discKind = 'enum';
      enumTs = this.typeRef(dt.name, where);
    } else {
      throw new Error(`${where}: union ${def.name}: discriminant must be int, unsigned int, bool or an enum`);
    }
    const dn = disc.name;
    const lit = (v: Value): string => {
      const n = m.num(v, where);
      if (discKind === 'bool') {
        if (n !== 0 && n !== 1) throw new Error(`${where}: bool case ${n}`);
        return n === 1 ? 'true' : 'false';
      }
      if (discKind === 'uint' && (n < 0 || n > 0xffffffff)) throw new Error(`${where}: unsigned case ${n}`);
      if (discKind !== 'uint' && (n < -2147483648 || n > 2147483647))
        throw new Error(`${where}: int case ${n}`);
      return String(n);
    };
    const seen = new Set<string>();
    const arms = def.arms.map((a) => {
      const cases = a.cases.map((c) => {
        const l = lit(c);
        if (seen.has(l)) throw new Error(`${where}: union ${def.name}: duplicate case ${l}`);
        seen.add(l);
        return { text: l, label: c.kind === 'ident' ? c.name : null };
      });
      const caseType = cases.map((c) => c.text).join(' | ');
      const fieldType = a.decl.kind === 'void' ? null : this.tsOfDecl(a.decl, where);
      const member =
        a.decl.kind === 'void'
          ? `{ ${dn}: ${caseType} }`
          : `{ ${dn}: ${caseType}; ${a.decl.name}: ${fieldType} }`;
      return { cases, caseType, decl: a.decl, member };
    });
    const discTs = discKind === 'bool' ? 'boolean' : discKind === 'enum' ? (enumTs as string) : 'number';
    const defaultDiscTs =
      discKind === 'enum' && seen.size > 0 ? `Exclude<${discTs}, ${[...seen].join(' | ')}>` : discTs;
    const dflt = def.defaultArm;
    const defaultMember =
      dflt === null
        ? null
        : dflt.kind === 'void'
          ? `{ ${dn}: ${defaultDiscTs} }`
          : `{ ${dn}: ${defaultDiscTs}; ${dflt.name}: ${this.tsOfDecl(dflt, where)} }`;

    this.out.push(
      `/** union ${def.name} switch (${discKind === 'enum' ? (dt.kind === 'named' ? dt.name : '') : discKind} ${dn}) */`,
    );
    this.out.push(`export type ${ts} =`);
    for (const a of arms) {
      const labels = a.cases.map((c) => c.label).filter((l): l is string => l !== null);
      this.out.push(`  | ${a.member}${labels.length ? ` // ${labels.join(', ')}` : ''}`);
    }
    if (defaultMember) this.out.push(`  | ${defaultMember} // default`);
    this.out[this.out.length - 1] = this.out[this.out.length - 1]?.replace(/( \/\/.*)?$/, ';$1') ?? '';

    const encDisc = (x: string): string => this.encStmt(disc, x, where);
    const needCast = dflt !== null;
    const enc: string[] = [`switch (v.${dn}) {`];
    for (const a of arms) {
      const labels = a.cases.map((c) => `case ${c.text}:`).join(' ');
      if (a.decl.kind === 'void') {
        enc.push(`  ${labels}`, `    ${encDisc(`v.${dn}`)}`, '    return;');
      } else if (needCast) {
        enc.push(
          `  ${labels} {`,
          `    const a = v as ${a.member};`,
          `    ${encDisc(`a.${dn}`)}`,
          `    ${this.encStmt(a.decl, `a.${a.decl.name}`, where)}`,
          '    return;',
          '  }',
        );
      } else {
        enc.push(
          `  ${labels}`,
          `    ${encDisc(`v.${dn}`)}`,
          `    ${this.encStmt(a.decl, `v.${a.decl.name}`, where)}`,
          '    return;',
        );
      }
    }
    this.xdrValues.add('XdrError');
    if (dflt === null) {
      enc.push(
        '  default:',
        `    throw new XdrError('invalid-discriminant', \`${def.name}: no arm for ${dn} \${String((v as { ${dn}: unknown }).${dn})}\`);`,
      );
    } else if (dflt.kind === 'void') {
      enc.push('  default:', `    ${encDisc(`v.${dn}`)}`);
    } else {
      enc.push(
        '  default: {',
        `    const a = v as ${defaultMember as string};`,
        `    ${encDisc(`a.${dn}`)}`,
        `    ${this.encStmt(dflt, `a.${dflt.name}`, where)}`,
        '  }',
      );
    }
    enc.push('}');

    const dec: string[] = [`const d = ${this.decExpr(disc, where)};`, 'switch (d) {'];
    for (const a of arms) {
      const labels = a.cases.map((c) => `case ${c.text}:`).join(' ');
      const dval = a.cases.length === 1 ? (a.cases[0] as { text: string }).text : 'd';
      dec.push(
        `  ${labels}`,
        a.decl.kind === 'void'
          ? `    return { ${dn}: ${dval} };`
          : `    return { ${dn}: ${dval}, ${a.decl.name}: ${this.decExpr(a.decl, where)} };`,
      );
    }
    if (dflt === null) {
      dec.push(
        '  default:',
        `    throw new XdrError('invalid-discriminant', \`${def.name}: no arm for ${dn} \${String(d)}\`, r.pos - 4);`,
      );
    } else {
      dec.push(
        '  default:',
        dflt.kind === 'void'
          ? `    return { ${dn}: d };`
          : `    return { ${dn}: d, ${dflt.name}: ${this.decExpr(dflt, where)} };`,
      );
    }
    dec.push('}');
    this.emitCodecFunctions(def.name, ts, enc, dec);

    const armDesc = (cases: string[], d: Declaration): string =>
      `{ cases: [${cases.join(', ')}], field: ${d.kind === 'void' ? 'null' : q(d.name)}, type: ${this.schemaDecl(d, where)} }`;
    const armsDesc = arms
      .map((a) =>
        armDesc(
          a.cases.map((c) => c.text),
          a.decl,
        ),
      )
      .join(', ');
    this.schema.set(def.name, {
      description: `{ kind: 'union', discriminant: [${q(dn)}, ${this.schemaDecl(disc, where)}], arms: [${armsDesc}], default: ${dflt === null ? 'null' : armDesc([], dflt)} }`,
      minSize: m.minNamedSize(def.name, where),
      codec: `${ts}Codec`,
    });
  }

  emitDefinitions(): void {
    for (const def of this.file.spec.definitions) {
      const where = `${this.file.xName}:${def.line}`;
      switch (def.kind) {
        case 'const':
          this.emitConst(def.name, def.value, where);
          break;
        case 'enum':
          this.out.push('');
          this.emitEnum(def, where);
          break;
        case 'typedef':
          this.out.push('');
          this.emitTypedef(def, where);
          break;
        case 'struct':
          this.out.push('');
          this.emitStruct(def, where);
          break;
        case 'union':
          this.out.push('');
          this.emitUnion(def, where);
          break;
      }
    }
  }

  // ---- procedure table -------------------------------------------------------------------------

  emitProcedures(cfg: ProgramConfig): ProcedureModel[] {
    const m = this.model;
    const entry = m.type(cfg.procEnum, this.file.xName);
    if (entry.def.kind !== 'enum' || entry.file !== this.file) {
      throw new Error(`${this.file.xName}: ${cfg.procEnum} is not an enum of this file`);
    }
    for (const c of [cfg.programConst, cfg.versionConst]) {
      if (m.constFile(c) !== this.file) throw new Error(`${this.file.xName}: constant ${c} not defined here`);
    }
    const used = new Set<string>();
    const procs: ProcedureModel[] = [];
    const seenNumbers = new Map<number, string>();
    for (const mem of entry.def.members) {
      const where = `${this.file.xName}:${mem.line}`;
      if (!mem.name.startsWith(cfg.procPrefix))
        throw new Error(`${where}: ${mem.name} lacks prefix ${cfg.procPrefix}`);
      const proc = m.enumValue(mem.value, where);
      const dup = seenNumbers.get(proc);
      if (dup !== undefined)
        throw new Error(`${where}: procedure number ${proc} used by ${dup} and ${mem.name}`);
      seenNumbers.set(proc, mem.name);
      const base = cfg.structPrefix + mem.name.slice(cfg.procPrefix.length).toLowerCase();
      const find = (suffix: string): string | null => {
        const n = `${base}_${suffix}`;
        if (!m.types.has(n)) return null;
        used.add(n);
        return n;
      };
      const args = find('args');
      const ret = find('ret');
      const msg = find('msg');
      if (msg && (args || ret)) throw new Error(`${where}: ${mem.name} has both a _msg and _args/_ret`);
      const kind = msg || cfg.allMessages ? 'message' : 'call';
      const annotations = parseAnnotations(mem.doc, where, (w) => this.warnings.push(w));
      if (
        kind === 'message' &&
        (annotations.readStream !== undefined || annotations.writeStream !== undefined)
      ) {
        throw new Error(`${where}: message procedure ${mem.name} has a stream annotation`);
      }
      procs.push({ name: mem.name, proc, kind, args, ret, msg, annotations });
    }
    for (const [name, e] of m.types) {
      if (
        e.file === this.file &&
        /_(args|ret|msg)$/.test(name) &&
        name.startsWith(cfg.structPrefix) &&
        !used.has(name)
      ) {
        this.warnings.push(`${this.file.xName}: ${name} matches no procedure of ${cfg.procEnum}`);
      }
    }

    const codec = (n: string | null): string => {
      if (n === null) {
        this.xdrValues.add('xdrVoid');
        return 'xdrVoid';
      }
      return `${m.tsName(n)}Codec`;
    };
    const usesCall = procs.some((p) => p.kind === 'call');
    const usesMessage = procs.some((p) => p.kind === 'message');
    const fns = [usesCall ? 'call' : null, usesMessage ? 'message' : null]
      .filter((x) => x !== null)
      .join(', ');
    this.out.push('');
    this.out.push(`const { ${fns} } = procedureFactory(${cfg.programConst}, ${cfg.versionConst});`);
    this.out.push('');
    this.out.push(`/** Procedures of ${cfg.programConst} (enum ${cfg.procEnum}), keyed by name. */`);
    this.out.push(`export const ${cfg.tableName} = {`);
    for (const p of procs) {
      const a = p.annotations;
      const ann: string[] = [];
      if (a.generate !== undefined) ann.push(`generate: ${q(a.generate)}`);
      if (a.priority !== undefined) ann.push(`priority: ${q(a.priority)}`);
      if (a.readStream !== undefined) ann.push(`readStream: ${a.readStream}`);
      if (a.writeStream !== undefined) ann.push(`writeStream: ${a.writeStream}`);
      if (a.sparseFlag !== undefined) ann.push(`sparseFlag: ${q(a.sparseFlag)}`);
      if (a.acl.length) ann.push(`acl: [${a.acl.map(q).join(', ')}]`);
      if (a.aclFilter.length) ann.push(`aclFilter: [${a.aclFilter.map(q).join(', ')}]`);
      const annText = ann.length ? `, { ${ann.join(', ')} }` : '';
      const call =
        p.kind === 'message'
          ? `message(${p.proc}, ${q(p.name)}, ${codec(p.msg)}${annText})`
          : `call(${p.proc}, ${q(p.name)}, ${codec(p.args)}, ${codec(p.ret)}${annText})`;
      this.out.push(`  ${p.name}: ${call},`);
    }
    this.out.push('} as const;');
    this.out.push(`export type ${pascalTable(cfg.tableName)}Name = keyof typeof ${cfg.tableName};`);
    return procs;
  }

  render(header: string, hasProcedures: boolean): string {
    const lines: string[] = [header, ''];
    const xdr = [...[...this.xdrValues].sort(), ...[...this.xdrTypes].sort().map((t) => `type ${t}`)];
    if (xdr.length) lines.push(`import { ${xdr.join(', ')} } from '../../xdr';`);
    if (hasProcedures) lines.push(`import { procedureFactory } from '../procedure';`);
    for (const mod of [...new Set([...this.typeImports.keys(), ...this.valueImports.keys()])].sort()) {
      const types = [...(this.typeImports.get(mod) ?? [])].sort();
      const values = [...(this.valueImports.get(mod) ?? [])].sort();
      if (types.length) lines.push(`import type { ${types.join(', ')} } from './${mod}';`);
      if (values.length) lines.push(`import { ${values.join(', ')} } from './${mod}';`);
    }
    lines.push('');
    return `${[...lines, ...this.out.slice(this.out[0] === '' ? 1 : 0)].join('\n')}\n`;
  }
}

function pascalTable(name: string): string {
  return (name[0] as string).toUpperCase() + name.slice(1).replace(/s$/, '');
}

export function emitProtocolModule(
  model: Model,
  file: ProtocolFile,
  header: string,
  program: ProgramConfig | null,
): EmittedModule {
  const e = new ModuleEmitter(model, file);
  e.emitDefinitions();
  const procedures = program ? e.emitProcedures(program) : [];
  return { code: e.render(header, program !== null), procedures, schema: e.schema, warnings: e.warnings };
}
