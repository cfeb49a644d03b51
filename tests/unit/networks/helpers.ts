import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../support/lab';
import type { NetworkDraft } from '../../../preload/api-contract';

export const networkFixture = (name: string) => readFileSync(join(PROJECT_ROOT, 'tests', 'fixtures', 'networks', name), 'utf8');
export const deviceFixture = (name: string) => readFileSync(join(PROJECT_ROOT, 'tests', 'fixtures', 'host-devices', name), 'utf8');
export const deviceFixtureDir = (dir: string) =>
  readdirSync(join(PROJECT_ROOT, 'tests', 'fixtures', 'host-devices', dir))
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => deviceFixture(join(dir, f)));

export const baseDraft: NetworkDraft = {
  name: 'vd-test-net-unit',
  mode: 'nat',
  bridgeName: null,
  forwardDev: null,
  macvtapMode: 'bridge',
  macvtapInterfaces: [],
  virtualport: null,
  domainName: null,
  domainLocalOnly: false,
  ipv4: null,
  ipv6: null,
  dnsHosts: [],
  dnsTxts: [],
  dnsSrvs: [],
  portGroups: [],
  vlan: null,
  autostart: false,
  start: false,
};

/** The drafts the recorded libvirt-*-inactive.xml fixtures were made from (tests/fixtures/networks/README.md). */
export const recordedDrafts: Record<'nat' | 'ovs' | 'macvtap' | 'isolated', NetworkDraft> = {
  nat: {
    ...baseDraft,
    name: 'vd-test-net-rec-nat',
    bridgeName: 'vdtnrec0',
    domainName: 'lab.test',
    domainLocalOnly: true,
    ipv4: { address: '10.251.8.1', prefix: 24, dhcp: { start: '10.251.8.100', end: '10.251.8.199' }, hosts: [{ mac: '52:54:00:aa:bb:01', id: null, name: 'web1', ip: '10.251.8.10' }] },
    ipv6: { address: 'fd42:8::1', prefix: 64, dhcp: { start: 'fd42:8::100', end: 'fd42:8::1ff' }, hosts: [{ mac: null, id: '00:01:00:01:2c:3d:4e:5f:52:54:00:aa:bb:01', name: 'web1', ip: 'fd42:8::10' }] },
    dnsHosts: [{ ip: '10.251.8.5', hostnames: ['printer', 'printer.lab.test'] }],
    dnsTxts: [{ name: 'info', value: 'made by VirtDeck' }],
    dnsSrvs: [{ service: 'ldap', protocol: 'tcp', domain: 'lab.test', target: 'ldap.lab.test', port: 389, priority: 10, weight: 5 }],
  },
  ovs: {
    ...baseDraft,
    name: 'vd-test-net-rec-ovs',
    mode: 'bridge',
    bridgeName: 'vdtnovs0',
    virtualport: 'openvswitch',
    vlan: { trunk: true, tags: [{ id: 10, nativeMode: 'untagged' }, { id: 20, nativeMode: null }] },
    portGroups: [
      { name: 'office', isDefault: true, vlan: { trunk: false, tags: [{ id: 10, nativeMode: null }] } },
      { name: 'lab', isDefault: false, vlan: { trunk: true, tags: [{ id: 20, nativeMode: null }, { id: 30, nativeMode: null }] } },
    ],
  },
  macvtap: {
    ...baseDraft,
    name: 'vd-test-net-rec-macvtap',
    mode: 'macvtap',
    macvtapMode: 'passthrough',
    macvtapInterfaces: ['eth0'],
    portGroups: [{ name: 'tagged', isDefault: false, vlan: { trunk: false, tags: [{ id: 42, nativeMode: null }] } }],
  },
  isolated: {
    ...baseDraft,
    name: 'vd-test-net-rec-isolated',
    mode: 'isolated',
    ipv4: { address: '10.251.9.1', prefix: 24, dhcp: { start: '10.251.9.50', end: '10.251.9.60' }, hosts: [] },
  },
};
