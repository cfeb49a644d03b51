/**
 * Parses the `/** @key: value *\/` annotation comments that precede each procedure in libvirt's
 * *_protocol.x enums (see the comment at the top of `enum remote_procedure`).
 */
export interface ParsedAnnotations {
  generate?: string;
  priority?: 'low' | 'high';
  readStream?: number;
  writeStream?: number;
  sparseFlag?: string;
  acl: string[];
  aclFilter: string[];
}

const KNOWN = new Set([
  'generate',
  'priority',
  'readstream',
  'writestream',
  'sparseflag',
  'acl',
  'aclfilter',
]);

export function parseAnnotations(
  doc: string | null,
  where: string,
  warn: (msg: string) => void,
): ParsedAnnotations {
  const out: ParsedAnnotations = { acl: [], aclFilter: [] };
  if (doc === null) return out;
  const body = doc.replace(/^\/\*\*/, '').replace(/\*\/$/, '');
  for (const raw of body.split('\n')) {
    const line = raw.replace(/^\s*\*?\s?/, '').trim();
    const m = /^@(\w+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = (m[1] as string).toLowerCase();
    const value = (m[2] as string).trim();
    if (!KNOWN.has(key)) {
      warn(`${where}: unknown annotation @${m[1] as string}`);
      continue;
    }
    switch (key) {
      case 'generate':
        out.generate = value;
        break;
      case 'priority':
        if (value !== 'low' && value !== 'high') throw new Error(`${where}: bad @priority '${value}'`);
        out.priority = value;
        break;
      case 'readstream':
      case 'writestream': {
        if (!/^\d+$/.test(value)) throw new Error(`${where}: bad @${key} '${value}'`);
        if (key === 'readstream') out.readStream = Number(value);
        else out.writeStream = Number(value);
        break;
      }
      case 'sparseflag':
        out.sparseFlag = value;
        break;
      case 'acl':
        out.acl.push(value);
        break;
      case 'aclfilter':
        out.aclFilter.push(value);
        break;
    }
  }
  return out;
}
