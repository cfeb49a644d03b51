/**
 * The W3C XML Schema datatypes (RELAX NG `<data type="…">` and its `<param>`s) checked the way libxml2
 * checks them (relaxng.c xmlRelaxNGValidateDatatype → xmlschemastypes.c), installed in place of
 * salve-annos's own checks (see salve.ts for why). libvirt validates a definition with libxml2, so
 * the editor must accept exactly what libxml2 accepts:
 *
 *  - the lexical check runs on the value with its whitespace collapsed (every type but `string`),
 *    but each `pattern` param is matched against the value as written, surrounding whitespace
 *    included: libvirt's `<data type="unsignedLong"><param name="pattern">[0-9]+</param>` refuses
 *    `<memory> 1024 </memory>`; salve matched the pattern against the converted number;
 *  - patterns are libxml2's dialect (libxml2-regexp.ts); salve's translation left top-level
 *    alternatives unanchored (`([bB]…)|([kKmMgG…]…)` matched any value ending in e, g, k…) and broke
 *    escaped brackets (`\[[^\]]+\] .+`, libvirt's vmwarePath, matched nothing);
 *  - the integer types have libxml2's lexical rules and exact limits: no sign at all on the unsigned
 *    types (`+1`, `-0` are refused), at most 24 significant digits, limits compared exactly (salve
 *    compared JavaScript numbers, so 18446744073709551616 passed as an unsignedLong);
 *  - min/max params compare exactly (integers as BigInt, decimals digit by digit; doubles with NaN
 *    above everything, as libxml2's xmlSchemaCompareValues has it);
 *  - length params count characters (code points) of the value as written.
 * Other types keep salve's lexical rules, applied to the collapsed value.
 */
import { libxml2Pattern } from './libxml2-regexp';

export const XSD_DATATYPES = 'http://www.w3.org/2001/XMLSchema-datatypes';

interface RawParameter {
  name: string;
  value: string;
}

/** A number as libxml2 keeps it for comparisons: exact decimal, or a double. */
type NumberValue = { kind: 'decimal'; sign: 1 | -1; digits: bigint; scale: number } | { kind: 'double'; value: number };

interface Params {
  patterns: RegExp[];
  minInclusive?: NumberValue;
  maxInclusive?: NumberValue;
  minExclusive?: NumberValue;
  maxExclusive?: NumberValue;
  length?: number;
  minLength?: number;
  maxLength?: number;
  totalDigits?: number;
  fractionDigits?: number;
}

/** What salve's registry holds for a type (the parts used here). */
export interface SalveDatatype {
  name: string;
  disallows(value: string, params: unknown, context?: unknown): false | Array<{ message: string }>;
  parseParams(location: string, params?: RawParameter[]): unknown;
  defaultParams?: unknown;
}

class Failure {
  constructor(readonly message: string) {}
}

const INTEGER_LIMITS: Record<string, { min?: bigint; max?: bigint; unsigned?: boolean }> = {
  integer: {},
  nonPositiveInteger: { max: 0n },
  negativeInteger: { max: -1n },
  nonNegativeInteger: { min: 0n },
  positiveInteger: { min: 1n },
  long: { min: -9223372036854775808n, max: 9223372036854775807n },
  int: { min: -2147483648n, max: 2147483647n },
  short: { min: -32768n, max: 32767n },
  byte: { min: -128n, max: 127n },
  unsignedLong: { min: 0n, max: 18446744073709551615n, unsigned: true },
  unsignedInt: { min: 0n, max: 4294967295n, unsigned: true },
  unsignedShort: { min: 0n, max: 65535n, unsigned: true },
  unsignedByte: { min: 0n, max: 255n, unsigned: true },
};

/** xmlSchemaCollapseString: XML whitespace (space, tab, newline, carriage return) collapsed. */
function collapse(value: string): string {
  return value.replace(/[ \t\n\r]+/g, ' ').replace(/^ | $/g, '');
}

/** libxml2's integer lexical space (after collapsing): optional sign (not for unsigned), digits. */
function parseInteger(name: string, value: string): NumberValue | null {
  const limits = INTEGER_LIMITS[name];
  if (!limits) return null;
  const match = (limits.unsigned ? /^()([0-9]+)$/ : /^([-+]?)([0-9]+)$/).exec(value);
  if (!match) return null;
  const significant = (match[2] ?? '').replace(/^0+/, '');
  if (significant.length > 24) return null;
  const magnitude = BigInt(significant || '0');
  const number = match[1] === '-' ? -magnitude : magnitude;
  // The four unbounded integer types forbid the sign the way libxml2 does: "-0" is a
  // nonNegativeInteger, "+0"/"-0" are not positive or negative.
  if (limits.min !== undefined && number < limits.min) return null;
  if (limits.max !== undefined && number > limits.max) return null;
  if (name === 'nonPositiveInteger' && match[1] !== '-' && magnitude !== 0n) return null;
  if (name === 'positiveInteger' && match[1] === '-') return null;
  if (name === 'negativeInteger' && match[1] !== '-') return null;
  if (name === 'nonNegativeInteger' && match[1] === '-' && magnitude !== 0n) return null;
  return { kind: 'decimal', sign: number < 0n ? -1 : 1, digits: magnitude, scale: 0 };
}

/** libxml2's decimal lexical space: sign, digits, optional fraction, at most 24 significant digits. */
function parseDecimal(value: string): NumberValue | null {
  const match = /^([-+]?)([0-9]*)(?:\.([0-9]*))?$/.exec(value);
  if (!match || value === '' || /^[-+]?$/.test(value)) return null;
  const integer = match[2] ?? '';
  const fraction = match[3];
  if (integer === '' && (fraction === undefined || fraction === '')) return null;
  const intDigits = integer.replace(/^0+/, '');
  const fracDigits = (fraction ?? '').replace(/0+$/, '');
  if (intDigits.length + (fraction ?? '').length > 24) return null;
  const digits = BigInt(`${intDigits}${fracDigits}` || '0');
  return { kind: 'decimal', sign: match[1] === '-' && digits !== 0n ? -1 : 1, digits, scale: fracDigits.length };
}

/** libxml2's double lexical space (NaN, INF, -INF, decimal with optional exponent, digits optional). */
function parseDouble(value: string): NumberValue | null {
  if (value === 'NaN') return { kind: 'double', value: NaN };
  if (value === 'INF' || value === '-INF') return { kind: 'double', value: value === 'INF' ? Infinity : -Infinity };
  const match = /^([-+]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]*))?$/.exec(value);
  if (!match) return null;
  if ((match[2] ?? '') === '' && (match[3] ?? '') === '') return null;
  // sscanf("%lf") reads the longest number it can: "1e" and "1e+" are 1.
  const exponent = match[4] && /[0-9]/.test(match[4]) ? `e${match[4]}` : '';
  return { kind: 'double', value: Number(`${match[1]}${match[2] || '0'}.${match[3] ?? ''}0${exponent}`) };
}

/** xmlSchemaCompareValues for the numbers here: -1, 0, 1. */
function compare(a: NumberValue, b: NumberValue): number {
  if (a.kind === 'double' || b.kind === 'double') {
    const x = a.kind === 'double' ? a.value : Number(toString(a));
    const y = b.kind === 'double' ? b.value : Number(toString(b));
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
    if (Number.isNaN(y)) return -1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const scale = Math.max(a.scale, b.scale);
  const x = BigInt(a.sign) * a.digits * 10n ** BigInt(scale - a.scale);
  const y = BigInt(b.sign) * b.digits * 10n ** BigInt(scale - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

function toString(n: NumberValue): string {
  if (n.kind === 'double') return String(n.value);
  const text = n.digits.toString().padStart(n.scale + 1, '0');
  const whole = n.scale > 0 ? `${text.slice(0, -n.scale)}.${text.slice(-n.scale)}` : text;
  return n.sign < 0 ? `-${whole}` : whole;
}

type Family = 'string' | 'integer' | 'decimal' | 'double' | 'other';

function familyOf(name: string): Family {
  if (name === 'string') return 'string';
  if (name in INTEGER_LIMITS) return 'integer';
  if (name === 'decimal') return 'decimal';
  if (name === 'double' || name === 'float') return 'double';
  return 'other';
}

function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

/**
 * Replaces `disallows` and `parseParams` of salve's type object (keeping its regexp, name and the
 * rest): `originalDisallows` stays as the lexical check of the types this file does not model.
 */
export function makeLibxml2Datatype(type: SalveDatatype): void {
  const family = familyOf(type.name);
  const originalDisallows = type.disallows.bind(type);
  const originalDefaults = type.defaultParams;

  const parseValue = (collapsed: string): NumberValue | null | Failure => {
    switch (family) {
      case 'integer':
        return parseInteger(type.name, collapsed) ?? new Failure(`not a valid ${type.name}`);
      case 'decimal':
        return parseDecimal(collapsed) ?? new Failure('not a valid decimal');
      case 'double':
        return parseDouble(collapsed) ?? new Failure(`not a valid ${type.name}`);
      default:
        return null;
    }
  };

  const parseFacet = (value: string): NumberValue => {
    const parsed = parseValue(collapse(value));
    if (parsed === null || parsed instanceof Failure) throw new Error(`the ${type.name} param value ${value} is not a ${type.name}`);
    return parsed;
  };

  type.parseParams = (location: string, raw?: RawParameter[]): Params => {
    const params: Params = { patterns: [] };
    for (const { name, value } of raw ?? []) {
      switch (name) {
        case 'pattern':
          params.patterns.push(libxml2Pattern(value));
          break;
        case 'minInclusive':
        case 'maxInclusive':
        case 'minExclusive':
        case 'maxExclusive':
          if (family === 'string' || family === 'other') throw new Error(`${location}: ${name} does not apply to ${type.name}`);
          params[name] = parseFacet(value);
          break;
        case 'length':
        case 'minLength':
        case 'maxLength':
        case 'totalDigits':
        case 'fractionDigits': {
          const n = Number(collapse(value));
          if (!Number.isInteger(n) || n < 0) throw new Error(`${location}: ${name} must be a non-negative integer`);
          params[name] = n;
          break;
        }
        default:
          throw new Error(`${location}: unexpected parameter ${name} for ${type.name}`);
      }
    }
    return params;
  };

  type.disallows = (value: string, params: unknown, context?: unknown) => {
    const p = (params && 'patterns' in (params as object) ? params : { patterns: [] }) as Params;
    const lexical = family === 'string' ? value : collapse(value);
    const parsed = parseValue(lexical);
    if (parsed instanceof Failure) return [{ message: parsed.message }];
    if (parsed === null && family === 'other') {
      const errors = originalDisallows(lexical, originalDefaults ?? {}, context);
      if (errors) return errors;
    }
    const errors: Array<{ message: string }> = [];
    for (const pattern of p.patterns) if (!pattern.test(value)) errors.push({ message: `value does not match the pattern` });
    if (parsed) {
      if (p.minInclusive && compare(parsed, p.minInclusive) < 0) errors.push({ message: `value must be at least ${toString(p.minInclusive)}` });
      if (p.maxInclusive && compare(parsed, p.maxInclusive) > 0) errors.push({ message: `value must be at most ${toString(p.maxInclusive)}` });
      if (p.minExclusive && compare(parsed, p.minExclusive) <= 0) errors.push({ message: `value must be more than ${toString(p.minExclusive)}` });
      if (p.maxExclusive && compare(parsed, p.maxExclusive) >= 0) errors.push({ message: `value must be less than ${toString(p.maxExclusive)}` });
      if (parsed.kind === 'decimal' && (p.totalDigits !== undefined || p.fractionDigits !== undefined)) {
        const total = parsed.digits === 0n ? 1 : parsed.digits.toString().length;
        if (p.totalDigits !== undefined && total > p.totalDigits) errors.push({ message: `value has more than ${p.totalDigits} digits` });
        if (p.fractionDigits !== undefined && parsed.scale > p.fractionDigits) errors.push({ message: `value has more than ${p.fractionDigits} fraction digits` });
      }
    }
    if (p.length !== undefined || p.minLength !== undefined || p.maxLength !== undefined) {
      const length = codePointLength(family === 'string' ? value : lexical);
      if (p.length !== undefined && length !== p.length) errors.push({ message: `value must be ${p.length} characters long` });
      if (p.minLength !== undefined && length < p.minLength) errors.push({ message: `value must be at least ${p.minLength} characters long` });
      if (p.maxLength !== undefined && length > p.maxLength) errors.push({ message: `value must be at most ${p.maxLength} characters long` });
    }
    return errors.length > 0 ? errors : false;
  };
}
