/**
 * Live changes of a network (virNetworkUpdate): which section and command, which `<ip>` (parentIndex)
 * and the element libvirt expects. libvirt 9.0 (network_conf.c virNetworkDefUpdateSection) accepts
 * for these sections: ip-dhcp-host add/modify/delete (delete matches on any given attribute),
 * dns-host/dns-txt/dns-srv add/delete only, portgroup add/modify/delete. dnsmasq gets its host files
 * rewritten and a SIGHUP for DHCP hosts and DNS hosts (no restart); TXT and SRV records restart dnsmasq
 * (bridge_driver.c networkUpdate), which running guests do not notice beyond a DNS blip.
 */
import type { NetworkLiveChange, NetworkLiveChangePreview } from '../../../preload/api-contract';
import { virNetworkUpdateCommand as C, virNetworkUpdateSection as S } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { canonical, checkHostname, checkMac, inSubnet, parseAddress } from './addresses';
import { dnsHostXml, dnsSrvXml, dnsTxtXml, portGroupXml } from './network-builder';
import type { ParsedNetwork } from './network-xml';
import { attrs } from './xml-text';

export interface PlannedUpdate {
  command: number;
  section: number;
  parentIndex: number;
  xml: string;
  /** For the preview: libvirt's (virsh's) names of section and command. */
  sectionName: string;
  commandName: string;
}

const COMMANDS = { add: C.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, modify: C.VIR_NETWORK_UPDATE_COMMAND_MODIFY, delete: C.VIR_NETWORK_UPDATE_COMMAND_DELETE };
const COMMAND_NAMES = { add: 'add-last', modify: 'modify', delete: 'delete' };

const fail = (message: string, field: string): never => {
  throw new ApiFailure('invalid-request', message, { field });
};

function dhcpHostChange(change: Extract<NetworkLiveChange, { kind: 'dhcpHost' }>, network: ParsedNetwork): string {
  const ip = network.ips.find((candidate) => candidate.index === change.ipIndex);
  if (!ip) return fail(`The network has no <ip> element number ${change.ipIndex}`, 'ipIndex');
  const { host } = change;
  const subnet = parseAddress(ip.address, ip.family, 'ipIndex');
  const address = host.ip ? parseAddress(host.ip, ip.family, 'host.ip') : null;
  if (address && !inSubnet(address, subnet, ip.prefix)) fail(`${host.ip} is not in ${ip.address}/${ip.prefix}`, 'host.ip');
  const name = host.name ? checkHostname(host.name, 'host.name') : null;
  if (ip.family === 'ipv4') {
    if (host.id) fail('An IPv4 host is named by MAC address, not by DUID', 'host.id');
    const mac = host.mac ? checkMac(host.mac, 'host.mac') : null;
    if (change.op !== 'delete') {
      if (!mac && !name) fail('A static IPv4 host needs a MAC address or a name', 'host.mac');
      if (!address) fail('A static host needs its IP address', 'host.ip');
    } else if (!mac && !name && !address) fail('Say which host to remove (MAC, name or address)', 'host.mac');
    return `<host${attrs({ mac, name, ip: address ? canonical(address) : null })}/>`;
  }
  if (host.mac) fail('An IPv6 host is named by DUID (id) or name; libvirt refuses a MAC address here', 'host.mac');
  const id = host.id?.trim().toLowerCase() || null;
  if (id && !/^[0-9a-f]{2}(:[0-9a-f]{2})+$/.test(id)) fail(`"${host.id}" is not a DUID (hex bytes separated by colons)`, 'host.id');
  if (change.op !== 'delete') {
    if (!id && !name) fail('A static IPv6 host needs a DUID or a name', 'host.id');
    if (!address) fail('A static host needs its IP address', 'host.ip');
  } else if (!id && !name && !address) fail('Say which host to remove (DUID, name or address)', 'host.id');
  return `<host${attrs({ id, name, ip: address ? canonical(address) : null })}/>`;
}

/** Plans a change against the network's current definition; bad input is refused with the field. */
export function planNetworkChange(change: NetworkLiveChange, network: ParsedNetwork): PlannedUpdate {
  const routed = ['nat', 'route', 'open', 'isolated'].includes(network.forwardMode);
  switch (change.kind) {
    case 'dhcpHost':
      return {
        command: COMMANDS[change.op],
        section: S.VIR_NETWORK_SECTION_IP_DHCP_HOST,
        parentIndex: change.ipIndex,
        xml: dhcpHostChange(change, network),
        sectionName: 'ip-dhcp-host',
        commandName: COMMAND_NAMES[change.op],
      };
    case 'dnsHost': {
      if (!routed) fail('DNS entries need a network libvirt routes itself (NAT, routed, open or isolated)', 'kind');
      // Delete matches on the address or any of the names; an add needs at least one name.
      const xml =
        change.op === 'delete' && change.host.hostnames.length === 0
          ? `<host ip='${canonical(parseAddress(change.host.ip, change.host.ip.includes(':') ? 'ipv6' : 'ipv4', 'host.ip'))}'/>`
          : dnsHostXml(change.host, 'host').join('\n');
      return { command: COMMANDS[change.op], section: S.VIR_NETWORK_SECTION_DNS_HOST, parentIndex: -1, xml, sectionName: 'dns-host', commandName: COMMAND_NAMES[change.op] };
    }
    case 'dnsTxt':
      if (!routed) fail('DNS entries need a network libvirt routes itself (NAT, routed, open or isolated)', 'kind');
      return {
        command: COMMANDS[change.op],
        section: S.VIR_NETWORK_SECTION_DNS_TXT,
        parentIndex: -1,
        xml: dnsTxtXml(change.txt, 'txt').join('\n'),
        sectionName: 'dns-txt',
        commandName: COMMAND_NAMES[change.op],
      };
    case 'dnsSrv':
      if (!routed) fail('DNS entries need a network libvirt routes itself (NAT, routed, open or isolated)', 'kind');
      return {
        command: COMMANDS[change.op],
        section: S.VIR_NETWORK_SECTION_DNS_SRV,
        parentIndex: -1,
        xml: dnsSrvXml(change.srv, 'srv').join('\n'),
        sectionName: 'dns-srv',
        commandName: COMMAND_NAMES[change.op],
      };
    case 'portGroup': {
      const exists = network.portGroups.some((group) => group.name === change.portGroup.name);
      if (change.op === 'add' && exists) fail(`The network already has a port group ${change.portGroup.name}`, 'portGroup.name');
      if (change.op !== 'add' && !exists) fail(`The network has no port group ${change.portGroup.name}`, 'portGroup.name');
      const vlan = change.op !== 'delete' && change.portGroup.vlan && change.portGroup.vlan.tags.length > 0;
      const vlanOk =
        (network.forwardMode === 'bridge' && network.virtualport === 'openvswitch') ||
        network.forwardMode === 'passthrough' ||
        network.forwardMode === 'hostdev';
      if (vlan && !vlanOk)
        fail('libvirt applies VLAN tags only on an Open vSwitch bridge, a macvtap passthrough pool or an SR-IOV hostdev pool', 'portGroup.vlan');
      const xml = change.op === 'delete' ? `<portgroup name='${change.portGroup.name.replace(/'/g, '&apos;')}'/>` : portGroupXml(change.portGroup, 'portGroup').join('\n');
      return { command: COMMANDS[change.op], section: S.VIR_NETWORK_SECTION_PORTGROUP, parentIndex: -1, xml, sectionName: 'portgroup', commandName: COMMAND_NAMES[change.op] };
    }
  }
}

/** The preview the UI shows before applying. */
export function describeNetworkChange(plan: PlannedUpdate, state: { active: boolean; persistent: boolean }): NetworkLiveChangePreview {
  return {
    xml: plan.xml,
    section: plan.sectionName,
    command: plan.commandName,
    affects: state.active ? (state.persistent ? 'live+config' : 'live') : 'config',
  };
}
