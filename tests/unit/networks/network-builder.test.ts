import { describe, expect, it } from 'vitest';
import { buildNetworkXml } from '../../../main/services/networks/network-builder';
import type { NetworkDraft } from '../../../preload/api-contract';
import { baseDraft, recordedDrafts } from './helpers';

const refusal = (draft: NetworkDraft) => {
  try {
    buildNetworkXml(draft);
  } catch (error) {
    return { code: (error as { code?: string }).code, field: (error as { field?: string }).field, message: (error as Error).message };
  }
  throw new Error('expected a refusal');
};

describe('network drafts → XML', () => {
  it('an isolated network with a static DHCP host, exactly as libvirt wants it', () => {
    const xml = buildNetworkXml({
      ...baseDraft,
      mode: 'isolated',
      ipv4: { address: '10.251.20.1', prefix: 24, dhcp: { start: '10.251.20.100', end: '10.251.20.120' }, hosts: [{ mac: '52:54:00:AA:00:01', id: null, name: 'probe', ip: '10.251.20.7' }] },
    });
    expect(xml).toBe(
      [
        '<network>',
        '  <name>vd-test-net-unit</name>',
        "  <bridge stp='on' delay='0'/>",
        "  <ip address='10.251.20.1' prefix='24'>",
        '    <dhcp>',
        "      <range start='10.251.20.100' end='10.251.20.120'/>",
        "      <host mac='52:54:00:aa:00:01' name='probe' ip='10.251.20.7'/>",
        '    </dhcp>',
        '  </ip>',
        '</network>',
        '',
      ].join('\n'),
    );
  });

  it('routed and open networks, a network on an existing host bridge, macvtap bridge pools', () => {
    expect(buildNetworkXml({ ...baseDraft, mode: 'route', forwardDev: 'eth0', ipv4: { address: '10.1.0.1', prefix: 16, dhcp: null, hosts: [] } })).toContain(
      "<forward mode='route' dev='eth0'/>",
    );
    expect(buildNetworkXml({ ...baseDraft, mode: 'open', ipv6: { address: 'fd00:1::1', prefix: 64, dhcp: null, hosts: [] } })).toContain("<ip family='ipv6' address='fd00:1::1' prefix='64'/>");
    const bridged = buildNetworkXml({ ...baseDraft, mode: 'bridge', bridgeName: 'br0' });
    expect(bridged).toContain("<forward mode='bridge'/>\n  <bridge name='br0'/>");
    expect(buildNetworkXml({ ...baseDraft, mode: 'macvtap', macvtapMode: 'vepa', macvtapInterfaces: ['eth0', 'eth1'] })).toContain(
      "  <forward mode='vepa'>\n    <interface dev='eth0'/>\n    <interface dev='eth1'/>\n  </forward>",
    );
  });

  it('IPv6 addresses are written canonical; the recorded drafts build', () => {
    expect(buildNetworkXml({ ...baseDraft, ipv6: { address: 'FD42:0008:0000::1', prefix: 64, dhcp: null, hosts: [] } })).toContain("address='fd42:8::1'");
    for (const draft of Object.values(recordedDrafts)) expect(() => buildNetworkXml(draft)).not.toThrow();
  });

  it('bad input is refused with the field at fault', () => {
    const ip = (over: Partial<NonNullable<NetworkDraft['ipv4']>>) => ({ ...baseDraft, ipv4: { address: '10.0.0.1', prefix: 24, dhcp: null, hosts: [], ...over } });
    expect(refusal({ ...baseDraft, name: 'has space' })).toMatchObject({ code: 'invalid-request', field: 'name' });
    expect(refusal({ ...baseDraft, name: 'a/b' })).toMatchObject({ field: 'name' });
    expect(refusal(ip({ address: '10.0.0.256' }))).toMatchObject({ field: 'ipv4.address' });
    expect(refusal(ip({ address: '10.0.0.0' }))).toMatchObject({ field: 'ipv4.address', message: /network's own address/ });
    expect(refusal(ip({ address: '10.0.0.255' }))).toMatchObject({ field: 'ipv4.address', message: /broadcast/ });
    expect(refusal(ip({ prefix: 33 }))).toMatchObject({ field: 'ipv4.prefix' });
    expect(refusal(ip({ dhcp: { start: '10.0.1.5', end: '10.0.0.9' } }))).toMatchObject({ field: 'ipv4.dhcp.start' });
    expect(refusal(ip({ dhcp: { start: '10.0.0.90', end: '10.0.0.9' } }))).toMatchObject({ field: 'ipv4.dhcp.end', message: /ends before it starts/ });
    expect(refusal(ip({ dhcp: { start: '10.0.0.1', end: '10.0.0.9' } }))).toMatchObject({ message: /host's own address/ });
    expect(refusal(ip({ hosts: [{ mac: 'zz', id: null, name: null, ip: '10.0.0.5' }] }))).toMatchObject({ field: 'ipv4.hosts.0.mac' });
    expect(refusal(ip({ hosts: [{ mac: '01:00:5e:00:00:01', id: null, name: null, ip: '10.0.0.5' }] }))).toMatchObject({ message: /multicast/ });
    expect(refusal(ip({ hosts: [{ mac: '52:54:00:00:00:01', id: null, name: null, ip: '10.9.0.5' }] }))).toMatchObject({ field: 'ipv4.hosts.0.ip' });
    expect(
      refusal(ip({ hosts: [{ mac: '52:54:00:00:00:01', id: null, name: 'a', ip: '10.0.0.5' }, { mac: '52:54:00:00:00:02', id: null, name: 'b', ip: '10.0.0.5' }] })),
    ).toMatchObject({ field: 'ipv4.hosts.1', message: /used by two/ });
    expect(
      refusal({ ...baseDraft, ipv6: { address: 'fd00::1', prefix: 64, dhcp: null, hosts: [{ mac: '52:54:00:00:00:01', id: null, name: 'x', ip: 'fd00::5' }] } }),
    ).toMatchObject({ field: 'ipv6.hosts.0.mac', message: /DUID/ });
    expect(refusal({ ...baseDraft, mode: 'bridge', bridgeName: null })).toMatchObject({ field: 'bridgeName' });
    expect(refusal({ ...baseDraft, mode: 'bridge', bridgeName: 'br0', ipv4: { address: '10.0.0.1', prefix: 24, dhcp: null, hosts: [] } })).toMatchObject({ field: 'ipv4' });
    expect(refusal({ ...baseDraft, mode: 'macvtap', macvtapInterfaces: [] })).toMatchObject({ field: 'macvtapInterfaces' });
    expect(refusal({ ...baseDraft, bridgeName: 'this-name-is-too-long' })).toMatchObject({ field: 'bridgeName' });
    expect(refusal({ ...baseDraft, domainName: 'bad..domain' })).toMatchObject({ field: 'domainName' });
    expect(refusal({ ...baseDraft, dnsHosts: [{ ip: '10.0.0.5', hostnames: [] }] })).toMatchObject({ field: 'dnsHosts.0.hostnames' });
    expect(refusal({ ...baseDraft, portGroups: [{ name: 'a', isDefault: true, vlan: null }, { name: 'b', isDefault: true, vlan: null }] })).toMatchObject({
      field: 'portGroups.1.isDefault',
    });
  });

  it('VLAN tags only where libvirt 9.0 applies them (OVS bridge, macvtap passthrough), with valid tags', () => {
    const vlan = { trunk: false, tags: [{ id: 10, nativeMode: null }] };
    expect(refusal({ ...baseDraft, vlan })).toMatchObject({ field: 'vlan', message: /Open vSwitch/ });
    expect(refusal({ ...baseDraft, portGroups: [{ name: 'g', isDefault: false, vlan }] })).toMatchObject({ field: 'portGroups.0.vlan' });
    const ovs: NetworkDraft = { ...baseDraft, mode: 'bridge', bridgeName: 'ovsbr0', virtualport: 'openvswitch' };
    expect(buildNetworkXml({ ...ovs, vlan })).toContain("  <vlan>\n    <tag id='10'/>\n  </vlan>");
    expect(refusal({ ...ovs, vlan: { trunk: false, tags: [{ id: 4096, nativeMode: null }] } })).toMatchObject({ field: 'vlan.tags.0' });
    expect(refusal({ ...ovs, vlan: { trunk: false, tags: [{ id: 5, nativeMode: 'untagged' }] } })).toMatchObject({ message: /native VLAN needs a trunk/ });
    expect(refusal({ ...ovs, vlan: { trunk: true, tags: [{ id: 5, nativeMode: 'untagged' }, { id: 6, nativeMode: 'tagged' }] } })).toMatchObject({ message: /Only one/ });
  });
});
