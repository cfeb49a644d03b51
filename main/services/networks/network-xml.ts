/**
 * Reading libvirt's network XML (network.rng of libvirt 9.0): forward mode, bridge, addresses, DHCP,
 * DNS, port groups and VLANs. Pure: the XML in, plain data out.
 */
import type { Element } from '@xmldom/xmldom';
import type {
  NetworkDhcpHost,
  NetworkDnsHost,
  NetworkDnsSrv,
  NetworkDnsTxt,
  NetworkForwardMode,
  NetworkIp,
  NetworkPortGroup,
  NetworkVlan,
} from '../../../preload/api-contract';
import { attr, child, children, parseXmlDocument, text } from '../domains/domain-xml-parse';

export interface ParsedNetwork {
  name: string;
  uuid: string | null;
  forwardMode: NetworkForwardMode;
  forwardDev: string | null;
  bridge: string | null;
  forwardInterfaces: string[];
  virtualport: string | null;
  domain: string | null;
  ips: NetworkIp[];
  portGroups: NetworkPortGroup[];
  vlan: NetworkVlan | null;
  dns: { hosts: NetworkDnsHost[]; txts: NetworkDnsTxt[]; srvs: NetworkDnsSrv[] };
}

const FORWARD_MODES = new Set<NetworkForwardMode>(['nat', 'route', 'open', 'bridge', 'private', 'vepa', 'passthrough', 'hostdev']);

/** A `<vlan>` element (network, port group or guest interface). */
export function parseVlan(element: Element | null): NetworkVlan | null {
  if (!element) return null;
  const tags = children(element, 'tag')
    .map((tag) => {
      const id = Number(attr(tag, 'id'));
      const native = attr(tag, 'nativeMode');
      return {
        id,
        nativeMode: native === 'tagged' || native === 'untagged' ? native : null,
      } as NetworkVlan['tags'][number];
    })
    .filter((tag) => Number.isInteger(tag.id));
  if (tags.length === 0) return null;
  return { trunk: attr(element, 'trunk') === 'yes' || tags.length > 1, tags };
}

/** Dotted netmask → prefix length (255.255.255.0 → 24); null for a non-contiguous mask. */
export function netmaskPrefix(netmask: string): number | null {
  const parts = netmask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  const bits = parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  if (!/^1*0*$/.test(bits)) return null;
  return bits.indexOf('0') === -1 ? 32 : bits.indexOf('0');
}

function parseIp(ip: Element, index: number): NetworkIp {
  const address = attr(ip, 'address') ?? '';
  const family: NetworkIp['family'] = attr(ip, 'family') === 'ipv6' || address.includes(':') ? 'ipv6' : 'ipv4';
  const netmask = attr(ip, 'netmask');
  const prefixAttr = attr(ip, 'prefix');
  const prefix =
    prefixAttr !== null ? Number(prefixAttr) : netmask !== null ? (netmaskPrefix(netmask) ?? 0) : family === 'ipv6' ? 64 : 24;
  const dhcp = child(ip, 'dhcp');
  return {
    index,
    family,
    address,
    prefix,
    dhcpRanges: dhcp
      ? children(dhcp, 'range').map((range) => ({ start: attr(range, 'start') ?? '', end: attr(range, 'end') ?? '' }))
      : [],
    dhcpHosts: dhcp
      ? children(dhcp, 'host').map(
          (host): NetworkDhcpHost => ({
            mac: attr(host, 'mac'),
            id: attr(host, 'id'),
            name: attr(host, 'name'),
            ip: attr(host, 'ip'),
          }),
        )
      : [],
  };
}

function parseDns(network: Element): ParsedNetwork['dns'] {
  const dns = child(network, 'dns');
  if (!dns) return { hosts: [], txts: [], srvs: [] };
  const number = (value: string | null) => (value !== null && /^\d+$/.test(value) ? Number(value) : null);
  return {
    hosts: children(dns, 'host').map((host) => ({
      ip: attr(host, 'ip') ?? '',
      hostnames: children(host, 'hostname')
        .map((name) => text(name))
        .filter((name): name is string => name !== null),
    })),
    txts: children(dns, 'txt').map((txt) => ({ name: attr(txt, 'name') ?? '', value: attr(txt, 'value') ?? '' })),
    srvs: children(dns, 'srv').map((srv) => ({
      service: attr(srv, 'service') ?? '',
      protocol: attr(srv, 'protocol') === 'udp' ? 'udp' : 'tcp',
      domain: attr(srv, 'domain'),
      target: attr(srv, 'target'),
      port: number(attr(srv, 'port')),
      priority: number(attr(srv, 'priority')),
      weight: number(attr(srv, 'weight')),
    })),
  };
}

/** Parses a `<network>` document. */
export function parseNetworkXml(xml: string): ParsedNetwork {
  const network = parseXmlDocument(xml, 'The network XML');
  if (network.tagName !== 'network') throw new Error(`expected <network>, got <${network.tagName}>`);
  const forward = child(network, 'forward');
  const mode = forward ? (attr(forward, 'mode') ?? 'nat') : 'isolated';
  const forwardMode: NetworkForwardMode = FORWARD_MODES.has(mode as NetworkForwardMode) ? (mode as NetworkForwardMode) : 'isolated';
  const forwardInterfaces = forward
    ? [
        ...children(forward, 'interface').map((i) => attr(i, 'dev')),
        ...children(forward, 'pf').map((pf) => attr(pf, 'dev')),
        ...children(forward, 'address').map((a) =>
          attr(a, 'type') === 'pci'
            ? `${(attr(a, 'domain') ?? '0x0000').replace(/^0x/, '').padStart(4, '0')}:${(attr(a, 'bus') ?? '0').replace(/^0x/, '').padStart(2, '0')}:${(attr(a, 'slot') ?? '0').replace(/^0x/, '').padStart(2, '0')}.${(attr(a, 'function') ?? '0').replace(/^0x/, '')}`
            : null,
        ),
      ].filter((dev): dev is string => dev !== null)
    : [];
  const domain = child(network, 'domain');
  return {
    name: text(child(network, 'name')) ?? '',
    uuid: text(child(network, 'uuid')),
    forwardMode,
    forwardDev: attr(forward, 'dev'),
    bridge: attr(child(network, 'bridge'), 'name'),
    forwardInterfaces,
    virtualport: attr(child(network, 'virtualport'), 'type'),
    domain: attr(domain, 'name'),
    ips: children(network, 'ip').map(parseIp),
    portGroups: children(network, 'portgroup').map((group) => ({
      name: attr(group, 'name') ?? '',
      isDefault: attr(group, 'default') === 'yes',
      vlan: parseVlan(child(group, 'vlan')),
    })),
    vlan: parseVlan(child(network, 'vlan')),
    dns: parseDns(network),
  };
}
