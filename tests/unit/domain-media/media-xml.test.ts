import { describe, expect, it } from 'vitest';
import { driveElement, ejectInstallMedia, hasInstallMedia, loadedCdroms, readDrives, withMedia } from '../../../main/services/domain-media/media-xml';
import { changedLines } from '../domain-tuning/helpers';

const INSTALLED = `<domain type='kvm'>
  <name>new1</name>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <boot dev='cdrom'/>
    <boot dev='hd'/>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/img/new1.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/isos/debian.iso' startupPolicy='optional'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
  </devices>
</domain>
`;
const PER_DEVICE = INSTALLED.replace("    <boot dev='cdrom'/>\n    <boot dev='hd'/>\n", '')
  .replace("<target dev='vda' bus='virtio'/>", "<target dev='vda' bus='virtio'/>\n      <boot order='2'/>")
  .replace('<readonly/>', "<readonly/>\n      <boot order='1'/>");
const LIVE = INSTALLED.replace("<target dev='sda' bus='sata'/>", "<target dev='sda' bus='sata' tray='open'/>").replace(
  "<source file='/isos/debian.iso' startupPolicy='optional'/>",
  "<source file='/isos/debian.iso' startupPolicy='optional' index='1'/>\n      <backingStore/>",
);

describe('removable media', () => {
  it('reads the drives, their media, tray and boot order', () => {
    expect(readDrives(INSTALLED, LIVE)).toEqual([
      {
        target: 'sda',
        device: 'cdrom',
        bus: 'sata',
        persistent: { type: 'file', path: '/isos/debian.iso' },
        live: { type: 'file', path: '/isos/debian.iso' },
        tray: 'open',
        boots: true,
      },
    ]);
    expect(readDrives(PER_DEVICE, null)[0]?.boots).toBe(true);
    expect(loadedCdroms(INSTALLED)).toEqual(['sda']);
  });

  it('ejects and inserts, keeping the rest of the drive', () => {
    const ejected = withMedia(INSTALLED, 'sda', null);
    expect(changedLines(INSTALLED, ejected)).toEqual({ removed: ["<source file='/isos/debian.iso' startupPolicy='optional'/>"], added: [] });
    const volume = withMedia(INSTALLED, 'sda', { type: 'volume', pool: 'isos', volume: 'alpine.iso' });
    expect(changedLines(INSTALLED, volume)).toEqual({
      removed: ["<disk type='file' device='cdrom'>", "<source file='/isos/debian.iso' startupPolicy='optional'/>"],
      added: ["<disk type='volume' device='cdrom'>", "<source pool='isos' volume='alpine.iso' startupPolicy='optional'/>"],
    });
    const inserted = withMedia(ejected, 'sda', { type: 'file', path: '/isos/b.iso' });
    expect(inserted).toContain("<source file='/isos/b.iso'/>\n      <target dev='sda' bus='sata'/>");
    expect(() => withMedia(INSTALLED, 'vda', null)).toThrow(/no CD-ROM or floppy drive vda/);
    expect(() => withMedia(INSTALLED, 'sda', { type: 'file', path: 'relative.iso' })).toThrow(/absolute/);
  });

  it('gives the drive element for update-device (live: index and backing chain dropped with the media)', () => {
    const element = driveElement(withMedia(LIVE, 'sda', { type: 'file', path: '/isos/b.iso' }), 'sda');
    expect(element.startsWith("<disk type='file' device='cdrom'>")).toBe(true);
    expect(element).toContain("<source file='/isos/b.iso' startupPolicy='optional'/>");
    expect(element).not.toContain('backingStore');
    expect(element).not.toContain('<name>');
  });

  it('eject install media: media out, CD-ROM out of <os><boot> or its own boot order', () => {
    const after = ejectInstallMedia(INSTALLED);
    expect(changedLines(INSTALLED, after)).toEqual({
      removed: ["<boot dev='cdrom'/>", "<source file='/isos/debian.iso' startupPolicy='optional'/>"],
      added: [],
    });
    expect(hasInstallMedia(after)).toBe(false);
    const perDevice = ejectInstallMedia(PER_DEVICE);
    expect(changedLines(PER_DEVICE, perDevice)).toEqual({
      removed: ["<source file='/isos/debian.iso' startupPolicy='optional'/>", "<boot order='1'/>"],
      added: [],
    });
    const onlyCdrom = INSTALLED.replace("    <boot dev='hd'/>\n", '');
    expect(ejectInstallMedia(onlyCdrom)).toContain("<boot dev='hd'/>");
  });
});
