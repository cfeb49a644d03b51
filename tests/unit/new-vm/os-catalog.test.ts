/**
 * osinfo-db as the wizard reads it: inheritance (derives-from, supported="false"), resources, firmware,
 * ISO matching as libosinfo does it (unanchored patterns on volume/system/publisher/application ids);
 * the built-in list; and, where this machine has it (the lab installs osinfo-db), the real database.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_OSES } from '../../../main/services/new-vm/builtin-oses';
import { loadOsCatalog, localFiles, readOsinfoDir } from '../../../main/services/new-vm/host-osinfo';
import { OSINFO_DEVICES, OsCatalog, parseOsinfoXml } from '../../../main/services/new-vm/os-catalog';

const DB = `<?xml version="1.0"?>
<libosinfo version="0.0.1">
  <os id="http://example.org/base/1">
    <short-id>base1</short-id>
    <name>Base 1</name>
    <name xml:lang="de">Basis 1</name>
    <family>linux</family>
    <release-date>2019-01-01</release-date>
    <resources arch="all">
      <minimum><n-cpus>1</n-cpus><ram>536870912</ram><storage>4294967296</storage></minimum>
      <recommended><ram>1073741824</ram><storage>10737418240</storage></recommended>
    </resources>
    <devices>
      <device id="http://pcisig.com/pci/1af4/1001"/>
      <device id="http://pcisig.com/pci/1af4/1000"/>
      <device id="http://pcisig.com/pci/1af4/1050"/>
    </devices>
  </os>
  <os id="http://example.org/child/2">
    <short-id>child2</short-id>
    <name>Child 2</name>
    <derives-from id="http://example.org/base/1"/>
    <release-date>2021-01-01</release-date>
    <eol-date>2022-01-01</eol-date>
    <firmware arch="x86_64" type="efi"/>
    <firmware arch="x86_64" type="bios" supported="false"/>
    <devices><device id="http://pcisig.com/pci/1af4/1050" supported="false"/></devices>
    <media arch="x86_64"><iso><volume-id>CHILD 2\\.\\d+ amd64</volume-id><publisher-id>EXAMPLE</publisher-id></iso></media>
    <media arch="aarch64"><iso><volume-id>CHILD 2\\.\\d+ arm64</volume-id></iso></media>
  </os>
</libosinfo>`;

describe('osinfo-db parsing and inheritance', () => {
  const catalog = new OsCatalog(parseOsinfoXml(DB));

  it('takes the untranslated name and inherits family, resources and devices from derives-from', () => {
    const child = catalog.get('http://example.org/child/2');
    expect(child?.name).toBe('Child 2');
    expect(child?.family).toBe('linux');
    expect(child?.recommended).toEqual({ ramBytes: 1073741824, nCpus: null, storageBytes: 10737418240 });
    expect(child?.supports(OSINFO_DEVICES.virtioBlock)).toBe(true);
    expect(child?.supports(OSINFO_DEVICES.virtioNet)).toBe(true);
    // supported="false" in the child overrides the parent's device
    expect(child?.supports(OSINFO_DEVICES.virtioGpu)).toBe(false);
    expect(catalog.get('http://example.org/base/1')?.supports(OSINFO_DEVICES.virtioGpu)).toBe(true);
    expect([child?.efi, child?.bios]).toEqual([true, false]);
  });

  it('lists current systems first, those past end of life after them', () => {
    expect(catalog.list().map((o) => [o.shortId, o.eol])).toEqual([
      ['base1', false],
      ['child2', true],
    ]);
  });

  it('matches ISO identifiers as libosinfo does: every given pattern, unanchored, on the right architecture', () => {
    const ids = { volumeId: 'CHILD 2.3 amd64', systemId: 'LINUX', publisherId: 'EXAMPLE CORP', applicationId: '' };
    expect(catalog.matchIso(ids).map((o) => o.shortId)).toEqual(['child2']);
    expect(catalog.matchIso({ ...ids, publisherId: 'SOMEONE ELSE' })).toEqual([]);
    expect(catalog.matchIso({ ...ids, volumeId: 'CHILD 2.3 arm64' })).toEqual([]);
  });
});

describe('the built-in list', () => {
  const catalog = new OsCatalog(BUILTIN_OSES);
  it('detects common install media from their labels', () => {
    const ids = (volumeId: string) => catalog.matchIso({ volumeId, systemId: '', publisherId: '', applicationId: '' }).map((o) => o.shortId);
    expect(ids('Debian 12.5.0 amd64 n')).toEqual(['debian12']);
    expect(ids('Ubuntu-Server 24.04.1 LTS amd64')).toEqual(['ubuntu24.04']);
    expect(ids('CCCOMA_X64FRE_EN-US_DV9')).toEqual(['win11', 'win10']);
    expect(ids('VD_TEST_BOOT')).toEqual([]);
  });
  it('every entry has resources and a unique id', () => {
    expect(new Set(BUILTIN_OSES.map((o) => o.id)).size).toBe(BUILTIN_OSES.length);
    for (const os of BUILTIN_OSES) expect(os.recommended?.ramBytes, os.id).toBeGreaterThan(0);
  });
});

describe('loading', () => {
  it('a host without osinfo-db gets the built-in list and the reason', async () => {
    const source = await loadOsCatalog(null, ['/nonexistent/osinfo']);
    expect(source.kind).toBe('built-in');
    expect(source.kind === 'built-in' && source.reason).toContain('/nonexistent/osinfo');
    expect(source.catalog.size).toBe(BUILTIN_OSES.length);
  });

  it.skipIf(!existsSync('/usr/share/osinfo/os'))("this machine's osinfo-db (Debian's osinfo-db package): hundreds of systems, inheritance resolved", async () => {
    const found = await readOsinfoDir(localFiles, '/usr/share/osinfo');
    expect(found?.skipped).toBe(0);
    expect(found?.records.length).toBeGreaterThan(500);
    const catalog = new OsCatalog(found?.records ?? []);
    const debian11 = catalog.get('http://debian.org/debian/11');
    // Debian 11's own file lists only virtio-gpu and virtio-fs: virtio disk and NIC come from Debian 10 and older.
    expect(debian11?.supports(OSINFO_DEVICES.virtioBlock)).toBe(true);
    expect(debian11?.supports(OSINFO_DEVICES.virtioNet)).toBe(true);
    expect(catalog.get('http://microsoft.com/win/11')?.bios).toBe(false);
    expect(catalog.matchIso({ volumeId: 'Debian 11.5.0 amd64 n', systemId: '', publisherId: '', applicationId: '' }).map((o) => o.shortId)).toContain('debian11');
  });
});
