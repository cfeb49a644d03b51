import { describe, expect, it } from 'vitest';
import { formatCpuset } from '../../../preload/api-contract';
import { parseCpuset, parseXml, serializeXml } from '../../../main/services/domain-tuning/xml-edit';
import { domainFixture } from './helpers';

describe('libvirt-style XML round trip', () => {
  // libvirt's own output (dumpxml) and hand-written files in its style.
  const names = ['lab-off-1-inactive.xml', 'lab-vnc-1-inactive.xml', 'lab-vnc-live.xml', 'lab-spice-inactive.xml', 'workstation-rich.xml', 'tuning-rich.xml'];
  it.each(names)('%s comes back byte for byte', (name) => {
    const xml = domainFixture(name);
    expect(serializeXml(parseXml(xml))).toBe(xml);
  });

  it('keeps a comment before the root, CDATA, entities and foreign namespaces', () => {
    const xml = domainFixture('tuning-rich.xml');
    const out = serializeXml(parseXml(xml));
    expect(out.startsWith('<!-- kept by the ops team: do not edit by hand -->\n<domain')).toBe(true);
    expect(out).toContain('<![CDATA[raw <config> & stuff]]>');
    expect(out).toContain('Postgres &amp; backups &lt;primary&gt; — don&apos;t resize');
    expect(out).toContain("<backup:policy xmlns:backup='urn:example:backup:1' schedule='daily'>");
  });

  it('refuses malformed XML with a clear error', () => {
    expect(() => parseXml('<domain><name>x</domain>')).toThrow(/not well-formed/);
  });
});

describe('cpusets', () => {
  it('parses ranges, lists and exclusions', () => {
    expect(parseCpuset('0-3,^2,8')).toEqual([0, 1, 3, 8]);
    expect(formatCpuset([8, 0, 1, 3, 2, 9])).toBe('0-3,8-9');
  });
  it.each(['', '1,,2', 'a', '3-1', '^1'])('refuses "%s"', (bad) => {
    expect(() => parseCpuset(bad)).toThrow();
  });
});
