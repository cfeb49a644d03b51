import { describe, expect, it } from 'vitest';
import { describeNetworkChange, planNetworkChange } from '../../../main/services/networks/network-changes';
import { parseNetworkXml } from '../../../main/services/networks/network-xml';
import { networkFixture } from './helpers';

const nat = parseNetworkXml(networkFixture('libvirt-nat-inactive.xml'));
const ovs = parseNetworkXml(networkFixture('libvirt-ovs-inactive.xml'));

describe('live network changes (virNetworkUpdate)', () => {
  it('a static DHCP host on the IPv4 <ip> (parentIndex 0): add-last, section ip-dhcp-host (4), command 3', () => {
    const plan = planNetworkChange({ kind: 'dhcpHost', op: 'add', ipIndex: 0, host: { mac: '52:54:00:AA:BB:02', id: null, name: 'web2', ip: '10.251.8.11' } }, nat);
    expect(plan).toEqual({ command: 3, section: 4, parentIndex: 0, xml: "<host mac='52:54:00:aa:bb:02' name='web2' ip='10.251.8.11'/>", sectionName: 'ip-dhcp-host', commandName: 'add-last' });
    expect(describeNetworkChange(plan, { active: true, persistent: true }).affects).toBe('live+config');
    expect(describeNetworkChange(plan, { active: false, persistent: true }).affects).toBe('config');
    expect(describeNetworkChange(plan, { active: true, persistent: false }).affects).toBe('live');
  });

  it('IPv6 hosts by DUID on <ip> 1; delete matches on what is given', () => {
    expect(planNetworkChange({ kind: 'dhcpHost', op: 'add', ipIndex: 1, host: { mac: null, id: '00:01:AB', name: null, ip: 'fd42:8::11' } }, nat).xml).toBe(
      "<host id='00:01:ab' ip='fd42:8::11'/>",
    );
    expect(planNetworkChange({ kind: 'dhcpHost', op: 'delete', ipIndex: 0, host: { mac: '52:54:00:aa:bb:01', id: null, name: null, ip: null } }, nat)).toMatchObject({
      command: 2,
      xml: "<host mac='52:54:00:aa:bb:01'/>",
    });
  });

  it('DNS host, TXT and SRV records; a port group', () => {
    expect(planNetworkChange({ kind: 'dnsHost', op: 'add', host: { ip: '10.251.8.6', hostnames: ['nas'] } }, nat)).toMatchObject({
      section: 10,
      xml: "<host ip='10.251.8.6'>\n  <hostname>nas</hostname>\n</host>",
    });
    expect(planNetworkChange({ kind: 'dnsHost', op: 'delete', host: { ip: '10.251.8.5', hostnames: [] } }, nat).xml).toBe("<host ip='10.251.8.5'/>");
    expect(planNetworkChange({ kind: 'dnsTxt', op: 'delete', txt: { name: 'info', value: '' } }, nat)).toMatchObject({ section: 11, command: 2 });
    expect(planNetworkChange({ kind: 'dnsSrv', op: 'add', srv: { service: 'www', protocol: 'tcp', domain: null, target: null, port: null, priority: null, weight: null } }, nat)).toMatchObject({
      section: 12,
      xml: "<srv service='www' protocol='tcp'/>",
    });
    expect(
      planNetworkChange({ kind: 'portGroup', op: 'modify', portGroup: { name: 'lab', isDefault: false, vlan: { trunk: false, tags: [{ id: 40, nativeMode: null }] } } }, ovs),
    ).toMatchObject({ section: 9, command: 1, xml: "<portgroup name='lab'>\n  <vlan>\n    <tag id='40'/>\n  </vlan>\n</portgroup>" });
  });

  it('refuses what libvirt would refuse, before asking it', () => {
    const fails = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as { field?: string }).field;
      }
      return 'no refusal';
    };
    expect(fails(() => planNetworkChange({ kind: 'dhcpHost', op: 'add', ipIndex: 5, host: { mac: '52:54:00:00:00:01', id: null, name: null, ip: '10.251.8.3' } }, nat))).toBe('ipIndex');
    expect(fails(() => planNetworkChange({ kind: 'dhcpHost', op: 'add', ipIndex: 0, host: { mac: '52:54:00:00:00:01', id: null, name: null, ip: '10.9.9.9' } }, nat))).toBe('host.ip');
    expect(fails(() => planNetworkChange({ kind: 'dhcpHost', op: 'add', ipIndex: 1, host: { mac: '52:54:00:00:00:01', id: null, name: 'x', ip: 'fd42:8::3' } }, nat))).toBe('host.mac');
    expect(fails(() => planNetworkChange({ kind: 'dnsHost', op: 'add', host: { ip: '10.0.0.1', hostnames: ['x'] } }, ovs))).toBe('kind');
    expect(fails(() => planNetworkChange({ kind: 'portGroup', op: 'add', portGroup: { name: 'office', isDefault: false, vlan: null } }, ovs))).toBe('portGroup.name');
    expect(fails(() => planNetworkChange({ kind: 'portGroup', op: 'add', portGroup: { name: 'v', isDefault: false, vlan: { trunk: false, tags: [{ id: 3, nativeMode: null }] } } }, nat))).toBe(
      'portGroup.vlan',
    );
  });
});
