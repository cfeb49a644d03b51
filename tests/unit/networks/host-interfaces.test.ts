import { describe, expect, it } from 'vitest';
import { lowerClosure, parseHostInterfaces, pciAddressInPath } from '../../../main/services/networks/host-interfaces';
import { networkFixture } from './helpers';

const byName = (text: string) => new Map(parseHostInterfaces(text).report.interfaces.map((i) => [i.name, i]));

describe('host interfaces (recorded over real SSH)', () => {
  it('the lab over loopback SSH: eth0 (PCI 0000:00:03.0) has the default routes; the SSH connection is on lo only', () => {
    const { report } = parseHostInterfaces(networkFixture('lab-ssh-on-loopback.txt'));
    const ifaces = new Map(report.interfaces.map((i) => [i.name, i]));
    expect(ifaces.get('eth0')).toMatchObject({
      kind: 'ethernet',
      device: '0000:00:03.0',
      mac: '02:fc:00:00:00:01',
      state: 'up',
      adminUp: true,
      carriesDefaultRoute: true,
      carriesSsh: false,
    });
    expect(ifaces.get('eth0')?.addresses.map((a) => `${a.address}/${a.prefix}`)).toEqual(['192.0.2.2/24', 'fd00::2/64', 'fe80::fc:ff:fe00:1/64']);
    expect(ifaces.get('lo')).toMatchObject({ kind: 'loopback', carriesSsh: true, carriesDefaultRoute: false, device: null });
    expect(report.defaultRoutes).toEqual([
      { family: 'ipv4', gateway: '192.0.2.1', dev: 'eth0' },
      { family: 'ipv6', gateway: 'fd00::1', dev: 'eth0' },
    ]);
    expect(report.sshConnection).toMatchObject({ clientIp: '127.0.0.1', serverIp: '127.0.0.1', routeDev: 'lo', carriers: ['lo'] });
  });

  it('the lab over SSH to its eth0 address: eth0 carries the SSH connection (the route back is local)', () => {
    const ifaces = byName(networkFixture('lab-ssh-on-eth0.txt'));
    expect(ifaces.get('eth0')).toMatchObject({ carriesSsh: true, carriesDefaultRoute: true, device: '0000:00:03.0' });
    expect(ifaces.get('lo')?.carriesSsh).toBe(false);
    expect(parseHostInterfaces(networkFixture('lab-ssh-on-eth0.txt')).report.sshConnection).toMatchObject({ serverIp: '192.0.2.2', carriers: ['eth0'] });
  });

  it('a bridge with the address: the bridge and its ports carry SSH and the default route; the other bridge does not', () => {
    const { report } = parseHostInterfaces(networkFixture('netns-bridge-ssh-on-br0.txt'));
    const ifaces = new Map(report.interfaces.map((i) => [i.name, i]));
    expect(ifaces.get('br0')).toMatchObject({ kind: 'bridge', members: ['uplink0', 'lan1'], carriesSsh: true, carriesDefaultRoute: true });
    expect(ifaces.get('uplink0')).toMatchObject({ kind: 'veth', master: 'br0', carriesSsh: true, carriesDefaultRoute: true });
    expect(ifaces.get('lan1')).toMatchObject({ master: 'br0', carriesSsh: true });
    expect(ifaces.get('lan1p')).toMatchObject({ kind: 'veth', parent: null, carriesSsh: false });
    expect(ifaces.get('br1')).toMatchObject({ members: ['lan2'], carriesSsh: false, carriesDefaultRoute: false });
    expect(report.sshConnection).toEqual({ clientIp: '10.97.0.1', serverIp: '10.97.0.2', routeDev: 'br0', carriers: ['br0', 'lan1', 'uplink0'] });
    expect(report.defaultRoutes.map((r) => r.dev)).toEqual(['br0', 'br0']);
  });

  it('bonds and VLANs: everything below the carrying interface carries it', () => {
    const ifaces = [
      { name: 'br0', members: ['bond0'], parent: null },
      { name: 'bond0', members: ['eno1', 'eno2'], parent: null },
      { name: 'eno1', members: [], parent: null },
      { name: 'eno2', members: [], parent: null },
      { name: 'br0.100', members: [], parent: 'br0' },
      { name: 'eno3', members: [], parent: null },
    ];
    expect([...lowerClosure(['br0.100'], ifaces)].sort()).toEqual(['bond0', 'br0', 'br0.100', 'eno1', 'eno2']);
    expect([...lowerClosure(['eno3'], ifaces)]).toEqual(['eno3']);
  });

  it('the PCI device of a NIC from its sysfs path (a USB NIC: its controller)', () => {
    expect(pciAddressInPath('/sys/devices/pci0000:00/0000:00:03.0/virtio2')).toBe('0000:00:03.0');
    expect(pciAddressInPath('/sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0')).toBe('0000:03:00.0');
    expect(pciAddressInPath('/sys/devices/pci0000:00/0000:00:14.0/usb2/2-3/2-3:1.0')).toBe('0000:00:14.0');
    expect(pciAddressInPath(null)).toBeNull();
  });
});
