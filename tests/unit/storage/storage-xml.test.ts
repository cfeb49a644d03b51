import { describe, expect, it } from 'vitest';
import type { VolumeCreateForm } from '../../../preload/api-contract';
import { ApiFailure } from '../../../main/services/api-failure';
import { buildPoolXml, buildVolumeXml, parsePoolXml, parseVolumeXml, uploadVolumeXml } from '../../../main/services/storage/storage-xml';
import { diskReferences } from '../../../main/services/storage/volume-users';

const qcow2: VolumeCreateForm = {
  pool: 'default',
  name: 'disk.qcow2',
  format: 'qcow2',
  capacityBytes: 10 * 1024 ** 3,
  preallocation: 'off',
  qcow2Compat: '1.1',
  backingPath: null,
};

describe('pool XML', () => {
  it('builds each form type with the elements storagepool.rng asks for', () => {
    expect(buildPoolXml({ type: 'dir', name: 'images', targetPath: '/srv/images' })).toBe(
      "<pool type='dir'>\n  <name>images</name>\n  <target>\n    <path>/srv/images</path>\n  </target>\n</pool>\n",
    );
    expect(buildPoolXml({ type: 'fs', name: 'f', sourceDevice: '/dev/sdb1', sourceFormat: 'ext4', targetPath: '/mnt/f' })).toContain(
      "<source>\n    <device path='/dev/sdb1'/>\n    <format type='ext4'/>\n  </source>",
    );
    expect(
      buildPoolXml({ type: 'netfs', name: 'n', sourceHost: 'nas.example', sourceDir: '/export/vm', sourceFormat: 'nfs', targetPath: '/mnt/n' }),
    ).toContain("<host name='nas.example'/>\n    <dir path='/export/vm'/>\n    <format type='nfs'/>");
    expect(buildPoolXml({ type: 'logical', name: 'vg', vgName: 'vg0', devices: ['/dev/sdc'], targetPath: '/dev/vg0' })).toContain(
      "<device path='/dev/sdc'/>\n    <name>vg0</name>\n    <format type='lvm2'/>",
    );
  });

  it('escapes and refuses bad input with the field named', () => {
    expect(buildPoolXml({ type: 'dir', name: 'ab', targetPath: "/srv/it's&<x>" })).toContain('<path>/srv/it&apos;s&amp;&lt;x&gt;</path>');
    for (const form of [
      { type: 'dir', name: 'a/b', targetPath: '/x' },
      { type: 'dir', name: 'a&b', targetPath: '/x' },
      { type: 'dir', name: 'ok', targetPath: 'relative' },
      { type: 'netfs', name: 'n', sourceHost: 'bad host', sourceDir: '/e', sourceFormat: 'nfs', targetPath: '/m' },
    ] as const) {
      expect(() => buildPoolXml(form)).toThrow(ApiFailure);
    }
  });

  it('reads type, target and source back', () => {
    expect(
      parsePoolXml(
        "<pool type='netfs'><name>n</name><source><host name='nas'/><dir path='/e'/></source><target><path>/mnt/n</path></target></pool>",
      ),
    ).toEqual({ type: 'netfs', targetPath: '/mnt/n', source: 'nas:/e' });
  });
});

describe('volume XML', () => {
  it('makes qcow2 compat 1.1 by default, with metadata preallocation as a flag', () => {
    const built = buildVolumeXml({ ...qcow2, preallocation: 'metadata' }, null);
    expect(built.xml).toContain("<format type='qcow2'/>\n    <compat>1.1</compat>");
    expect(built.xml).toContain("<allocation unit='bytes'>0</allocation>");
    expect(built.flagNames).toEqual(['VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA']);
    expect(built.flags).toBe(1);
  });

  it('full preallocation allocates the capacity; raw has no compat', () => {
    const built = buildVolumeXml({ ...qcow2, format: 'raw', preallocation: 'full', capacityBytes: 4096 }, null);
    expect(built.xml).toContain("<allocation unit='bytes'>4096</allocation>");
    expect(built.xml).not.toContain('compat');
  });

  it('a linked qcow2 names its backing volume and its format', () => {
    const built = buildVolumeXml({ ...qcow2, backingPath: '/var/lib/libvirt/images/base.qcow2' }, 'qcow2');
    expect(built.xml).toContain(
      "<backingStore>\n    <path>/var/lib/libvirt/images/base.qcow2</path>\n    <format type='qcow2'/>\n  </backingStore>",
    );
  });

  it('refuses impossible combinations', () => {
    expect(() => buildVolumeXml({ ...qcow2, format: 'raw', preallocation: 'metadata' }, null)).toThrow(/qcow2/);
    expect(() => buildVolumeXml({ ...qcow2, format: 'raw', backingPath: '/x' }, null)).toThrow(/backing/);
    expect(() => buildVolumeXml({ ...qcow2, capacityBytes: 0 }, null)).toThrow(/capacity/);
    expect(() => buildVolumeXml({ ...qcow2, name: '../x' }, null)).toThrow(ApiFailure);
  });

  it('an upload target is raw and allocates nothing', () => {
    expect(uploadVolumeXml('a.iso', 1000)).toContain("<capacity unit='bytes'>1000</capacity>\n  <allocation unit='bytes'>0</allocation>");
  });

  it('reads path, format and backing store', () => {
    expect(
      parseVolumeXml(
        "<volume><name>l</name><target><path>/p/l</path><format type='qcow2'/></target><backingStore><path>/p/b</path></backingStore></volume>",
      ),
    ).toEqual({ path: '/p/l', format: 'qcow2', backingPath: '/p/b' });
  });
});

describe('disk references of a domain', () => {
  it('collects file, block, pool/volume sources and backing chains', () => {
    const refs = diskReferences(`<domain><devices>
      <disk type='file'><source file='/a.qcow2'/><backingStore type='file'><source file='/base.qcow2'/><backingStore/></backingStore></disk>
      <disk type='block'><source dev='/dev/vg/lv'/></disk>
      <disk type='volume' device='cdrom'><source pool='isos' volume='debian.iso'/></disk>
      <disk type='network'><source protocol='nbd' name='x'/></disk>
    </devices></domain>`);
    expect(refs.paths).toEqual(['/a.qcow2', '/base.qcow2', '/dev/vg/lv']);
    expect(refs.volumes).toEqual([{ pool: 'isos', volume: 'debian.iso' }]);
  });
});
