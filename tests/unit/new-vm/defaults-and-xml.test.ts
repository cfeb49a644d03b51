/**
 * The wizard's defaults per OS and per host, and the domain XML it builds, validated against libvirt's
 * RELAX NG schema twice: by the editor's own validator (DomainSchema, libxml2's rules) and by libxml2
 * itself (xmllint --relaxng), both on /usr/share/libvirt/schemas (libvirt 9.0 here).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NewVmHostFacts, NewVmNetwork, NewVmPool, NewVmSourceKind, NewVmSpec } from '../../../preload/api-contract';
import { DomainSchema } from '../../../main/services/domain-xml/domain-schema';
import { compileDomainSchema, LIBVIRT_SCHEMA_DIR, readSchemaFiles } from '../../../main/services/domain-xml/host-schemas';
import { readTreeFromJSON } from '../../../main/services/domain-xml/salve';
import { BUILTIN_OSES } from '../../../main/services/new-vm/builtin-oses';
import { wizardDefaults } from '../../../main/services/new-vm/defaults';
import { buildDomainXml } from '../../../main/services/new-vm/domain-xml-builder';
import { parseDomainCapabilities, pickGuest } from '../../../main/services/new-vm/host-facts';
import { OsCatalog } from '../../../main/services/new-vm/os-catalog';

const fixture = (path: string) => readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');

function facts(caps: string, domcaps: string): NewVmHostFacts {
  const picked = pickGuest(fixture(caps));
  if (!picked) throw new Error('no guest');
  const d = parseDomainCapabilities(fixture(domcaps));
  return {
    domainType: picked.domainType,
    arch: picked.guest.arch,
    emulator: picked.guest.emulator,
    machines: picked.guest.machines,
    efi: d.efi,
    secureBoot: d.secureBoot,
    tpmEmulator: d.tpmEmulator,
    tpmModels: d.tpmModels,
    cpuModes: d.cpuModes,
    graphics: d.graphics,
    diskBuses: d.diskBuses,
    videoModels: d.videoModels,
    threads: 8,
    memoryKiB: 16 * 1024 * 1024,
    running: { vcpus: 0, memoryKiB: 0 },
  };
}

const LAB = facts('new-vm/caps-lab-tcg.xml', 'new-vm/domcaps-lab-q35.xml');
const KVM = facts('host-capabilities/lab-1node-2cpu.xml', 'new-vm/domcaps-kvm-ovmf.xml');
const POOLS: NewVmPool[] = [{ name: 'default', type: 'dir', fileBased: true, targetPath: '/var/lib/libvirt/images', availableBytes: 1e11 }];
const NETS: NewVmNetwork[] = [{ name: 'default', active: true }];
const catalog = new OsCatalog(BUILTIN_OSES);
const os = (id: string) => {
  const found = catalog.get(id);
  if (!found) throw new Error(id);
  return found;
};
const DEBIAN = 'http://debian.org/debian/12';
const WIN11 = 'http://microsoft.com/win/11';
const WIN10 = 'http://microsoft.com/win/10';
const UNKNOWN = 'http://libosinfo.org/unknown';

describe('defaults per OS and host', () => {
  it('Debian 12 on the lab: virtio disk and NIC, q35, BIOS (no firmware offered), TCG noted, recommended sizes', () => {
    const d = wizardDefaults(os(DEBIAN), LAB, 'iso', POOLS, NETS);
    expect(d.spec).toMatchObject({
      machine: 'q35',
      firmware: 'bios',
      secureBoot: false,
      tpm: false,
      memoryMiB: 1024,
      vcpus: 2,
      disk: { pool: 'default', sizeGiB: 20, bus: 'virtio' },
      nic: { kind: 'network', source: 'default', model: 'virtio' },
      graphics: 'vnc',
    });
    expect(d.notes.map((n) => n.key)).toEqual(['tcg', 'noEfiFirmware']);
  });

  it('Debian 12 on a KVM host with OVMF: UEFI without Secure Boot, no TPM, no notes', () => {
    const d = wizardDefaults(os(DEBIAN), KVM, 'iso', POOLS, NETS);
    expect(d.spec).toMatchObject({ firmware: 'efi', secureBoot: false, tpm: false, machine: 'q35' });
    expect(d.notes).toEqual([]);
  });

  it('Windows 11 on a KVM host with OVMF and swtpm: SATA and e1000 (no virtio drivers on its media), UEFI + Secure Boot + TPM', () => {
    const d = wizardDefaults(os(WIN11), KVM, 'iso', POOLS, NETS);
    expect(d.spec).toMatchObject({ firmware: 'efi', secureBoot: true, tpm: true, disk: { bus: 'sata', sizeGiB: 80 }, nic: { model: 'e1000' }, memoryMiB: 8192, vcpus: 2 });
    expect(d.notes.map((n) => n.key)).toEqual(['noVirtioDisk', 'noVirtioNic']);
  });

  it('Windows 11 on the lab: UEFI is still chosen (the OS requires it) and the missing firmware, Secure Boot and TPM are warnings', () => {
    const d = wizardDefaults(os(WIN11), LAB, 'iso', POOLS, NETS);
    expect(d.spec).toMatchObject({ firmware: 'efi', secureBoot: false, tpm: false });
    expect(d.notes.filter((n) => n.severity === 'warning').map((n) => n.key)).toEqual(['tcg', 'efiMissing', 'secureBootMissing', 'tpmMissing']);
  });

  it('Windows 10: UEFI where offered, no TPM; an unknown OS: SATA/e1000', () => {
    expect(wizardDefaults(os(WIN10), KVM, 'iso', POOLS, NETS).spec).toMatchObject({ firmware: 'efi', secureBoot: false, tpm: false });
    expect(wizardDefaults(os(UNKNOWN), LAB, 'iso', POOLS, NETS).spec).toMatchObject({ disk: { bus: 'sata' }, nic: { model: 'e1000' } });
  });

  it('vCPUs never exceed the host threads; no active network → user-mode networking; no pool → a warning', () => {
    const d = wizardDefaults(os(DEBIAN), { ...LAB, threads: 1 }, 'iso', [], [{ name: 'default', active: false }]);
    expect(d.spec.vcpus).toBe(1);
    expect(d.spec.nic).toEqual({ kind: 'user', source: null, model: 'virtio' });
    expect(d.notes.map((n) => n.key)).toEqual(expect.arrayContaining(['noPool', 'noActiveNetwork']));
  });
});

function spec(osId: string, host: NewVmHostFacts, source: NewVmSourceKind, extra: Partial<NewVmSpec> = {}): NewVmSpec {
  const d = wizardDefaults(os(osId), host, source, POOLS, NETS).spec;
  const sources: Record<NewVmSourceKind, NewVmSpec['source']> = {
    iso: { kind: 'iso', isoPath: '/var/lib/libvirt/images/install.iso' },
    import: { kind: 'import', diskPath: '/var/lib/libvirt/images/old.qcow2' },
    'cloud-image': { kind: 'cloud-image', imagePath: '/var/lib/libvirt/images/cloud.qcow2', cloudInit: { user: 'ops', password: null, sshKey: 'ssh-ed25519 AAAA x', hostname: 'vm1' } },
  };
  return { ...d, name: 'vm1', source: sources[source], ...extra };
}

function xmlFor(s: NewVmSpec, host: NewVmHostFacts): string {
  return buildDomainXml({
    spec: s,
    uuid: '5f2b8a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
    os: os(s.osId),
    host,
    diskPath: s.source.kind === 'import' ? s.source.diskPath : '/var/lib/libvirt/images/vm1.qcow2',
    diskFormat: 'qcow2',
    isoPath: s.source.kind === 'iso' ? s.source.isoPath : null,
    seedPath: s.source.kind === 'cloud-image' ? '/var/lib/libvirt/images/vm1-cidata.iso' : null,
  });
}

const CASES: Array<[string, NewVmSpec, NewVmHostFacts]> = [
  ['Debian ISO on the lab (TCG, BIOS, VNC)', spec(DEBIAN, LAB, 'iso'), LAB],
  ['Debian ISO on KVM+OVMF (UEFI)', spec(DEBIAN, KVM, 'iso'), KVM],
  ['Debian cloud image with seed, SPICE', spec(DEBIAN, KVM, 'cloud-image', { graphics: 'spice' }), KVM],
  ['imported disk on SCSI, no graphics, no NIC', spec(DEBIAN, LAB, 'import', { graphics: 'none', nic: { kind: 'none', source: null, model: 'virtio' }, disk: { pool: 'default', sizeGiB: 1, bus: 'scsi' } }), LAB],
  ['Windows 11 on KVM (UEFI + Secure Boot + TPM, Hyper-V)', spec(WIN11, KVM, 'iso'), KVM],
  ['legacy i440fx with IDE, bridge', spec(UNKNOWN, LAB, 'iso', { machine: 'pc', disk: { pool: 'default', sizeGiB: 8, bus: 'ide' }, nic: { kind: 'bridge', source: 'br0', model: 'rtl8139' } }), LAB],
];

describe('the domain XML', () => {
  it('has the practitioners\' defaults: cache=none, io=native, discard=unmap, boot order ISO → disk → network, agent, balloon, RNG, 127.0.0.1', () => {
    const xml = xmlFor(spec(DEBIAN, LAB, 'iso'), LAB);
    expect(xml).toContain("<domain type='qemu'>");
    expect(xml).toContain("<driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap'/>");
    expect(xml).toContain("<cpu mode='maximum' check='none'/>");
    const order = (needle: string) => xml.slice(xml.indexOf(needle)).match(/<boot order='(\d)'\/>/)?.[1];
    expect([order("device='cdrom'"), order("device='disk'"), order('<interface')]).toEqual(['1', '2', '3']);
    expect(xml).toContain("name='org.qemu.guest_agent.0'");
    expect(xml).toContain("<memballoon model='virtio'>");
    expect(xml).toContain("<rng model='virtio'>");
    expect(xml).toContain("<listen type='address' address='127.0.0.1'/>");
    expect(xml).toContain("<libosinfo:os id='http://debian.org/debian/12'/>");
  });

  it('UEFI through firmware auto-selection, Secure Boot and a TPM 2.0 emulator for Windows 11; Hyper-V enlightenments under KVM', () => {
    const xml = xmlFor(spec(WIN11, KVM, 'iso'), KVM);
    expect(xml).toContain("<os firmware='efi'>");
    expect(xml).toContain("<feature enabled='yes' name='secure-boot'/>");
    expect(xml).toContain("<backend type='emulator' version='2.0'/>");
    expect(xml).toContain("<tpm model='tpm-crb'>");
    expect(xml).toContain("<cpu mode='host-passthrough' check='none' migratable='on'/>");
    expect(xml).toContain("<relaxed state='on'/>");
    expect(xml).toContain("<target dev='sda' bus='sata'/>");
    expect(xml).toContain("<target dev='sdb' bus='sata'/>");
  });

  it('no discard on IDE; two IDE devices on separate channels (hda, hdc)', () => {
    const xml = xmlFor(CASES[5]![1], LAB);
    expect(xml).toContain("<driver name='qemu' type='qcow2' cache='none' io='native'/>");
    expect(xml).toContain("<target dev='hda' bus='ide'/>");
    expect(xml).toContain("<target dev='hdc' bus='ide'/>");
  });

  it('escapes what the user typed', () => {
    const xml = xmlFor(spec(DEBIAN, LAB, 'import', { source: { kind: 'import', diskPath: "/images/it's <mine>&.qcow2" } }), LAB);
    expect(xml).toContain("<source file='/images/it&apos;s &lt;mine&gt;&amp;.qcow2'/>");
  });
});

const HAVE_SCHEMAS = existsSync(join(LIBVIRT_SCHEMA_DIR, 'domain.rng'));
const HAVE_XMLLINT = spawnSync('xmllint', ['--version']).status === 0;

describe.skipIf(!HAVE_SCHEMAS)("the XML validates against libvirt's RELAX NG schema", () => {
  let schema: DomainSchema;
  beforeAll(async () => {
    schema = new DomainSchema(readTreeFromJSON(await compileDomainSchema(await readSchemaFiles(null))), 'test');
  }, 60_000);

  it.each(CASES)('%s: the editor\'s validator finds no problem', (_name, s, host) => {
    expect(schema.validate(xmlFor(s, host))).toEqual([]);
  });

  it.skipIf(!HAVE_XMLLINT).each(CASES)('%s: xmllint --relaxng domain.rng accepts it', (_name, s, host) => {
    const dir = mkdtempSync(join(tmpdir(), 'vd-newvm-xml-'));
    try {
      const file = join(dir, 'domain.xml');
      writeFileSync(file, xmlFor(s, host));
      const out = execFileSync('xmllint', ['--noout', '--relaxng', join(LIBVIRT_SCHEMA_DIR, 'domain.rng'), file], { encoding: 'utf8', stdio: 'pipe' });
      expect(out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('and a broken one is refused by both (the test can fail)', () => {
    const bad = xmlFor(CASES[0]![1], CASES[0]![2]).replace("<memballoon model='virtio'>", "<memballoon model='bogus'>");
    expect(schema.validate(bad).length).toBeGreaterThan(0);
  });
});
