/**
 * The "Create network" form's draft → libvirt network XML. Checks what libvirt 9.0 would refuse (with the
 * field at fault) before anything reaches the host; libvirt's VALIDATE on define checks the rest.
 */
import type {
  NetworkDhcpHost,
  NetworkDraft,
  NetworkDraftIp,
  NetworkDnsHost,
  NetworkDnsSrv,
  NetworkDnsTxt,
  NetworkPortGroup,
  NetworkVlan,
} from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import {
  canonical,
  checkHostname,
  checkIfname,
  checkMac,
  compareAddresses,
  inSubnet,
  parseAddress,
  subnetEdges,
  type Family,
} from './addresses';
import { element, indented } from './xml-text';

const fail = (message: string, field: string): never => {
  throw new ApiFailure('invalid-request', message, { field });
};

/** libvirt refuses only '/' in names; VirtDeck also keeps white space and shell-special characters out. */
export function checkNetworkName(value: string, field = 'name'): string {
  const name = value.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+:-]{0,63}$/.test(name)) {
    fail(`"${value}" is not a usable network name (1–64 letters, digits, _ . + : -, starting with a letter or digit)`, field);
  }
  return name;
}

/** A `<vlan>` element's lines, after checking the tags (0–4095, native mode only on trunks). */
export function vlanXml(vlan: NetworkVlan | null, field: string): string[] {
  if (!vlan || vlan.tags.length === 0) return [];
  const ids = new Set<number>();
  vlan.tags.forEach((tag, i) => {
    if (!Number.isInteger(tag.id) || tag.id < 0 || tag.id > 4095) fail(`VLAN tag ${tag.id} is not between 0 and 4095`, `${field}.tags.${i}`);
    if (ids.has(tag.id)) fail(`VLAN tag ${tag.id} is listed twice`, `${field}.tags.${i}`);
    ids.add(tag.id);
  });
  const trunk = vlan.trunk || vlan.tags.length > 1;
  const natives = vlan.tags.filter((tag) => tag.nativeMode !== null);
  if (natives.length > 0 && !trunk) fail('A native VLAN needs a trunk (several tags)', field);
  if (natives.length > 1) fail('Only one tag of a trunk can be the native VLAN', field);
  return element(
    'vlan',
    { trunk: trunk ? 'yes' : null },
    vlan.tags.map((tag) => `  <tag id='${tag.id}'${tag.nativeMode ? ` nativeMode='${tag.nativeMode}'` : ''}/>`),
  );
}

function dhcpHostXml(host: NetworkDhcpHost, family: Family, field: string, subnet: { address: string; prefix: number }): string[] {
  const network = parseAddress(subnet.address, family, field);
  const ip = host.ip ? parseAddress(host.ip, family, `${field}.ip`) : null;
  if (ip && !inSubnet(ip, network, subnet.prefix)) fail(`${host.ip} is not in ${subnet.address}/${subnet.prefix}`, `${field}.ip`);
  const name = host.name ? checkHostname(host.name, `${field}.name`) : null;
  if (family === 'ipv4') {
    if (host.id) fail('An IPv4 host is named by MAC address, not by DUID', `${field}.id`);
    const mac = host.mac ? checkMac(host.mac, `${field}.mac`) : null;
    if (!mac && !name) fail('A static IPv4 host needs a MAC address or a name', `${field}.mac`);
    if (!ip) fail('A static host needs its IP address', `${field}.ip`);
    return [`<host${mac ? ` mac='${mac}'` : ''}${name ? ` name='${name}'` : ''} ip='${canonical(ip!)}'/>`];
  }
  if (host.mac) fail('An IPv6 host is named by DUID (id) or name; libvirt refuses a MAC address here', `${field}.mac`);
  const id = host.id?.trim() || null;
  if (id && !/^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(id)) fail(`"${host.id}" is not a DUID (hex bytes separated by colons)`, `${field}.id`);
  if (!id && !name) fail('A static IPv6 host needs a DUID or a name', `${field}.id`);
  if (!ip) fail('A static host needs its IP address', `${field}.ip`);
  return [`<host${id ? ` id='${id.toLowerCase()}'` : ''}${name ? ` name='${name}'` : ''} ip='${canonical(ip!)}'/>`];
}

function ipXml(ip: NetworkDraftIp, family: Family, field: string): string[] {
  const address = parseAddress(ip.address, family, `${field}.address`);
  const max = family === 'ipv4' ? 32 : 128;
  if (!Number.isInteger(ip.prefix) || ip.prefix < 1 || ip.prefix > max) fail(`The prefix must be between 1 and ${max}`, `${field}.prefix`);
  const edges = subnetEdges(address, ip.prefix);
  const text = canonical(address);
  if (text === edges.first && ip.prefix < max) fail(`${text} is the network's own address; the host needs one inside it (e.g. the first)`, `${field}.address`);
  if (family === 'ipv4' && text === edges.last && ip.prefix < 31) fail(`${text} is the broadcast address`, `${field}.address`);
  const body: string[] = [];
  if (ip.dhcp || ip.hosts.length > 0) {
    const dhcp: string[] = [];
    if (ip.dhcp) {
      const start = parseAddress(ip.dhcp.start, family, `${field}.dhcp.start`);
      const end = parseAddress(ip.dhcp.end, family, `${field}.dhcp.end`);
      if (!inSubnet(start, address, ip.prefix)) fail(`The DHCP range starts outside ${text}/${ip.prefix}`, `${field}.dhcp.start`);
      if (!inSubnet(end, address, ip.prefix)) fail(`The DHCP range ends outside ${text}/${ip.prefix}`, `${field}.dhcp.end`);
      if (compareAddresses(start, end) > 0) fail('The DHCP range ends before it starts', `${field}.dhcp.end`);
      if (compareAddresses(start, address) <= 0 && compareAddresses(address, end) <= 0)
        fail(`The DHCP range includes the host's own address ${text}`, `${field}.dhcp.start`);
      dhcp.push(`<range start='${canonical(start)}' end='${canonical(end)}'/>`);
    }
    const seen = new Set<string>();
    ip.hosts.forEach((host, i) => {
      const line = dhcpHostXml(host, family, `${field}.hosts.${i}`, { address: text, prefix: ip.prefix });
      for (const key of [host.mac?.toLowerCase(), host.ip, host.name].filter(Boolean)) {
        if (seen.has(key!)) fail(`${key} is used by two static hosts`, `${field}.hosts.${i}`);
        seen.add(key!);
      }
      dhcp.push(...line);
    });
    body.push(...element('dhcp', {}, indented(dhcp)));
  }
  return element(
    'ip',
    { family: family === 'ipv6' ? 'ipv6' : null, address: text, prefix: ip.prefix },
    indented(body),
  );
}

export function dnsHostXml(host: NetworkDnsHost, field: string): string[] {
  const family: Family = host.ip.includes(':') ? 'ipv6' : 'ipv4';
  const ip = parseAddress(host.ip, family, `${field}.ip`);
  if (host.hostnames.length === 0) fail('A DNS host needs at least one name', `${field}.hostnames`);
  const names = host.hostnames.map((name, i) => checkHostname(name, `${field}.hostnames.${i}`));
  return element('host', { ip: canonical(ip) }, names.map((name) => `  <hostname>${name}</hostname>`));
}

export function dnsTxtXml(txt: NetworkDnsTxt, field: string): string[] {
  const name = checkHostname(txt.name, `${field}.name`, 'TXT record name');
  if (txt.value.length > 255) fail('A TXT value is at most 255 characters', `${field}.value`);
  return element('txt', { name, value: txt.value });
}

export function dnsSrvXml(srv: NetworkDnsSrv, field: string): string[] {
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(srv.service)) fail(`"${srv.service}" is not a service name (1–15 letters, digits, _ -)`, `${field}.service`);
  if (srv.protocol !== 'tcp' && srv.protocol !== 'udp') fail('The protocol is tcp or udp', `${field}.protocol`);
  const domain = srv.domain ? checkHostname(srv.domain, `${field}.domain`, 'domain') : null;
  const target = srv.target ? checkHostname(srv.target, `${field}.target`, 'target host') : null;
  const u16 = (value: number | null, name: string) => {
    if (value !== null && (!Number.isInteger(value) || value < 0 || value > 65535)) fail(`${name} must be between 0 and 65535`, `${field}.${name}`);
    return value;
  };
  if (!target && (srv.port !== null || srv.priority !== null || srv.weight !== null))
    fail('Port, priority and weight need a target host', `${field}.target`);
  return element('srv', {
    service: srv.service,
    protocol: srv.protocol,
    domain,
    target,
    port: u16(srv.port, 'port'),
    priority: u16(srv.priority, 'priority'),
    weight: u16(srv.weight, 'weight'),
  });
}

export function portGroupXml(group: NetworkPortGroup, field: string): string[] {
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(group.name)) fail(`"${group.name}" is not a usable port group name`, `${field}.name`);
  return element('portgroup', { name: group.name, default: group.isDefault ? 'yes' : null }, indented(vlanXml(group.vlan, `${field}.vlan`)));
}

/** Where libvirt 9.0 lets a VLAN tag through (bridge_driver.c networkValidate). */
function vlanAllowed(draft: NetworkDraft): boolean {
  return (draft.mode === 'bridge' && draft.virtualport === 'openvswitch') || (draft.mode === 'macvtap' && draft.macvtapMode === 'passthrough');
}

/** Builds the network XML for a draft, or throws `invalid-request` naming the field. */
export function buildNetworkXml(draft: NetworkDraft): string {
  const name = checkNetworkName(draft.name);
  const lines: string[] = [`  <name>${name}</name>`];
  const routed = draft.mode === 'nat' || draft.mode === 'route' || draft.mode === 'open' || draft.mode === 'isolated';

  if (draft.mode === 'bridge') {
    if (!draft.bridgeName) fail('Name the host bridge the network uses', 'bridgeName');
    lines.push(`  <forward mode='bridge'/>`, `  <bridge name='${checkIfname(draft.bridgeName!, 'bridgeName')}'/>`);
    if (draft.virtualport) lines.push(`  <virtualport type='${draft.virtualport}'/>`);
  } else if (draft.mode === 'macvtap') {
    if (draft.macvtapInterfaces.length === 0) fail('Pick at least one host interface for the macvtap pool', 'macvtapInterfaces');
    const devs = draft.macvtapInterfaces.map((dev, i) => checkIfname(dev, `macvtapInterfaces.${i}`));
    if (new Set(devs).size !== devs.length) fail('An interface is listed twice', 'macvtapInterfaces');
    if (draft.macvtapMode === 'passthrough' && devs.length > 0) {
      // One guest per interface in passthrough mode: a pool of several is fine.
    }
    lines.push(...indented(element('forward', { mode: draft.macvtapMode }, indented(devs.map((dev) => `<interface dev='${dev}'/>`)))));
  } else {
    if (draft.mode !== 'isolated') {
      const dev = draft.forwardDev ? checkIfname(draft.forwardDev, 'forwardDev') : null;
      if (dev && draft.mode === 'open') fail('An open network forwards through no particular interface', 'forwardDev');
      lines.push(`  <forward mode='${draft.mode}'${dev ? ` dev='${dev}'` : ''}/>`);
    }
    const bridge = draft.bridgeName ? checkIfname(draft.bridgeName, 'bridgeName') : null;
    lines.push(`  <bridge${bridge ? ` name='${bridge}'` : ''} stp='on' delay='0'/>`);
  }

  if (!routed) {
    if (draft.ipv4 || draft.ipv6) fail('A bridged or macvtap network has no addresses of its own (the LAN provides them)', draft.ipv4 ? 'ipv4' : 'ipv6');
    if (draft.domainName) fail('DNS (domain, host entries) needs a network libvirt routes itself (NAT, routed, open or isolated)', 'domainName');
    if (draft.dnsHosts.length + draft.dnsTxts.length + draft.dnsSrvs.length > 0)
      fail('DNS (domain, host entries) needs a network libvirt routes itself (NAT, routed, open or isolated)', 'dnsHosts');
  } else if (draft.virtualport) {
    fail('Open vSwitch needs a bridged network', 'virtualport');
  }

  if (draft.domainName) {
    const domain = checkHostname(draft.domainName, 'domainName', 'domain');
    lines.push(`  <domain name='${domain}'${draft.domainLocalOnly ? ` localOnly='yes'` : ''}/>`);
  }
  const dns: string[] = [];
  draft.dnsTxts.forEach((txt, i) => dns.push(...dnsTxtXml(txt, `dnsTxts.${i}`)));
  draft.dnsHosts.forEach((host, i) => dns.push(...dnsHostXml(host, `dnsHosts.${i}`)));
  draft.dnsSrvs.forEach((srv, i) => dns.push(...dnsSrvXml(srv, `dnsSrvs.${i}`)));
  if (dns.length > 0) lines.push(...indented(element('dns', {}, indented(dns))));

  if (draft.ipv4) lines.push(...indented(ipXml(draft.ipv4, 'ipv4', 'ipv4')));
  if (draft.ipv6) lines.push(...indented(ipXml(draft.ipv6, 'ipv6', 'ipv6')));

  const groups = new Set<string>();
  let defaults = 0;
  draft.portGroups.forEach((group, i) => {
    if (groups.has(group.name)) fail(`Two port groups are named ${group.name}`, `portGroups.${i}.name`);
    groups.add(group.name);
    if (group.isDefault) defaults++;
    if (defaults > 1) fail('Only one port group can be the default', `portGroups.${i}.isDefault`);
    if (group.vlan && group.vlan.tags.length > 0 && !vlanAllowed(draft))
      fail(VLAN_NOT_HERE, `portGroups.${i}.vlan`);
    lines.push(...indented(portGroupXml(group, `portGroups.${i}`)));
  });
  if (draft.vlan && draft.vlan.tags.length > 0) {
    if (!vlanAllowed(draft)) fail(VLAN_NOT_HERE, 'vlan');
    lines.push(...indented(vlanXml(draft.vlan, 'vlan')));
  }
  return ['<network>', ...lines, '</network>', ''].join('\n');
}

/** libvirt 9.0's rule, in words (networkValidate in bridge_driver.c). */
export const VLAN_NOT_HERE =
  'libvirt applies VLAN tags only on an Open vSwitch bridge, a macvtap passthrough pool or an SR-IOV hostdev pool';
