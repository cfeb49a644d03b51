/**
 * Every distinct `<data>` pattern of the schema files (type, params, except), each in a grammar of its
 * own, against a fixed list of probe values, as element text and as an attribute value: the datatype
 * layer on its own, where a difference between the two validators is easiest to see.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainSchema } from '../../main/services/domain-xml/domain-schema';
import { compileDomainSchema } from '../../main/services/domain-xml/host-schemas';
import { readTreeFromJSON } from '../../main/services/domain-xml/salve';
import { xmllintValidate } from './xmllint';

/** Values around the lexical rules and limits of the types libvirt uses. */
export const PROBE_VALUES: readonly string[] = [
  '', ' ', 'a', 'abc', 'garbage', '0', '1', '7', '8', ' 1', '1 ', ' 1 ', '\t1\n', '+1', '-1', '-0', '+0', '01', '007', '0777',
  '1.0', '1.5', '.5', '5.', '1e3', '1E3', '0x10', '0xFF', '0x', 'INF', '-INF', 'NaN', 'inf', '31', '32', '33', '63', '64',
  '99', '100', '127', '128', '129', '254', '255', '256', '1000', '1001', '1535', '1536', '4095', '4096', '32767', '32768',
  '65535', '65536', '1000000', '1000001', '16777215', '16777216', '2147483647', '2147483648', '-2147483648',
  '-2147483649', '4294967295', '4294967296', '9223372036854775807', '9223372036854775808', '-9223372036854775808',
  '-9223372036854775809', '17592186044415', '17592186044416', '18446744073709551615', '18446744073709551616',
  '184467440737095516160', '00000000000000000000000000001', 'KiB', 'k', 'K', 'MiB', 'mib', 'b', 'B', 'bytes', 'byte',
  'GB', 'kB', 'ki', '/abs/path', '/', 'relative', '[ds] dir/file', '[ds]dir', 'C:\\x', 'c:\\', 'a-b', 'a_b', 'a b',
  'a  b', 'a.b', 'a:b', '1a', '_a', '-a', '.', '..', 'a/b', 'x,y', '2020-01-01T00:00:00', '2020-01-01T00:00:00Z',
  '2020-01-01T00:00:00.5+01:00', '2020-13-01T00:00:00', '2020-01-01T24:00:00', '2020-02-30T00:00:00', '2020-01-01',
  'http://x/y', 'a%20b', '%zz', 'a b c', '00:11:22:33:44:55', '00:11:22:33:44', '0:1:2:3:4:5', '192.168.0.1', '256.1.1.1',
  '1.2.3', '::1', 'fe80::1', '::', '1:2:3:4:5:6:7:8', '0x1234', '0x12345', 'naa.0123456789abcdef', 'on', 'off', 'yes',
  'ÿ', 'é', '日本', '𝔘', '12345678-1234-1234-1234-123456789abc', '12345678123412341234123456789abc', '-', '+',
  '1-3,^2', '0-1', '^1', '0,', 'src,dst', 'SRC', '$a', '$a[1]', '"quoted"', 'a"b', "it's", 'a\\b', 'a|b', '(x)',
  'x'.repeat(12), 'x'.repeat(13), 'x'.repeat(129), 'user@host', '0123', '0o17', '1,5', '١', '१२',
];

export interface DataPattern {
  /** The `<data …>…</data>` text, as in the schema. */
  xml: string;
  type: string;
}

/** The schema files `start` includes, directly or not (itself included), sorted. */
export function schemaClosure(schemaFiles: ReadonlyMap<string, string>, start: string): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !schemaFiles.has(name)) return;
    seen.add(name);
    for (const ref of (schemaFiles.get(name) ?? '').matchAll(/<(?:include|externalRef)\s+href="([^"]+)"/g)) visit(ref[1] ?? '');
  };
  visit(start);
  return [...seen].sort();
}

/** The distinct `<data>` patterns of `domain.rng` and the files it includes (RELAX NG syntax as libvirt writes it). */
export function dataPatterns(schemaFiles: ReadonlyMap<string, string>): DataPattern[] {
  const found = new Map<string, DataPattern>();
  for (const name of schemaClosure(schemaFiles, 'domain.rng')) {
    const text = schemaFiles.get(name) ?? '';
    for (const match of text.matchAll(/<data\s+type="([^"]+)"\s*(?:\/>|>[^]*?<\/data>)/g)) {
      const xml = match[0].replace(/\s+/g, ' ').replace(/> </g, '><');
      if (!found.has(xml)) found.set(xml, { xml, type: match[1] ?? '' });
    }
  }
  return [...found.values()];
}

function escapeXml(value: string, attribute: boolean): string {
  const text = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (!attribute) return text;
  // Character references keep tabs and newlines in the attribute value (no attribute-value normalisation).
  return text.replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

export interface ProbeCase {
  pattern: string;
  value: string;
  as: 'text' | 'attribute';
  file: string;
  text: string;
}

export interface Probes {
  schemaFile: string;
  schema: DomainSchema;
  cases: ProbeCase[];
}

/** One grammar with an element per pattern (t0… for text, a0… for an attribute), and a file per case. */
export async function buildProbes(patterns: readonly DataPattern[], dir: string): Promise<Probes> {
  mkdirSync(dir, { recursive: true });
  const alternatives = patterns.flatMap((pattern, i) => [
    `<element name="t${i}">${pattern.xml}</element>`,
    `<element name="a${i}"><attribute name="v">${pattern.xml}</attribute></element>`,
  ]);
  const grammar =
    '<grammar xmlns="http://relaxng.org/ns/structure/1.0" datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">' +
    `<start><choice>${alternatives.join('')}</choice></start></grammar>\n`;
  const schemaFile = join(dir, 'domain.rng');
  writeFileSync(schemaFile, grammar);
  const schema = new DomainSchema(readTreeFromJSON(await compileDomainSchema(new Map([['domain.rng', grammar]]))), 'probe');
  const cases: ProbeCase[] = [];
  patterns.forEach((pattern, i) => {
    PROBE_VALUES.forEach((value, j) => {
      for (const as of ['text', 'attribute'] as const) {
        const text = as === 'text' ? `<t${i}>${escapeXml(value, false)}</t${i}>\n` : `<a${i} v="${escapeXml(value, true)}"/>\n`;
        const file = join(dir, `p${i}-${j}-${as[0]}.xml`);
        writeFileSync(file, text);
        cases.push({ pattern: pattern.xml, value, as, file, text });
      }
    });
  });
  return { schemaFile, schema, cases };
}

export interface ProbeDisagreement {
  pattern: string;
  value: string;
  as: 'text' | 'attribute';
  libxml2: string;
  virtdeck: string;
}

export async function runProbes(probes: Probes): Promise<{ total: number; disagreements: ProbeDisagreement[] }> {
  const libxml = xmllintValidate(
    probes.schemaFile,
    probes.cases.map((c) => c.file),
  );
  const virtdeck = probes.cases.map((c) => probes.schema.validate(c.text));
  const verdicts = await libxml;
  const disagreements: ProbeDisagreement[] = [];
  probes.cases.forEach((c, i) => {
    const verdict = verdicts.get(c.file);
    if (!verdict) throw new Error(`xmllint gave no verdict for ${c.file}`);
    const problems = virtdeck[i] ?? [];
    if (verdict.accepted !== (problems.length === 0)) {
      disagreements.push({
        pattern: c.pattern,
        value: c.value,
        as: c.as,
        libxml2: verdict.accepted ? 'accepts' : `rejects (${verdict.message})`,
        virtdeck: problems.length === 0 ? 'accepts' : `rejects: ${problems.map((p) => p.message).join(' | ')}`,
      });
    }
  });
  return { total: probes.cases.length, disagreements };
}
