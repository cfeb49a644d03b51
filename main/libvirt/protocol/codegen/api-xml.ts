/**
 * Reads enum and macro constants from libvirt's API description (libvirt-api.xml,
 * libvirt-qemu-api.xml; package libvirt-dev, /usr/share/libvirt/api). No XML library: the files
 * are machine-written and the elements we need are flat, attribute-only tags.
 */

export interface ApiEnumValue {
  readonly name: string;
  /** The C enum type the value belongs to, e.g. `virDomainState`. */
  readonly type: string;
  readonly value: bigint;
  /** True when libvirt marks it as a bit flag (`value_bitshift` present). */
  readonly isFlag: boolean;
  readonly info: string | null;
  readonly version: string | null;
  /** Which API file it came from (`libvirt-api.xml`, `libvirt-qemu-api.xml`). */
  readonly source: string;
}

export type ApiMacroValue =
  | {
      readonly name: string;
      readonly kind: 'number';
      readonly value: bigint;
      readonly info: string | null;
      readonly source: string;
    }
  | {
      readonly name: string;
      readonly kind: 'string';
      readonly value: string;
      readonly info: string | null;
      readonly source: string;
    };

export interface ApiConstants {
  /** LIBVIR_VERSION_NUMBER decoded as `major.minor.micro`, if present. */
  readonly version: string | null;
  readonly enums: readonly ApiEnumValue[];
  readonly macros: readonly ApiMacroValue[];
  /** Every numeric name (enum values and numeric macros) → value. */
  readonly numbers: ReadonlyMap<string, bigint>;
}

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|apos|quot|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    switch (e) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'apos':
        return "'";
      case 'quot':
        return '"';
      default:
        return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

function parseAttributes(s: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const re = /([A-Za-z_][\w.-]*)\s*=\s*(?:'([^']*)'|"([^"]*)")/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    attrs.set(m[1] as string, decodeEntities(m[2] ?? m[3] ?? ''));
  }
  return attrs;
}

function normalizeInfo(s: string | undefined): string | null {
  if (s === undefined) return null;
  const t = s.replace(/\s+/g, ' ').trim();
  return t === '' ? null : t;
}

/**
 * Evaluates the simple C integer expressions found in libvirt macros, e.g. `(256 + 1)`,
 * `9007199254740991LL`, `VIR_TYPED_PARAM_FIELD_LENGTH`. Returns null for anything else.
 */
export function evalCInteger(expr: string, lookup: (name: string) => bigint | undefined): bigint | null {
  const src = expr.replace(/\/\*[\s\S]*?\*\//g, ' ').trim();
  if (src === '') return null;
  const tokens = src.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[-+*/%|&^~()]|\S/g);
  if (!tokens) return null;
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const fail = (): never => {
    throw new Error('unsupported');
  };
  const primary = (): bigint => {
    const t = tokens[i++];
    if (t === undefined) return fail();
    if (t === '(') {
      const v = orExpr();
      if (tokens[i++] !== ')') fail();
      return v;
    }
    if (t === '-') return -primary();
    if (t === '+') return primary();
    if (t === '~') return ~primary();
    if (/^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.test(t)) {
      const digits = t.replace(/[uUlL]+$/, '');
      return /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
    }
    if (/^[A-Za-z_]\w*$/.test(t)) {
      const v = lookup(t);
      if (v === undefined) fail();
      return v as bigint;
    }
    return fail();
  };
  const binary =
    (ops: readonly string[], next: () => bigint, apply: (op: string, a: bigint, b: bigint) => bigint) =>
    (): bigint => {
      let v = next();
      for (let t = peek(); t !== undefined && ops.includes(t); t = peek()) {
        i++;
        v = apply(t, v, next());
      }
      return v;
    };
  const mul = binary(['*', '/', '%'], primary, (op, a, b) => {
    if (op !== '*' && b === 0n) fail();
    return op === '*' ? a * b : op === '/' ? a / b : a % b;
  });
  const add = binary(['+', '-'], mul, (op, a, b) => (op === '+' ? a + b : a - b));
  const shift = binary(['<<', '>>'], add, (op, a, b) => (op === '<<' ? a << b : a >> b));
  const and = binary(['&'], shift, (_op, a, b) => a & b);
  const xor = binary(['^'], and, (_op, a, b) => a ^ b);
  const orExpr = binary(['|'], xor, (_op, a, b) => a | b);
  try {
    const v = orExpr();
    return i === tokens.length ? v : null;
  } catch {
    return null;
  }
}

interface RawEnum {
  name: string;
  type: string;
  raw: string;
  isFlag: boolean;
  info: string | null;
  version: string | null;
  source: string;
}
interface RawMacro {
  name: string;
  raw: string | undefined;
  str: string | undefined;
  info: string | null;
  source: string;
}

/** Parses and resolves one or more API XML documents together (qemu refers to libvirt names). */
export function parseApiXml(docs: readonly { readonly file: string; readonly xml: string }[]): ApiConstants {
  const rawEnums: RawEnum[] = [];
  const rawMacros: RawMacro[] = [];
  for (const { file, xml } of docs) {
    for (const m of xml.matchAll(/<enum\s([^>]*?)\/?>/g)) {
      const a = parseAttributes(m[1] as string);
      const name = a.get('name');
      const raw = a.get('value');
      if (!name || raw === undefined) continue;
      rawEnums.push({
        name,
        type: a.get('type') ?? '(untyped)',
        raw,
        isFlag: a.has('value_bitshift'),
        info: normalizeInfo(a.get('info')),
        version: a.get('version') ?? null,
        source: file,
      });
    }
    for (const m of xml.matchAll(/<macro\s([^>]*?)(\/?)>([\s\S]*?<\/macro>)?/g)) {
      const a = parseAttributes(m[1] as string);
      const name = a.get('name');
      if (!name || a.has('params')) continue;
      const body = m[3] ?? '';
      const cdata = /<info><!\[CDATA\[([\s\S]*?)\]\]><\/info>/.exec(body);
      rawMacros.push({
        name,
        raw: a.get('raw'),
        str: a.get('string'),
        info: normalizeInfo(cdata?.[1] ?? a.get('info')),
        source: file,
      });
    }
  }

  const numbers = new Map<string, bigint>();
  const pendingEnums = new Map(rawEnums.map((e) => [e.name, e]));
  const pendingMacros = new Map(rawMacros.filter((m) => m.raw !== undefined).map((m) => [m.name, m]));
  // Values may refer to other names (possibly defined later, possibly in another file): iterate.
  for (let progress = true; progress;) {
    progress = false;
    for (const [name, e] of pendingEnums) {
      const v = evalCInteger(e.raw, (n) => numbers.get(n));
      if (v !== null) {
        numbers.set(name, v);
        pendingEnums.delete(name);
        progress = true;
      }
    }
    for (const [name, m] of pendingMacros) {
      const v = evalCInteger(m.raw ?? '', (n) => numbers.get(n));
      if (v !== null) {
        numbers.set(name, v);
        pendingMacros.delete(name);
        progress = true;
      }
    }
  }
  if (pendingEnums.size > 0) {
    const list = [...pendingEnums.values()].map((e) => `${e.name}=${e.raw}`).join(', ');
    throw new Error(`libvirt API XML: cannot resolve enum value(s): ${list}`);
  }

  const enums: ApiEnumValue[] = rawEnums.map((e) => ({
    name: e.name,
    type: e.type,
    value: numbers.get(e.name) as bigint,
    isFlag: e.isFlag,
    info: e.info,
    version: e.version,
    source: e.source,
  }));
  const macros: ApiMacroValue[] = [];
  for (const m of rawMacros) {
    if (m.str !== undefined) {
      macros.push({ name: m.name, kind: 'string', value: m.str, info: m.info, source: m.source });
    } else {
      const v = numbers.get(m.name);
      if (v !== undefined)
        macros.push({ name: m.name, kind: 'number', value: v, info: m.info, source: m.source });
    }
  }
  const vn = numbers.get('LIBVIR_VERSION_NUMBER');
  const version = vn === undefined ? null : `${vn / 1000000n}.${(vn / 1000n) % 1000n}.${vn % 1000n}`;
  return { version, enums, macros, numbers };
}
