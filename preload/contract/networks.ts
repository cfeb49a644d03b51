/**
 * Networks: libvirt's virtual networks on a host (list, create, start/stop, autostart, delete, live
 * DHCP/DNS/port-group updates, leases, which guests use them) and the host's own interfaces (read-only).
 */

import type { AssertNever } from './channel-names';

/** libvirt's `<forward mode>`; `isolated` = no `<forward>` element at all. */
export type NetworkForwardMode =
  | 'nat'
  | 'route'
  | 'open'
  | 'isolated'
  | 'bridge'
  | 'private'
  | 'vepa'
  | 'passthrough'
  | 'hostdev';

/** A `<vlan>`: one tag = access port, several (or `trunk`) = trunk; nativeMode only on trunks. */
export interface NetworkVlan {
  trunk: boolean;
  tags: Array<{ id: number; nativeMode: 'tagged' | 'untagged' | null }>;
}

export interface NetworkDhcpHost {
  mac: string | null;
  /** IPv6: the DUID (`id`) instead of a MAC. */
  id: string | null;
  name: string | null;
  ip: string | null;
}

export interface NetworkIp {
  /** Position among the network's `<ip>` elements (virNetworkUpdate's parentIndex). */
  index: number;
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
  dhcpRanges: Array<{ start: string; end: string }>;
  dhcpHosts: NetworkDhcpHost[];
}

export interface NetworkDnsHost {
  ip: string;
  hostnames: string[];
}
export interface NetworkDnsTxt {
  name: string;
  value: string;
}
export interface NetworkDnsSrv {
  service: string;
  protocol: 'tcp' | 'udp';
  domain: string | null;
  target: string | null;
  port: number | null;
  priority: number | null;
  weight: number | null;
}

export interface NetworkPortGroup {
  name: string;
  isDefault: boolean;
  vlan: NetworkVlan | null;
}

/** A guest's NIC on a network (from the guests' XML: live for running guests, else persistent). */
export interface NetworkGuestNic {
  uuid: string;
  name: string;
  running: boolean;
  mac: string | null;
  portgroup: string | null;
  /** The NIC's own `<vlan>` (overrides the port group's and the network's). */
  vlan: NetworkVlan | null;
  /** The VLAN that applies: the NIC's, else its port group's, else the network's. */
  effectiveVlan: NetworkVlan | null;
}

export interface NetworkSummary {
  name: string;
  uuid: string;
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  forwardMode: NetworkForwardMode;
  /** `<forward dev>`: the host interface NAT/routed traffic must leave through. */
  forwardDev: string | null;
  /** The bridge libvirt made (nat/route/open/isolated) or uses (bridge mode). */
  bridge: string | null;
  /** macvtap/direct pools and hostdev pools: the host interfaces (`<forward><interface dev>`). */
  forwardInterfaces: string[];
  /** `<virtualport type>` (openvswitch, 802.1Qbh…), when any. */
  virtualport: string | null;
  domain: string | null;
  ips: NetworkIp[];
  portGroups: NetworkPortGroup[];
  vlan: NetworkVlan | null;
  /** Active DHCP leases (0 when inactive or without DHCP). */
  leaseCount: number;
  guests: NetworkGuestNic[];
}

export interface NetworkLease {
  type: 'ipv4' | 'ipv6';
  ipaddr: string;
  prefix: number;
  mac: string | null;
  hostname: string | null;
  clientid: string | null;
  iaid: string | null;
  /** Epoch seconds. */
  expiryTime: number;
}

export interface NetworkDetails extends NetworkSummary {
  /** The live XML (the persistent one when inactive). */
  xml: string;
  leases: NetworkLease[];
  dns: { hosts: NetworkDnsHost[]; txts: NetworkDnsTxt[]; srvs: NetworkDnsSrv[] };
  /**
   * dnsmasq's host files that dnsmasq (which drops to nobody) cannot read — "0600 /var/lib/libvirt/
   * dnsmasq/NAME.hostsfile" — so its static DHCP hosts and DNS entries are ignored. Happens when libvirtd
   * runs with umask 077. Empty when fine or when this account cannot look.
   */
  unreadableHostFiles: string[];
}

/** What the "Create network" form fills in; main builds the XML from it. */
export interface NetworkDraft {
  name: string;
  /** macvtap = a `direct` pool (forward mode bridge/private/vepa/passthrough over host interfaces). */
  mode: 'nat' | 'route' | 'open' | 'isolated' | 'bridge' | 'macvtap';
  /** nat/route/open/isolated: the bridge to create (empty = libvirt picks virbrN); bridge: the host's bridge. */
  bridgeName: string | null;
  /** nat/route: the host interface traffic leaves through (empty = any). */
  forwardDev: string | null;
  macvtapMode: 'bridge' | 'private' | 'vepa' | 'passthrough';
  macvtapInterfaces: string[];
  /** bridge mode: `openvswitch` for an Open vSwitch bridge (needed for VLAN tags), else null. */
  virtualport: 'openvswitch' | null;
  domainName: string | null;
  /** DNS answers only from the network's own names (domain localOnly='yes'). */
  domainLocalOnly: boolean;
  ipv4: NetworkDraftIp | null;
  ipv6: NetworkDraftIp | null;
  dnsHosts: NetworkDnsHost[];
  dnsTxts: NetworkDnsTxt[];
  dnsSrvs: NetworkDnsSrv[];
  portGroups: NetworkPortGroup[];
  vlan: NetworkVlan | null;
  autostart: boolean;
  /** Start it right after defining it. */
  start: boolean;
}

export interface NetworkDraftIp {
  address: string;
  prefix: number;
  dhcp: { start: string; end: string } | null;
  hosts: NetworkDhcpHost[];
}

/** A live change (virNetworkUpdate): applied to the running network and its definition, no restart. */
export type NetworkLiveChange =
  | { kind: 'dhcpHost'; op: 'add' | 'modify' | 'delete'; ipIndex: number; host: NetworkDhcpHost }
  | { kind: 'dnsHost'; op: 'add' | 'delete'; host: NetworkDnsHost }
  | { kind: 'dnsTxt'; op: 'add' | 'delete'; txt: NetworkDnsTxt }
  | { kind: 'dnsSrv'; op: 'add' | 'delete'; srv: NetworkDnsSrv }
  | { kind: 'portGroup'; op: 'add' | 'modify' | 'delete'; portGroup: NetworkPortGroup };

export interface NetworkLiveChangePreview {
  /** The element sent to virNetworkUpdate. */
  xml: string;
  /** libvirt's section name (ip-dhcp-host, dns-host…) and command (add-last, modify, delete). */
  section: string;
  command: string;
  /** live+config: running network and definition; config: definition only (inactive); live: transient. */
  affects: 'live+config' | 'config' | 'live';
}

// ---- host interfaces (read over the host's SSH connection; never changed) --------------------------

export type HostInterfaceKind =
  | 'ethernet'
  | 'wireless'
  | 'bridge'
  | 'bond'
  | 'vlan'
  | 'macvlan'
  | 'macvtap'
  | 'veth'
  | 'tun'
  | 'dummy'
  | 'loopback'
  | 'other';

export interface HostInterfaceAddress {
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
  scope: string;
}

export interface HostInterface {
  name: string;
  kind: HostInterfaceKind;
  /** iproute2's `linkinfo.info_kind` as printed (bridge, bond, vlan, tun…), when any. */
  driverKind: string | null;
  mac: string | null;
  mtu: number | null;
  /** operstate (up, down, unknown, lowerlayerdown…). */
  state: string;
  /** Administratively up (IFF_UP). */
  adminUp: boolean;
  carrier: boolean | null;
  /** Mb/s, when the driver reports one. */
  speed: number | null;
  addresses: HostInterfaceAddress[];
  /** The bridge or bond this interface is a port/slave of. */
  master: string | null;
  /** Bridge ports, bond slaves (interfaces whose master is this one). */
  members: string[];
  /** VLAN, macvlan/macvtap: the interface it sits on. */
  parent: string | null;
  vlanId: number | null;
  /** The sysfs device it belongs to (PCI address such as 0000:03:00.0, or a USB path), when physical. */
  device: string | null;
  /** Carries the host's default route (itself or through the ports/slaves/parent below it). */
  carriesDefaultRoute: boolean;
  /** Carries VirtDeck's own SSH connection to this host. */
  carriesSsh: boolean;
}

export interface HostInterfacesReport {
  interfaces: HostInterface[];
  defaultRoutes: Array<{ family: 'ipv4' | 'ipv6'; gateway: string | null; dev: string }>;
  /** From SSH_CONNECTION of the command VirtDeck ran; null for this computer (no SSH). */
  sshConnection: { clientIp: string; serverIp: string; routeDev: string | null; carriers: string[] } | null;
  /** What the host printed (the raw evidence). */
  evidence: string;
}

export interface NetworksCalls {
  'networks.list': { request: { hostId: string }; response: NetworkSummary[] };
  'networks.details': { request: { hostId: string; name: string }; response: NetworkDetails };
  /** The XML the draft makes (nothing is sent to the host); refuses a bad draft with the field. */
  'networks.preview': { request: { hostId: string; draft: NetworkDraft }; response: { xml: string } };
  /** Defines (VALIDATE), sets autostart and starts; a failure leaves nothing behind. */
  'networks.create': { request: { hostId: string; draft: NetworkDraft }; response: NetworkSummary };
  'networks.start': { request: { hostId: string; name: string }; response: null };
  /**
   * Stops a network. Refused (conflict, naming them) while running guests use it, unless
   * `confirmGuests` lists exactly those guests.
   */
  'networks.stop': { request: { hostId: string; name: string; confirmGuests?: string[] }; response: null };
  'networks.setAutostart': { request: { hostId: string; name: string; autostart: boolean }; response: null };
  /** Stops (if active) and undefines; the same guard as stop. */
  'networks.delete': { request: { hostId: string; name: string; confirmGuests?: string[] }; response: null };
  'networks.previewChange': {
    request: { hostId: string; name: string; change: NetworkLiveChange };
    response: NetworkLiveChangePreview;
  };
  /** Applies a live change (virNetworkUpdate) and returns the network as it is now. */
  'networks.applyChange': {
    request: { hostId: string; name: string; change: NetworkLiveChange };
    response: NetworkDetails;
  };
  'networks.hostInterfaces': { request: { hostId: string }; response: HostInterfacesReport };
  /** A guest NIC's port group and VLAN: the change of its persistent definition as a diff (next boot). */
  'networks.nicEditPreview': { request: NicNetworkEditRequest; response: { version: string; diff: string } };
  /** Applies it to the definition the diff was made from (`version`; a changed definition is a conflict). */
  'networks.nicEditApply': { request: NicNetworkEditRequest & { version: string }; response: null };
}

export interface NicNetworkEditRequest {
  hostId: string;
  /** The guest's UUID. */
  uuid: string;
  /** The NIC's MAC address. */
  mac: string;
  portgroup: string | null;
  vlan: NetworkVlan | null;
}

export const NETWORKS_CALLS = [
  'networks.list',
  'networks.details',
  'networks.preview',
  'networks.create',
  'networks.start',
  'networks.stop',
  'networks.setAutostart',
  'networks.delete',
  'networks.previewChange',
  'networks.applyChange',
  'networks.hostInterfaces',
  'networks.nicEditPreview',
  'networks.nicEditApply',
] as const satisfies readonly (keyof NetworksCalls)[];
export type _NetworksCallsListed = AssertNever<Exclude<keyof NetworksCalls, (typeof NETWORKS_CALLS)[number]>>;

export interface NetworksEvents {
  /** A network of the host was defined, started, stopped or removed, or a guest's NICs changed. */
  'networks.changed': { hostId: string };
}

export const NETWORKS_EVENTS = ['networks.changed'] as const satisfies readonly (keyof NetworksEvents)[];
export type _NetworksEventsListed = AssertNever<Exclude<keyof NetworksEvents, (typeof NETWORKS_EVENTS)[number]>>;
