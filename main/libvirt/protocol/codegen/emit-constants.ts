/** Emits libvirt-constants.gen.ts from the API XML: enums grouped by C enum type, plus macros. */
import type { ApiConstants, ApiEnumValue, ApiMacroValue } from './api-xml';

function literal(v: bigint, hex: boolean): string {
  if (v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER)) return `${v}n`;
  if (hex && v >= 0n) return `0x${v.toString(16)}`;
  return v.toString();
}

function jsdoc(info: string | null, indent: string): string[] {
  return info === null ? [] : [`${indent}/** ${info.replace(/\s+/g, ' ').replace(/\*\//g, '* /')} */`];
}

function q(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function isIdent(s: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(s);
}

export function emitConstants(api: ApiConstants, header: string): string {
  const out: string[] = [header, ''];
  out.push(
    '// Enum values are grouped by their C enum type: `virDomainState.VIR_DOMAIN_RUNNING`. Flag values',
    '// (bit flags) are written in hex; values >= 2^31 are plain positive numbers, so combine flags',
    '// as `(a | b) >>> 0` before passing them as an `unsigned int`.',
    '',
  );
  const byType = new Map<string, ApiEnumValue[]>();
  for (const e of api.enums) {
    let list = byType.get(e.type);
    if (!list) byType.set(e.type, (list = []));
    list.push(e);
  }
  const seen = new Set<string>();
  for (const type of [...byType.keys()].sort()) {
    if (!isIdent(type)) throw new Error(`libvirt API XML: odd enum type name ${type}`);
    const members = (byType.get(type) as ApiEnumValue[])
      .slice()
      .sort((a, b) =>
        a.value < b.value ? -1 : a.value > b.value ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    const hex =
      members.some((m) => m.isFlag) &&
      members.every((m) => m.value >= 0n && (m.value & (m.value - 1n)) === 0n);
    const source = [...new Set(members.map((m) => m.source))].join(', ');
    out.push(`/** enum ${type} (${source}) */`);
    out.push(`export const ${type} = {`);
    for (const m of members) {
      if (seen.has(m.name)) throw new Error(`libvirt API XML: ${m.name} defined twice`);
      seen.add(m.name);
      out.push(...jsdoc(m.info, '  '), `  ${m.name}: ${literal(m.value, hex)},`);
    }
    out.push('} as const;');
    out.push(`export type ${type} = (typeof ${type})[keyof typeof ${type}];`);
    out.push('');
  }

  const byName = (a: ApiMacroValue, b: ApiMacroValue): number =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const numeric = api.macros
    .filter((m): m is Extract<ApiMacroValue, { kind: 'number' }> => m.kind === 'number')
    .sort(byName);
  const strings = api.macros
    .filter((m): m is Extract<ApiMacroValue, { kind: 'string' }> => m.kind === 'string')
    .sort(byName);
  out.push('// Numeric macros (#define NAME <integer expression>).');
  for (const m of numeric) {
    if (seen.has(m.name)) continue;
    seen.add(m.name);
    out.push(...jsdoc(m.info, ''), `export const ${m.name} = ${literal(m.value, false)};`);
  }
  out.push('');
  out.push('// String macros: typed parameter field names, identity keys, ...');
  for (const m of strings) {
    if (seen.has(m.name)) continue;
    seen.add(m.name);
    out.push(...jsdoc(m.info, ''), `export const ${m.name} = ${q(m.value)};`);
  }
  return `${out.join('\n')}\n`;
}
