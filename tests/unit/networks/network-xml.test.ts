import { describe, expect, it } from 'vitest';
import { buildNetworkXml } from '../../../main/services/networks/network-builder';
import { netmaskPrefix, parseNetworkXml } from '../../../main/services/networks/network-xml';
import { networkFixture, recordedDrafts } from './helpers';

describe('reading network XML (libvirt 9.0 output)', () => {
  it("the lab's default network: NAT, virbr0, a /24 with a DHCP range", () => {
    const net = parseNetworkXml(networkFixture('libvirt-default-inactive.xml'));
    expect(net).toMatchObject({ name: 'default', forwardMode: 'nat', bridge: 'virbr0', portGroups: [], vlan: null });
    expect(net.ips).toEqual([
      { index: 0, family: 'ipv4', address: '192.168.122.1', prefix: 24, dhcpRanges: [{ start: '192.168.122.2', end: '192.168.122.254' }], dhcpHosts: [] },
    ]);
  });

  it('NAT with IPv4 and IPv6: ranges, static hosts by MAC and by DUID, DNS host/TXT/SRV, domain', () => {
    const net = parseNetworkXml(networkFixture('libvirt-nat-live.xml'));
    expect(net.forwardMode).toBe('nat');
    expect(net.domain).toBe('lab.test');
    expect(net.ips.map((ip) => [ip.index, ip.family, ip.address, ip.prefix])).toEqual([
      [0, 'ipv4', '10.251.8.1', 24],
      [1, 'ipv6', 'fd42:8::1', 64],
    ]);
    expect(net.ips[0]?.dhcpHosts).toEqual([{ mac: '52:54:00:aa:bb:01', id: null, name: 'web1', ip: '10.251.8.10' }]);
    expect(net.ips[1]?.dhcpHosts).toEqual([{ mac: null, id: '00:01:00:01:2c:3d:4e:5f:52:54:00:aa:bb:01', name: 'web1', ip: 'fd42:8::10' }]);
    expect(net.dns.hosts).toEqual([{ ip: '10.251.8.5', hostnames: ['printer', 'printer.lab.test'] }]);
    expect(net.dns.txts).toEqual([{ name: 'info', value: 'made by VirtDeck' }]);
    expect(net.dns.srvs).toEqual([{ service: 'ldap', protocol: 'tcp', domain: 'lab.test', target: 'ldap.lab.test', port: 389, priority: 10, weight: 5 }]);
  });

  it('Open vSwitch bridge: trunk VLAN with a native tag, port groups with access and trunk tags', () => {
    const net = parseNetworkXml(networkFixture('libvirt-ovs-inactive.xml'));
    expect(net).toMatchObject({ forwardMode: 'bridge', bridge: 'vdtnovs0', virtualport: 'openvswitch' });
    expect(net.vlan).toEqual({ trunk: true, tags: [{ id: 10, nativeMode: 'untagged' }, { id: 20, nativeMode: null }] });
    expect(net.portGroups).toEqual([
      { name: 'office', isDefault: true, vlan: { trunk: false, tags: [{ id: 10, nativeMode: null }] } },
      { name: 'lab', isDefault: false, vlan: { trunk: true, tags: [{ id: 20, nativeMode: null }, { id: 30, nativeMode: null }] } },
    ]);
  });

  it('macvtap passthrough pool and isolated network', () => {
    expect(parseNetworkXml(networkFixture('libvirt-macvtap-inactive.xml'))).toMatchObject({ forwardMode: 'passthrough', forwardInterfaces: ['eth0'], bridge: null });
    expect(parseNetworkXml(networkFixture('libvirt-isolated-inactive.xml'))).toMatchObject({ forwardMode: 'isolated' });
  });

  it('netmask to prefix', () => {
    expect(netmaskPrefix('255.255.255.0')).toBe(24);
    expect(netmaskPrefix('255.255.0.0')).toBe(16);
    expect(netmaskPrefix('255.0.255.0')).toBeNull();
  });
});

describe('what the builder makes is what libvirt stored', () => {
  // libvirt adds a uuid, a bridge MAC and NAT ports, names the bridge (virbrN) when the draft left it
  // empty, and writes a pool's first interface as <forward dev>; everything else comes back as built.
  it.each(['nat', 'ovs', 'macvtap', 'isolated'] as const)('%s: same network read back', (kind) => {
    const built = parseNetworkXml(buildNetworkXml(recordedDrafts[kind]));
    const stored = parseNetworkXml(networkFixture(`libvirt-${kind}-inactive.xml`));
    const libvirtAdded = {
      uuid: null,
      bridge: recordedDrafts[kind].bridgeName === null && stored.bridge?.startsWith('virbr') ? stored.bridge : built.bridge,
      forwardDev: kind === 'macvtap' ? stored.forwardInterfaces[0] : built.forwardDev,
    };
    expect({ ...built, ...libvirtAdded }).toEqual({ ...stored, uuid: null });
  });
});
