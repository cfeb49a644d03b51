import { describe, expect, it } from 'vitest';
import { cloneDomainXml, cloneNotes, cloneVolumeName, nvramPathOf, renamePath } from '../../../main/services/domain-clone/clone-xml';
import { checkName } from '../../../main/services/domain-clone/clone-plan';
import { changedLines } from '../domain-tuning/helpers';

const SOURCE = `<domain type='kvm'>
  <name>web1</name>
  <uuid>0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0</uuid>
  <genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90d</genid>
  <!-- kept: a comment -->
  <memory unit='KiB'>1048576</memory>
  <os firmware='efi'>
    <type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/libvirt/qemu/nvram/web1_VARS.fd</nvram>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file='/var/lib/libvirt/images/web1.img' index='2'/>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='fast' volume='web1-data.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/isos/debian.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:6b:3c:58'/>
      <source network='default'/>
    </interface>
    <serial type='pty'>
      <log file='/var/log/libvirt/qemu/web1-serial.log' append='off'/>
      <target port='0'/>
    </serial>
    <channel type='unix'>
      <source mode='bind' path='/var/lib/libvirt/qemu/channel/target/web1.agent'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>
    <graphics type='vnc' port='5905' autoport='no'/>
  </devices>
</domain>
`;

describe('clone XML', () => {
  const clone = cloneDomainXml(SOURCE, {
    sourceName: 'web1',
    name: 'web2',
    disks: [
      { target: 'vda', source: { type: 'file', path: '/var/lib/libvirt/images/web2.qcow2' }, format: 'qcow2' },
      { target: 'vdb', source: { type: 'volume', pool: 'fast', volume: 'web2-data.qcow2' }, format: null },
    ],
    nvramPath: '/var/lib/libvirt/qemu/nvram/web2_VARS.fd',
  });

  it('changes the identity, the cloned disks, the NVRAM path and the files named after the guest, and nothing else', () => {
    const { removed, added } = changedLines(SOURCE, clone);
    expect(removed).toEqual([
      '<name>web1</name>',
      '<uuid>0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0</uuid>',
      '<genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90d</genid>',
      "<nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/libvirt/qemu/nvram/web1_VARS.fd</nvram>",
      "<driver name='qemu' type='raw' cache='none'/>",
      "<source file='/var/lib/libvirt/images/web1.img' index='2'/>",
      '<backingStore/>',
      "<source pool='fast' volume='web1-data.qcow2'/>",
      "<mac address='52:54:00:6b:3c:58'/>",
      "<log file='/var/log/libvirt/qemu/web1-serial.log' append='off'/>",
      "<source mode='bind' path='/var/lib/libvirt/qemu/channel/target/web1.agent'/>",
    ]);
    expect(added).toEqual([
      '<name>web2</name>',
      '<genid/>',
      "<nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/libvirt/qemu/nvram/web2_VARS.fd</nvram>",
      "<driver name='qemu' type='qcow2' cache='none'/>",
      "<source file='/var/lib/libvirt/images/web2.qcow2'/>",
      "<source pool='fast' volume='web2-data.qcow2'/>",
      "<log file='/var/log/libvirt/qemu/web2-serial.log' append='off'/>",
      "<source mode='bind'/>",
    ]);
    expect(clone).toContain('<!-- kept: a comment -->');
    expect(clone).toContain("<source file='/isos/debian.iso'/>");
  });

  it('names files and volumes after the clone', () => {
    expect(renamePath('/var/log/x/web1.log', 'web1', 'web2')).toBe('/var/log/x/web2.log');
    expect(renamePath('/var/log/x/console.log', 'web1', 'web2')).toBe('/var/log/x/web2-console.log');
    expect(cloneVolumeName('web1-root.qcow2', 'web1', 'web2', 'vda')).toBe('web2-root.qcow2');
    expect(cloneVolumeName('disk0.img', 'web1', 'web2', 'vdb')).toBe('web2-vdb.img');
    expect(cloneVolumeName('disk0', 'web1', 'web2', 'vdb')).toBe('web2-vdb');
    expect(nvramPathOf(SOURCE)).toBe('/var/lib/libvirt/qemu/nvram/web1_VARS.fd');
    expect(nvramPathOf("<domain><os><nvram type='file'><source file='/n/x.fd'/></nvram></os></domain>")).toBe('/n/x.fd');
  });

  it('notes what a clone does not carry over', () => {
    expect(cloneNotes(SOURCE).map((n) => n.key)).toEqual(['tpmNotCopied', 'fixedDisplayPort', 'newMacs']);
    expect(cloneNotes("<domain><os firmware='efi'/><devices/></domain>").map((n) => n.key)).toEqual(['nvramFresh']);
  });

  it('checks names as libvirt and file names need them', () => {
    expect(checkName('  web2 ', 'name', 'name')).toBe('web2');
    for (const bad of ['', 'a/b', '..', 'a\nb', 'x'.repeat(201)]) {
      expect(() => checkName(bad, 'name', 'name')).toThrow();
    }
  });
});
