/**
 * The editor's schema engine on libvirt's real RELAX NG files (/usr/share/libvirt/schemas, as a host
 * has them): compilation with includes, validation with positions, completion and hover, and the
 * per-version cache.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DomainSchema } from '../../../main/services/domain-xml/domain-schema';
import {
  compileDomainSchema,
  DomainSchemaCache,
  LIBVIRT_SCHEMA_DIR,
  readSchemaFiles,
} from '../../../main/services/domain-xml/host-schemas';
import { readTreeFromJSON } from '../../../main/services/domain-xml/salve';

const HAVE_SCHEMAS = existsSync(join(LIBVIRT_SCHEMA_DIR, 'domain.rng'));
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/domain-xml/${name}`, import.meta.url), 'utf8');
const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

describe.skipIf(!HAVE_SCHEMAS)('domain schema from the real libvirt RELAX NG files', () => {
  let schema: DomainSchema;
  const rich = fixture('workstation-rich.xml');

  beforeAll(async () => {
    const files = await readSchemaFiles(null);
    expect(files.size).toBe(readdirSync(LIBVIRT_SCHEMA_DIR).filter((n) => n.endsWith('.rng')).length);
    schema = new DomainSchema(readTreeFromJSON(await compileDomainSchema(files)), 'test');
  }, 60_000);

  it('accepts real definitions, with foreign metadata, qemu:commandline and comments', () => {
    for (const name of ['workstation-rich.xml', 'lab-spice-inactive.xml', 'lab-vnc-live.xml']) {
      expect(schema.validate(fixture(name)), name).toEqual([]);
    }
  });

  it('places an unknown element on its own line and column', () => {
    const xml = rich.replace('  <clock offset', '  <bogus/>\n  <clock offset');
    const problems = schema.validate(xml);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      kind: 'schema',
      message: 'tag not allowed here: bogus',
      line: lineOf(xml, '<bogus/>'),
      column: 3,
      located: true,
    });
  });

  it('places a bad attribute value on the attribute, and a bad text value on the text', () => {
    const xml = rich.replace("<vcpu placement='static'", "<vcpu placement='sometimes'").replace('>hvm</type>', '>hvmX</type>');
    const problems = schema.validate(xml);
    expect(problems.map((p) => [p.message, p.line, p.column])).toEqual([
      ['invalid attribute value: placement', lineOf(xml, 'placement='), 9],
      ['text not allowed here: "hvmX"', lineOf(xml, 'hvmX'), xml.split('\n')[lineOf(xml, 'hvmX') - 1]!.indexOf('hvmX') + 1],
    ]);
  });

  it('reports the first well-formedness error with its position and no schema noise', () => {
    const xml = rich.replace('</devices>', '</device>');
    const problems = schema.validate(xml);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'well-formedness', line: lineOf(xml, '</device>') });
  });

  it('completes element names allowed at the cursor (domain children, vcpus children)', () => {
    const at = rich.indexOf('<memory ');
    const inDomain = schema.complete(`${rich.slice(0, at)}<${rich.slice(at)}`, at + 1).map((c) => c.label);
    expect(inDomain).toEqual(expect.arrayContaining(['vcpu', 'vcpus', 'cputune', 'devices', 'qemu:commandline']));
    expect(inDomain).not.toContain('name'); // already given before the cursor
    expect(inDomain).not.toContain('disk');

    const prefix = `${rich.slice(0, at)}<vcpus>\n    <`;
    const inVcpus = schema.complete(prefix + rich.slice(at), prefix.length);
    expect(inVcpus.map((c) => c.label)).toEqual(['vcpu']);
    expect(inVcpus[0]).toMatchObject({ kind: 'element', insertText: 'vcpu', from: prefix.length, to: prefix.length });
  });

  it('completes attribute names (minus those present) and enumerated values', () => {
    const at = rich.indexOf("placement='static'");
    const names = schema.complete(rich, at).map((c) => c.label);
    expect(names).toEqual(['cpuset']); // placement and current are already there
    const values = schema.complete(rich, at + "placement='".length);
    expect(values.map((c) => c.label)).toEqual(['auto', 'static']);
    const disk = rich.indexOf("cache='none'");
    expect(schema.complete(rich, disk + "cache='".length).map((c) => c.label)).toEqual(
      expect.arrayContaining(['directsync', 'none', 'unsafe', 'writeback', 'writethrough']),
    );
  });

  it('explains elements and attributes on hover', () => {
    const hover = schema.hover(rich, rich.indexOf('<vcpu ') + 2);
    expect(hover?.markdown).toContain('**<vcpu>**');
    expect(hover?.markdown).toContain('Attributes: cpuset, current, placement');
    const attribute = schema.hover(rich, rich.indexOf("placement='static'") + 1);
    expect(attribute?.markdown).toContain('Values: auto | static');
    const vcpusChildren = schema.hover(rich.replace('<vcpu ', '<vcpus><vcpu id="0" enabled="yes"/></vcpus>\n  <vcpu '), rich.indexOf('<vcpu ') + 2);
    expect(vcpusChildren?.markdown).toContain('May contain: <vcpu>');
  });
});

describe.skipIf(!HAVE_SCHEMAS)('per-version schema cache', () => {
  it('reads the schemas once per version and reuses the compiled file in a new session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtdeck-schema-cache-'));
    try {
      const cache = new DomainSchemaCache(dir);
      const host = { ssh: null, libvirtVersion: '9.9.9-test' };
      const [first, second] = await Promise.all([cache.get(host), cache.get(host)]);
      expect(first).toBe(second);
      expect(first.info).toMatchObject({ source: 'host', libvirtVersion: '9.9.9-test' });
      expect(readdirSync(dir)).toEqual(['domain-9.9.9-test.v1.json']);

      const later = await new DomainSchemaCache(dir).get(host);
      expect(later.info.source).toBe('cache');
      expect(later.info.files).toBe(first.info.files);
      expect(later.schema.validate(fixture('workstation-rich.xml'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('says clearly when a host has no schemas', async () => {
    await expect(readSchemaFiles(null, '/nonexistent/libvirt/schemas')).rejects.toThrow(/could not be read from \/nonexistent/);
  });
});
