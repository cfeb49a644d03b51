/**
 * libvirt typed parameters (`remote_typed_param`): a list of `{field, value}` where the value is
 * one of INT, UINT, LLONG, ULLONG, DOUBLE, BOOLEAN, STRING. Keys MAY repeat (migration's
 * `migrate_disks`, bulk domain stats' per-device keys are distinct but order matters), so the
 * canonical representation is an ordered array; the helpers read it into maps when that is handy.
 *
 * Types must match exactly when sending (libvirt rejects a UINT where it expects ULLONG), hence
 * explicit builders: `tp.ullong('hard_limit', 1048576n)`.
 */
import type { RemoteTypedParam, RemoteTypedParamValue } from '../protocol';

export type TypedParam =
  | { readonly field: string; readonly type: 'int'; readonly value: number }
  | { readonly field: string; readonly type: 'uint'; readonly value: number }
  | { readonly field: string; readonly type: 'llong'; readonly value: bigint }
  | { readonly field: string; readonly type: 'ullong'; readonly value: bigint }
  | { readonly field: string; readonly type: 'double'; readonly value: number }
  | { readonly field: string; readonly type: 'boolean'; readonly value: boolean }
  | { readonly field: string; readonly type: 'string'; readonly value: string };

export type TypedParamType = TypedParam['type'];
export type TypedParamValue = TypedParam['value'];

/** libvirt's field name limit (VIR_TYPED_PARAM_FIELD_LENGTH 80, including the NUL). */
export const TYPED_PARAM_FIELD_MAX = 79;

export function fromRemoteTypedParam(p: RemoteTypedParam): TypedParam {
  const v = p.value;
  switch (v.type) {
    case 1:
      return { field: p.field, type: 'int', value: v.i };
    case 2:
      return { field: p.field, type: 'uint', value: v.ui };
    case 3:
      return { field: p.field, type: 'llong', value: v.l };
    case 4:
      return { field: p.field, type: 'ullong', value: v.ul };
    case 5:
      return { field: p.field, type: 'double', value: v.d };
    case 6:
      return { field: p.field, type: 'boolean', value: v.b !== 0 };
    case 7:
      return { field: p.field, type: 'string', value: v.s };
  }
}

export function fromRemoteTypedParams(params: readonly RemoteTypedParam[]): TypedParam[] {
  return params.map(fromRemoteTypedParam);
}

export function toRemoteTypedParam(p: TypedParam): RemoteTypedParam {
  if (typeof p.field !== 'string' || p.field === '' || Buffer.byteLength(p.field) > TYPED_PARAM_FIELD_MAX) {
    throw new RangeError(
      `typed parameter field must be 1..${TYPED_PARAM_FIELD_MAX} bytes: ${JSON.stringify(p.field)}`,
    );
  }
  let value: RemoteTypedParamValue;
  switch (p.type) {
    case 'int':
      value = { type: 1, i: p.value };
      break;
    case 'uint':
      value = { type: 2, ui: p.value };
      break;
    case 'llong':
      value = { type: 3, l: p.value };
      break;
    case 'ullong':
      value = { type: 4, ul: p.value };
      break;
    case 'double':
      value = { type: 5, d: p.value };
      break;
    case 'boolean':
      value = { type: 6, b: p.value ? 1 : 0 };
      break;
    case 'string':
      value = { type: 7, s: p.value };
      break;
    default:
      throw new TypeError(`unknown typed parameter type ${String((p as { type: unknown }).type)}`);
  }
  return { field: p.field, value };
}

export function toRemoteTypedParams(params: readonly TypedParam[]): RemoteTypedParam[] {
  return params.map(toRemoteTypedParam);
}

/** Builders with the right wire type: `tp.ullong('hard_limit', 1048576n)`. */
export const tp = {
  int: (field: string, value: number): TypedParam => ({ field, type: 'int', value }),
  uint: (field: string, value: number): TypedParam => ({ field, type: 'uint', value }),
  llong: (field: string, value: bigint): TypedParam => ({ field, type: 'llong', value }),
  ullong: (field: string, value: bigint): TypedParam => ({ field, type: 'ullong', value }),
  double: (field: string, value: number): TypedParam => ({ field, type: 'double', value }),
  boolean: (field: string, value: boolean): TypedParam => ({ field, type: 'boolean', value }),
  string: (field: string, value: string): TypedParam => ({ field, type: 'string', value }),
} as const;

/** All values per field, in order (repeated keys keep every value). */
export function typedParamsToMap(params: readonly TypedParam[]): Map<string, TypedParamValue[]> {
  const m = new Map<string, TypedParamValue[]>();
  for (const p of params) {
    const list = m.get(p.field);
    if (list) list.push(p.value);
    else m.set(p.field, [p.value]);
  }
  return m;
}

/** First value per field (what libvirt's virTypedParamsGet* return). */
export function typedParamsToRecord(params: readonly TypedParam[]): Record<string, TypedParamValue> {
  const r: Record<string, TypedParamValue> = {};
  for (const p of params) if (!Object.hasOwn(r, p.field)) r[p.field] = p.value;
  return r;
}

export function getParam(params: readonly TypedParam[], field: string): TypedParam | undefined {
  return params.find((p) => p.field === field);
}

export function getAllParams(params: readonly TypedParam[], field: string): TypedParam[] {
  return params.filter((p) => p.field === field);
}

/** A numeric parameter as a JS number (bigints converted; exact up to 2^53). */
export function paramNumber(params: readonly TypedParam[], field: string): number | undefined {
  const p = getParam(params, field);
  if (!p) return undefined;
  if (typeof p.value === 'number') return p.value;
  if (typeof p.value === 'bigint') return Number(p.value);
  if (typeof p.value === 'boolean') return p.value ? 1 : 0;
  return undefined;
}

/** A numeric parameter as a bigint (for counters such as cpu.time in ns). */
export function paramBigint(params: readonly TypedParam[], field: string): bigint | undefined {
  const p = getParam(params, field);
  if (!p) return undefined;
  if (typeof p.value === 'bigint') return p.value;
  if (typeof p.value === 'number' && Number.isInteger(p.value)) return BigInt(p.value);
  return undefined;
}

export function paramString(params: readonly TypedParam[], field: string): string | undefined {
  const p = getParam(params, field);
  return p?.type === 'string' ? p.value : undefined;
}

/**
 * Groups indexed keys: `groupIndexed(params, 'block')` turns `block.count`, `block.0.name`,
 * `block.0.rd.bytes`, `block.1.name` … into `[{ name, 'rd.bytes', … }, { name, … }]`.
 */
export function groupIndexed(
  params: readonly TypedParam[],
  prefix: string,
): Array<Record<string, TypedParamValue>> {
  const out: Array<Record<string, TypedParamValue>> = [];
  const head = `${prefix}.`;
  for (const p of params) {
    if (!p.field.startsWith(head)) continue;
    const rest = p.field.slice(head.length);
    const dot = rest.indexOf('.');
    if (dot <= 0) continue;
    const idx = Number(rest.slice(0, dot));
    if (!Number.isInteger(idx) || idx < 0 || idx > 65535) continue;
    const rec = (out[idx] ??= {});
    const key = rest.slice(dot + 1);
    if (!Object.hasOwn(rec, key)) rec[key] = p.value;
  }
  return out;
}

/** JSON-friendly form (bigints as decimal strings), for logs and the UI bridge. */
export function typedParamsToJson(
  params: readonly TypedParam[],
): Array<{ field: string; type: TypedParamType; value: string | number | boolean }> {
  return params.map((p) => ({
    field: p.field,
    type: p.type,
    value: typeof p.value === 'bigint' ? p.value.toString() : p.value,
  }));
}
