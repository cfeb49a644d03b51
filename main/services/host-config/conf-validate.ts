import type { ConfDocument, ConfValue, PlainValue } from './conf-parser';
import { checkRules, readsKey, type RuleContext } from './conf-rules';
import { schemaKeys, type ConfKeyType, type ConfSchema } from './lens-schema';

export interface ConfDiagnostic {
  /** 1-based line. */
  line: number;
  severity: 'error' | 'warning';
  key: string | null;
  message: string;
  /** A known key close to an unknown one (typos). */
  suggestion?: string;
  /** The rule of conf-rules.ts that found it, and its libvirt 9.0 source reference. */
  rule?: string;
  reference?: string;
}

const TYPE_WORDS: Record<ConfKeyType, string> = {
  string: 'a "quoted string"',
  bool: '0 or 1',
  int: 'a whole number',
  'string-list': 'a list of strings, e.g. [ "a", "b" ]',
  limit: 'a whole number or "unlimited"',
};

function describe(value: ConfValue): string {
  if (value.type === 'string') return `the string "${value.value}"`;
  if (value.type === 'int') return `the number ${value.text}`;
  return 'a list';
}

/** Whether `value` has `type` for a lens whose integers match `intPattern`. Returns the problem or null. */
export function typeProblem(type: ConfKeyType, value: ConfValue, intPattern: string): string | null {
  const intOk = (v: ConfValue) => v.type === 'int' && new RegExp(`^(?:${intPattern})$`).test(v.text);
  switch (type) {
    case 'string':
      if (value.type !== 'string') return `needs ${TYPE_WORDS.string}, not ${describe(value)}`;
      if (value.value.includes('"')) return 'a string may not contain "';
      return null;
    case 'bool':
      return value.type === 'int' && (value.text === '0' || value.text === '1')
        ? null
        : `needs ${TYPE_WORDS.bool}, not ${describe(value)}`;
    case 'int':
      if (value.type !== 'int') return `needs ${TYPE_WORDS.int}, not ${describe(value)}`;
      if (!intOk(value)) return `${value.text} is out of range (the lens accepts /${intPattern}/)`;
      if (!Number.isSafeInteger(value.value)) return `${value.text} is too large`;
      return null;
    case 'limit':
      if (value.type === 'string' && value.value === 'unlimited') return null;
      return intOk(value) ? null : `needs ${TYPE_WORDS.limit}, not ${describe(value)}`;
    case 'string-list': {
      if (value.type !== 'list') return `needs ${TYPE_WORDS['string-list']}, not ${describe(value)}`;
      const bad = value.items.findIndex((item) => item.type !== 'string');
      return bad >= 0 ? `item ${bad + 1} of the list is not a "quoted string"` : null;
    }
  }
}

/** Converts what a form sends into a file value, or says why it does not fit the key's type. */
export function plainToConf(type: ConfKeyType, value: PlainValue): ConfValue {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw new TypeError(`needs ${TYPE_WORDS.string}`);
      return { type: 'string', value };
    case 'bool':
      if (typeof value !== 'boolean') throw new TypeError(`needs ${TYPE_WORDS.bool}`);
      return { type: 'int', value: value ? 1 : 0, text: value ? '1' : '0' };
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        throw new TypeError(`needs ${TYPE_WORDS.int}`);
      return { type: 'int', value, text: String(value) };
    case 'limit':
      if (value === 'unlimited') return { type: 'string', value };
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        throw new TypeError(`needs ${TYPE_WORDS.limit}`);
      return { type: 'int', value, text: String(value) };
    case 'string-list':
      if (!Array.isArray(value)) throw new TypeError(`needs ${TYPE_WORDS['string-list']}`);
      return { type: 'list', items: value.map((item) => ({ type: 'string' as const, value: item })) };
  }
}

/** Levenshtein distance, capped: only small distances matter for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

export function closestKey(key: string, known: Iterable<string>): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate);
    if (d <= Math.max(2, Math.floor(candidate.length / 4)) && (!best || d < best.d))
      best = { key: candidate, d };
  }
  return best?.key;
}

/** The rule context for a schema when the caller gives none: its file, libvirtd, no host facts. */
export function defaultRuleContext(schema: ConfSchema, given: Partial<RuleContext> = {}): RuleContext {
  const file = given.file ?? (schema.module === 'Libvirtd_qemu' ? 'qemu' : 'daemon');
  return {
    file,
    daemon: given.daemon ?? (/virtqemud/i.test(schema.module) ? 'virtqemud' : 'libvirtd'),
    path:
      given.path ??
      schema.files[0] ??
      (file === 'qemu' ? '/etc/libvirt/qemu.conf' : '/etc/libvirt/libvirtd.conf'),
    facts: given.facts ?? null,
  };
}

/**
 * Checks a document: unreadable lines are errors; each value as libvirt reads and uses it (the rules of
 * conf-rules.ts: errors where the daemon refuses it, warnings where it is legal but almost surely wrong;
 * keys libvirt does not read get the lens's type check); unknown keys (with "did you mean"), obsolete
 * keys and repeated keys are warnings.
 */
export function validateConf(
  doc: ConfDocument,
  schema: ConfSchema,
  context: Partial<RuleContext> = {},
): ConfDiagnostic[] {
  const ctx = defaultRuleContext(schema, context);
  const keys = schemaKeys(schema);
  const diagnostics: ConfDiagnostic[] = [];
  const firstLine = new Map<string, number>();
  for (const node of doc.nodes) {
    if (node.kind === 'invalid') {
      diagnostics.push({
        line: node.line,
        severity: 'error',
        key: node.key,
        message: `Cannot read this line: ${node.message}`,
      });
      continue;
    }
    if (node.kind !== 'entry') continue;
    const known = keys.get(node.key);
    const read = readsKey(ctx, node.key);
    if (!known && !read) {
      const suggestion = closestKey(node.key, keys.keys());
      diagnostics.push({
        line: node.line,
        severity: 'warning',
        key: node.key,
        message: `Unknown setting "${node.key}": libvirt ${schema.module} does not know it and will ignore it${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
        ...(suggestion ? { suggestion } : {}),
      });
    } else if (known) {
      // Keys libvirt reads are checked by the rules, as its getters read them.
      const problem = read ? null : typeProblem(known.type, node.value, schema.intPattern);
      if (problem)
        diagnostics.push({
          line: node.line,
          severity: 'error',
          key: node.key,
          message: `${node.key} ${problem}`,
        });
      if (schema.obsolete.includes(node.key)) {
        diagnostics.push({
          line: node.line,
          severity: 'warning',
          key: node.key,
          message: `${node.key} is obsolete: libvirt no longer uses it`,
        });
      }
    }
    const first = firstLine.get(node.key);
    if (first !== undefined) {
      diagnostics.push({
        line: node.line,
        severity: 'warning',
        key: node.key,
        message: `${node.key} is already set on line ${first}; libvirt uses the first one and ignores this one`,
      });
    } else firstLine.set(node.key, node.line);
  }
  for (const found of checkRules(doc, ctx)) {
    diagnostics.push({
      line: firstLine.get(found.key) ?? 1,
      severity: found.severity,
      key: found.key,
      message: found.message,
      rule: found.rule.id,
      reference: `libvirt 9.0 ${found.rule.ref}`,
    });
  }
  return diagnostics.sort((a, b) => a.line - b.line);
}
