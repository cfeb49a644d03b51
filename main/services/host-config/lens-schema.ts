/**
 * The valid keys of a libvirt configuration file and their types, read from libvirt's augeas lens for
 * it (/usr/share/augeas/lenses/libvirtd_qemu.aug, libvirtd.aug, virtqemud.aug, …). Those lenses are
 * written the same way in every libvirt release:
 *
 *   let vnc_entry = str_entry "vnc_listen"
 *                 | bool_entry "vnc_auto_unix_socket"
 *                 | int_entry "remote_display_port_min" …
 *   let filter = incl "/etc/libvirt/qemu.conf" …
 *
 * Groups keep the lens's names and order ("same order as example config", as the lens says).
 */

export type ConfKeyType = 'string' | 'bool' | 'int' | 'string-list' | 'limit';

export interface ConfSchemaKey {
  key: string;
  type: ConfKeyType;
}

export interface ConfSchemaGroup {
  /** The lens's name for the group without `_entry` (vnc, spice, security, process, …). */
  name: string;
  keys: ConfSchemaKey[];
}

export interface ConfSchema {
  /** The augeas module (Libvirtd_qemu, Libvirtd, …). */
  module: string;
  /** Files the lens applies to (its `incl` filter). */
  files: string[];
  groups: ConfSchemaGroup[];
  /** The lens's pattern for integers (qemu.conf: non-negative only; libvirtd.conf: signed). */
  intPattern: string;
  /** Keys the lens keeps only so that old files still parse (libvirt ignores them). */
  obsolete: string[];
}

const ENTRY_TYPES: Record<string, ConfKeyType> = {
  str_entry: 'string',
  bool_entry: 'bool',
  int_entry: 'int',
  str_array_entry: 'string-list',
  limits_entry: 'limit',
};

/** Removes `(* … *)` comments (they may nest in augeas). */
function stripComments(text: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith('(*', i)) {
      depth++;
      i++;
    } else if (depth > 0 && text.startsWith('*)', i)) {
      depth--;
      i++;
    } else if (depth === 0) out += text[i];
  }
  return out;
}

export class LensParseError extends Error {}

/** Reads one lens. Throws LensParseError when it is not a libvirt configuration lens. */
export function parseLens(source: string): ConfSchema {
  const text = stripComments(source);
  const module = /\bmodule\s+([A-Za-z0-9_]+)\s*=/.exec(text)?.[1];
  if (!module) throw new LensParseError('not an augeas module (no "module X =")');
  const files = [...text.matchAll(/\bincl\s+"([^"]+)"/g)].map((m) => m[1] as string);
  const intPattern = /\blet\s+int_val\s*=\s*store\s+\/((?:\\\/|[^/])+)\//.exec(text)?.[1] ?? '-?[0-9]+';
  const groups: ConfSchemaGroup[] = [];
  const seen = new Set<string>();
  const obsolete: string[] = [];
  // Each `let name = …` runs until the next `let`.
  const lets = [...text.matchAll(/\blet\s+([A-Za-z0-9_]+)\s*((?:\([^)]*\)\s*)*)=/g)];
  for (let i = 0; i < lets.length; i++) {
    const found = lets[i] as RegExpMatchArray;
    if ((found[2] ?? '').trim() !== '') continue; // a function (str_entry (kw:string) = …), not a group
    const start = (found.index ?? 0) + found[0].length;
    const end = lets[i + 1]?.index ?? text.length;
    const body = text.slice(start, end);
    const keys: ConfSchemaKey[] = [];
    for (const m of body.matchAll(/\b([a-z_]+_entry)\s+"([^"]+)"/g)) {
      const type = ENTRY_TYPES[m[1] as string];
      const key = m[2] as string;
      if (!type || seen.has(key)) continue;
      seen.add(key);
      keys.push({ key, type });
    }
    if (keys.length === 0) continue;
    const name = (found[1] as string).replace(/_entry$/, '');
    if (name === 'obsolete') obsolete.push(...keys.map((k) => k.key));
    groups.push({ name, keys });
  }
  if (groups.length === 0) throw new LensParseError(`the lens ${module} defines no configuration keys`);
  return { module, files, groups, intPattern, obsolete };
}

/** Every key of a schema with its type. */
export function schemaKeys(schema: ConfSchema): Map<string, ConfSchemaKey & { group: string }> {
  const keys = new Map<string, ConfSchemaKey & { group: string }>();
  for (const group of schema.groups)
    for (const key of group.keys) keys.set(key.key, { ...key, group: group.name });
  return keys;
}
