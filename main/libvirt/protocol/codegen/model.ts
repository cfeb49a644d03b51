/**
 * Symbol resolution across all parsed .x files plus libvirt's API constants: constant values,
 * named types, TypeScript names, minimum encoded sizes.
 */
import type { Declaration, Specification, TypeDefinition, TypeSpec, Value } from './ast';
import type { ApiConstants } from './api-xml';

/** One .x input and the module generated from it. */
export interface ProtocolFile {
  /** Short id used in the schema and messages, e.g. `remote`. */
  readonly id: string;
  /** Name of the .x file for headers, e.g. `remote_protocol.x`. */
  readonly xName: string;
  /** Generated module name without extension, e.g. `remote-protocol.gen`. */
  readonly module: string;
  readonly spec: Specification;
}

export interface TypeEntry {
  readonly def: TypeDefinition;
  readonly file: ProtocolFile;
}

interface ConstEntry {
  readonly value: Value | bigint;
  readonly file: ProtocolFile | null;
  readonly where: string;
}

export const UNBOUNDED = 0xffffffff;

/** `remote_nonnull_domain` → `RemoteNonnullDomain`, `virNetMessageHeader` → `VirNetMessageHeader`. */
export function pascalCase(name: string): string {
  return name
    .split('_')
    .filter((p) => p !== '')
    .map((p) => (p[0] as string).toUpperCase() + p.slice(1))
    .join('');
}

export class Model {
  readonly types = new Map<string, TypeEntry>();
  private readonly consts = new Map<string, ConstEntry>();
  private readonly resolved = new Map<string, bigint>();
  private readonly resolving = new Set<string>();
  private readonly tsNames = new Map<string, string>();
  private readonly minSizes = new Map<string, number>();

  constructor(
    readonly files: readonly ProtocolFile[],
    readonly api: ApiConstants,
  ) {
    const tsOwner = new Map<string, string>();
    for (const file of files) {
      for (const def of file.spec.definitions) {
        const where = `${file.xName}:${def.line}`;
        if (def.kind === 'const') {
          this.defineConst(def.name, { value: def.value, file, where });
          continue;
        }
        if (this.types.has(def.name)) throw new Error(`${where}: type ${def.name} defined twice`);
        this.types.set(def.name, { def, file });
        const ts = pascalCase(def.name);
        const clash = tsOwner.get(ts);
        if (clash !== undefined)
          throw new Error(`${where}: TypeScript name ${ts} used by both ${clash} and ${def.name}`);
        tsOwner.set(ts, def.name);
        this.tsNames.set(def.name, ts);
        if (def.kind === 'enum') {
          for (const m of def.members)
            this.defineConst(m.name, { value: m.value, file, where: `${file.xName}:${m.line}` });
        }
      }
    }
    for (const [name, value] of api.numbers) {
      if (!this.consts.has(name)) this.consts.set(name, { value, file: null, where: 'libvirt API XML' });
    }
    this.consts.set('TRUE', { value: 1n, file: null, where: 'builtin' });
    this.consts.set('FALSE', { value: 0n, file: null, where: 'builtin' });
  }

  private defineConst(name: string, entry: ConstEntry): void {
    if (this.consts.has(name)) throw new Error(`${entry.where}: constant ${name} defined twice`);
    this.consts.set(name, entry);
  }

  /** Where a constant comes from: an .x file, or null for libvirt API / builtin names. */
  constFile(name: string): ProtocolFile | null {
    return this.consts.get(name)?.file ?? null;
  }

  constValue(name: string, where: string): bigint {
    const done = this.resolved.get(name);
    if (done !== undefined) return done;
    const entry = this.consts.get(name);
    if (!entry) throw new Error(`${where}: unknown constant ${name}`);
    if (this.resolving.has(name)) throw new Error(`${where}: constant ${name} is defined in terms of itself`);
    this.resolving.add(name);
    const v = typeof entry.value === 'bigint' ? entry.value : this.value(entry.value, entry.where);
    this.resolving.delete(name);
    this.resolved.set(name, v);
    return v;
  }

  value(v: Value, where: string): bigint {
    return v.kind === 'number' ? v.value : this.constValue(v.name, where);
  }

  /** A value that must fit a JS number (sizes, enum values, case labels). */
  num(v: Value, where: string): number {
    const b = this.value(v, where);
    if (b < BigInt(Number.MIN_SAFE_INTEGER) || b > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`${where}: value ${b} does not fit a JS number`);
    }
    return Number(b);
  }

  /** A length/maximum: 0..2^32-1. `null` (for `<>`) means unbounded. */
  size(v: Value | null, where: string): number {
    if (v === null) return UNBOUNDED;
    const n = this.num(v, where);
    if (n < 0 || n > UNBOUNDED) throw new Error(`${where}: size ${n} out of range`);
    return n;
  }

  /** Enum member values must be int32. */
  enumValue(v: Value, where: string): number {
    const n = this.num(v, where);
    if (n < -2147483648 || n > 2147483647) throw new Error(`${where}: enum value ${n} is not a 32-bit int`);
    return n;
  }

  type(name: string, where: string): TypeEntry {
    const t = this.types.get(name);
    if (!t) throw new Error(`${where}: unknown type ${name}`);
    return t;
  }

  tsName(name: string): string {
    const t = this.tsNames.get(name);
    if (t === undefined) throw new Error(`unknown type ${name}`);
    return t;
  }

  /** Follows typedef chains of plain (scalar) declarations to the underlying named definition. */
  resolveNamed(name: string, where: string): TypeDefinition {
    let entry = this.type(name, where);
    for (let hops = 0; entry.def.kind === 'typedef' && entry.def.decl.kind === 'scalar'; hops++) {
      const t = entry.def.decl.type;
      if (t.kind !== 'named') break;
      if (hops > 100) throw new Error(`${where}: typedef loop at ${name}`);
      entry = this.type(t.name, where);
    }
    return entry.def;
  }

  /** Smallest encoded size of a value of this type spec used as a scalar. */
  minTypeSize(t: TypeSpec, where: string): number {
    switch (t.kind) {
      case 'void':
        return 0;
      case 'primitive':
        return t.prim === 'hyper' || t.prim === 'uhyper' || t.prim === 'double' ? 8 : 4;
      case 'string':
      case 'opaque':
        return 4;
      case 'named':
        return this.minNamedSize(t.name, where);
    }
  }

  minDeclSize(d: Declaration, where: string): number {
    switch (d.kind) {
      case 'void':
        return 0;
      case 'scalar':
        return this.minTypeSize(d.type, where);
      case 'optional':
      case 'var':
        return 4;
      case 'fixed': {
        const n = this.size(d.length, where);
        return d.type.kind === 'opaque' ? (n + 3) & ~3 : n * this.minTypeSize(d.type, where);
      }
    }
  }

  minNamedSize(name: string, where: string): number {
    const cached = this.minSizes.get(name);
    if (cached !== undefined) {
      if (cached < 0)
        throw new Error(
          `${where}: type ${name} contains itself without an optional or variable-length indirection`,
        );
      return cached;
    }
    this.minSizes.set(name, -1);
    const { def, file } = this.type(name, where);
    const at = `${file.xName}:${def.line}`;
    let size: number;
    switch (def.kind) {
      case 'enum':
        size = 4;
        break;
      case 'typedef':
        size = this.minDeclSize(def.decl, at);
        break;
      case 'struct':
        size = def.fields.reduce((s, f) => s + this.minDeclSize(f, at), 0);
        break;
      case 'union': {
        const arms = def.arms.map((a) => this.minDeclSize(a.decl, at));
        if (def.defaultArm) arms.push(this.minDeclSize(def.defaultArm, at));
        size = this.minDeclSize(def.discriminant, at) + Math.min(...arms);
        break;
      }
    }
    this.minSizes.set(name, size);
    return size;
  }
}
