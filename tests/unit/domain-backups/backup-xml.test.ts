import { describe, expect, it } from 'vitest';
import { DOMParser } from '@xmldom/xmldom';
import {
  backupDiskPlan,
  backupFeature,
  backupSupport,
  backupXml,
  capabilitiesQuery,
  checkDomainName,
  checkpointXml,
  checkpointsPossible,
  parseCheckpointXml,
  restoredDomainXml,
  stamp,
} from '../../../main/services/domain-backups/backup-xml';
import { checkHostPath } from '../../../main/services/domain-backups/host-shell';

const DOMAIN = `<domain type='qemu'>
  <name>web1</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type><nvram>/var/lib/libvirt/qemu/nvram/web1_VARS.fd</nvram></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/pool/web1.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/pool/web1-data.img'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='network'><mac address='52:54:00:11:22:33'/><source network='default'/></interface>
    <serial type='pty'><log file='/var/log/web1.serial.log'/><target port='0'/></serial>
  </devices>
</domain>`;

const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');

describe('backup XML', () => {
  it('plans the disks: qcow2 with checkpoints, raw full-only, CD-ROMs out, qcow2 v2 full-only', () => {
    const plan = backupDiskPlan(DOMAIN, (path) => (path === '/pool/web1.qcow2' ? '1.1' : null));
    expect(plan.map((d) => [d.target, d.included, d.checkpoints, d.note?.key ?? null])).toEqual([
      ['vda', true, true, null],
      ['vdb', true, false, 'notQcow2'],
      ['hdc', false, false, 'notADisk'],
    ]);
    expect(checkpointsPossible(plan)).toBe(false);
    const v2 = backupDiskPlan(DOMAIN, () => '0.10');
    expect(v2[0]).toMatchObject({ included: true, checkpoints: false, note: { key: 'qcow2v2' } });
  });

  it('writes a push <domainbackup> with qcow2 targets, excluded disks and the incremental start', () => {
    const plan = backupDiskPlan(DOMAIN);
    const xml = backupXml(plan, "/b/web1/2026-full's", 'virtdeck-1');
    const doc = parse(xml);
    expect(doc.documentElement?.getAttribute('mode')).toBe('push');
    expect(doc.getElementsByTagName('incremental')[0]?.textContent).toBe('virtdeck-1');
    const disks = Array.from(doc.getElementsByTagName('disk'));
    expect(disks.map((d) => [d.getAttribute('name'), d.getAttribute('backup')])).toEqual([
      ['vda', 'yes'],
      ['vdb', 'yes'],
      ['hdc', 'no'],
    ]);
    expect(disks[0]?.getElementsByTagName('target')[0]?.getAttribute('file')).toBe("/b/web1/2026-full's/vda.qcow2");
    expect(backupXml(plan, '/b', null)).not.toContain('<incremental>');
  });

  it('writes a <domaincheckpoint> with bitmaps on the qcow2 disks only, and reads libvirt’s back', () => {
    const xml = checkpointXml(backupDiskPlan(DOMAIN), 'virtdeck-20261205T130000Z', 'a & b');
    const doc = parse(xml);
    expect(doc.getElementsByTagName('name')[0]?.textContent).toBe('virtdeck-20261205T130000Z');
    expect(doc.getElementsByTagName('description')[0]?.textContent).toBe('a & b');
    expect(Array.from(doc.getElementsByTagName('disk')).map((d) => d.getAttribute('checkpoint'))).toEqual(['bitmap', 'no', 'no']);
    const back = parseCheckpointXml(
      `<domaincheckpoint><name>c2</name><parent><name>c1</name></parent><creationTime>1764939600</creationTime><disks><disk name='vda' checkpoint='bitmap' bitmap='c2'/><disk name='hdc' checkpoint='no'/></disks><domain type='qemu'><name>x</name></domain></domaincheckpoint>`,
    );
    expect(back).toEqual({ name: 'c2', parent: 'c1', createdAt: 1764939600000, disks: ['vda'] });
  });

  it('reads the domain capabilities’ backup feature (absent = not reported)', () => {
    expect(backupFeature("<domainCapabilities><features><backup supported='yes'/></features></domainCapabilities>")).toBe(true);
    expect(backupFeature("<domainCapabilities><features><backup supported='no'/></features></domainCapabilities>")).toBe(false);
    expect(backupFeature('<domainCapabilities><features/></domainCapabilities>')).toBeNull();
    expect(capabilitiesQuery(DOMAIN)).toEqual({ emulator: '/usr/bin/qemu-system-x86_64', arch: 'x86_64', machine: 'pc-i440fx-7.2', virttype: 'qemu' });
  });

  it('restores as a new guest: new name, no UUID or MAC, disks on the new volumes, its own NVRAM and log', () => {
    const { xml, notes } = restoredDomainXml(DOMAIN, {
      sourceName: 'web1',
      name: 'web1-restored',
      volumes: [
        { target: 'vda', pool: 'default', volume: 'web1-restored-vda.qcow2' },
        { target: 'vdb', pool: 'default', volume: 'web1-restored-vdb.qcow2' },
      ],
    });
    expect(xml).toContain('<name>web1-restored</name>');
    expect(xml).not.toContain('<uuid>');
    expect(xml).not.toContain('52:54:00:11:22:33');
    expect(xml).toContain("<source pool='default' volume='web1-restored-vda.qcow2'/>");
    expect(xml).not.toContain('/pool/web1.qcow2');
    expect(xml).toContain('web1-restored_VARS.fd');
    expect(xml).toContain('/var/log/web1-restored.serial.log');
    expect(notes.map((n) => n.key)).toEqual(['nvramFresh', 'newMacs']);
  });

  it('checks names, paths and stamps', () => {
    expect(stamp(Date.UTC(2026, 11, 5, 13, 4, 5, 678))).toBe('20261205T130405Z');
    expect(checkDomainName(' web2 ')).toBe('web2');
    expect(() => checkDomainName('a b')).toThrow(/not a usable guest name/);
    expect(checkHostPath('/var//lib/backups/')).toBe('/var/lib/backups');
    expect(() => checkHostPath('var/lib')).toThrow(/absolute/);
    expect(() => checkHostPath('/var/../etc')).toThrow(/absolute/);
  });
});

describe('backup support', () => {
  const plan = backupDiskPlan(DOMAIN);
  it('offers nothing before libvirt 6.0, when QEMU lacks it, when it is not reported, or without disks', () => {
    expect(backupSupport(5_010_000, null, plan, true)).toMatchObject({ supported: false, reason: { key: 'libvirtTooOld', values: { version: '5.10.0', needed: '6.0.0' } } });
    expect(backupSupport(9_000_000, false, plan, true)).toMatchObject({ supported: false, reason: { key: 'qemuLacksBackup' } });
    expect(backupSupport(9_000_000, null, plan, true)).toMatchObject({ supported: false, reason: { key: 'backupNotReported' } });
    expect(backupSupport(9_000_000, true, plan.filter((d) => !d.included), true)).toMatchObject({ supported: false, reason: { key: 'noDisks' } });
    expect(backupSupport(9_000_000, true, plan, false)).toEqual({ supported: true, reason: null, libvirtVersion: '9.0.0', qemuImg: false });
  });
});
