import { describe, expect, it } from 'vitest';
import { applyNicNetworkEdit } from '../../../main/services/networks/nic-edit';
import { parseGuestDevices } from '../../../main/services/networks/guest-index';
import { changedLines } from '../domain-tuning/helpers';
import { networkFixture } from './helpers';

const guest = networkFixture('libvirt-guest-with-nics.xml');

describe("a guest NIC's port group and VLAN (transform of real libvirt XML)", () => {
  it('adds a port group and a trunk to the default-network NIC; nothing else changes', () => {
    const after = applyNicNetworkEdit(guest, {
      mac: '52:54:00:77:10:02',
      portgroup: 'lab',
      vlan: { trunk: true, tags: [{ id: 20, nativeMode: 'untagged' }, { id: 30, nativeMode: null }] },
    });
    expect(changedLines(guest, after)).toEqual({
      removed: ["<source network='default'/>"],
      added: ["<source network='default' portgroup='lab'/>", "<vlan trunk='yes'>", "<tag id='20' nativeMode='untagged'/>", "<tag id='30'/>", '</vlan>'],
    });
    expect(after).toContain(
      "      <source network='default' portgroup='lab'/>\n      <vlan trunk='yes'>\n        <tag id='20' nativeMode='untagged'/>\n        <tag id='30'/>\n      </vlan>\n      <model type='e1000e'/>",
    );
    expect(parseGuestDevices(after).nics[1]).toMatchObject({ portgroup: 'lab', vlan: { trunk: true, tags: [{ id: 20, nativeMode: 'untagged' }, { id: 30, nativeMode: null }] } });
  });

  it('removes a port group and a VLAN; the same VLAN again leaves the document byte for byte', () => {
    const same = applyNicNetworkEdit(guest, { mac: '52:54:00:77:10:01', portgroup: 'office', vlan: { trunk: false, tags: [{ id: 10, nativeMode: null }] } });
    expect(same).toBe(guest);
    const cleared = applyNicNetworkEdit(guest, { mac: '52:54:00:77:10:01', portgroup: null, vlan: null });
    expect(changedLines(guest, cleared)).toEqual({
      removed: ["<source network='vd-test-net-ovs' portgroup='office'/>", '<vlan>', "<tag id='10'/>", '</vlan>'],
      added: ["<source network='vd-test-net-ovs'/>"],
    });
  });

  it('refuses an unknown MAC, a bad port group name and a bad tag, changing nothing', () => {
    expect(() => applyNicNetworkEdit(guest, { mac: '52:54:00:00:00:99', portgroup: null, vlan: null })).toThrow(/no NIC with MAC/);
    expect(() => applyNicNetworkEdit(guest, { mac: '52:54:00:77:10:02', portgroup: 'a b', vlan: null })).toThrow(/port group name/);
    expect(() => applyNicNetworkEdit(guest, { mac: '52:54:00:77:10:02', portgroup: null, vlan: { trunk: false, tags: [{ id: 5000, nativeMode: null }] } })).toThrow(/4095/);
  });
});

describe('guest devices from domain XML', () => {
  it('NICs with network, port group, bridge and VLAN', () => {
    expect(parseGuestDevices(guest).nics).toEqual([
      { type: 'network', network: 'vd-test-net-ovs', portgroup: 'office', bridge: null, dev: null, mac: '52:54:00:77:10:01', model: 'virtio', vlan: { trunk: false, tags: [{ id: 10, nativeMode: null }] } },
      { type: 'network', network: 'default', portgroup: null, bridge: null, dev: null, mac: '52:54:00:77:10:02', model: 'e1000e', vlan: null },
      { type: 'bridge', network: null, portgroup: null, bridge: 'br0', dev: null, mac: '52:54:00:77:10:03', model: 'virtio', vlan: null },
    ]);
  });

  it('host devices: PCI (managed), USB by ids and address, mdev by UUID, SR-IOV NIC', () => {
    const xml = guest.replace(
      '</devices>',
      `<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x1'/></source></hostdev>
<hostdev mode='subsystem' type='usb'><source><vendor id='0x0627'/><product id='0x0001'/><address bus='3' device='2'/></source></hostdev>
<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='4B20D080-1B54-4048-85B3-A6A62D165C01'/></source></hostdev>
<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x2'/></source></interface>
</devices>`,
    );
    expect(parseGuestDevices(xml).hostdevs).toEqual([
      { type: 'pci', address: '0000:03:00.1', managed: true },
      { type: 'usb', vendor: '0627', product: '0001', bus: 3, device: 2 },
      { type: 'mdev', uuid: '4b20d080-1b54-4048-85b3-a6a62d165c01' },
      { type: 'pci', address: '0000:02:00.2', managed: true },
    ]);
  });
});
