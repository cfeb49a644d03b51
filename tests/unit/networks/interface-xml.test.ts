import { describe, expect, it } from 'vitest';
import { parseGuestDevices } from '../../../main/services/networks/guest-index';
import { buildInterfaceXml } from '../../../main/services/networks/interface-xml';
import { networkFixture } from './helpers';

const inGuest = (nic: string) => networkFixture('libvirt-guest-with-nics.xml').replace('</devices>', `${nic}</devices>`);

describe('guest NIC XML for Add hardware', () => {
  it('on a network with a port group and a trunk, read back as the guest index reads it', () => {
    const xml = buildInterfaceXml({
      source: { type: 'network', network: 'lab-net', portgroup: 'office' },
      mac: '52:54:00:AB:CD:EF',
      model: 'virtio',
      vlan: { trunk: true, tags: [{ id: 10, nativeMode: 'untagged' }, { id: 20, nativeMode: null }] },
    });
    expect(xml).toBe(
      [
        "<interface type='network'>",
        "  <mac address='52:54:00:ab:cd:ef'/>",
        "  <source network='lab-net' portgroup='office'/>",
        "  <vlan trunk='yes'>",
        "    <tag id='10' nativeMode='untagged'/>",
        "    <tag id='20'/>",
        '  </vlan>',
        "  <model type='virtio'/>",
        '</interface>',
        '',
      ].join('\n'),
    );
    expect(parseGuestDevices(inGuest(xml)).nics.at(-1)).toEqual({
      type: 'network',
      network: 'lab-net',
      portgroup: 'office',
      bridge: null,
      dev: null,
      mac: '52:54:00:ab:cd:ef',
      model: 'virtio',
      vlan: { trunk: true, tags: [{ id: 10, nativeMode: 'untagged' }, { id: 20, nativeMode: null }] },
    });
  });

  it('on an Open vSwitch bridge and on a macvtap device; bad input refused', () => {
    expect(buildInterfaceXml({ source: { type: 'bridge', bridge: 'ovsbr0', openvswitch: true }, mac: null, model: null, vlan: { trunk: false, tags: [{ id: 5, nativeMode: null }] } })).toBe(
      "<interface type='bridge'>\n  <source bridge='ovsbr0'/>\n  <virtualport type='openvswitch'/>\n  <vlan>\n    <tag id='5'/>\n  </vlan>\n</interface>\n",
    );
    expect(buildInterfaceXml({ source: { type: 'direct', dev: 'eth1', mode: 'passthrough' }, mac: null, model: 'e1000e', vlan: null })).toContain("<source dev='eth1' mode='passthrough'/>");
    expect(() => buildInterfaceXml({ source: { type: 'network', network: 'a b', portgroup: null }, mac: null, model: null, vlan: null })).toThrow(/network name/);
    expect(() => buildInterfaceXml({ source: { type: 'bridge', bridge: 'br0', openvswitch: false }, mac: 'nope', model: null, vlan: null })).toThrow(/MAC/);
  });
});
