/**
 * The host's own interfaces (NICs, bridges, bonds, VLAN devices), their addresses and link state, and
 * which of them carry the host's default route and VirtDeck's own SSH connection. Read by ONE script over
 * the host's existing SSH connection (iproute2's JSON output and /sys/class/net); nothing is changed —
 * changing them could cut the very connection VirtDeck uses.
 *
 * "Carries" = the interface that holds the SSH server address (SSH_CONNECTION's server_ip, as the
 * host sees it) or that the route back to the client leaves through, or the default route's device,
 * plus everything below it: a bridge's ports, a bond's slaves, a VLAN's or macvlan's parent, recursively.
 */
import type { HostInterface, HostInterfaceAddress, HostInterfaceKind, HostInterfacesReport } from '../../../preload/api-contract';

const MARK = '@@vd-net';

/** The script's sections; the host-device script reuses them. */
export const HOST_INTERFACE_SECTIONS: Array<[id: string, command: string]> = [
  ['ssh', 'printf "%s\\n" "${SSH_CONNECTION:-}"'],
  ['link', 'ip -j -d link show'],
  ['addr', 'ip -j addr show'],
  ['route4', 'ip -j -4 route show table main'],
  ['route6', 'ip -j -6 route show table main'],
  ['routeget', 'set -- ${SSH_CONNECTION:-}; if [ -n "${1:-}" ]; then ip -j route get "$1"; fi'],
  [
    'sys',
    'for n in /sys/class/net/*; do [ -e "$n" ] || continue; d=; [ -e "$n/device" ] && d=$(readlink -f "$n/device"); ' +
      's=$(cat "$n/speed" 2>/dev/null); c=$(cat "$n/carrier" 2>/dev/null); w=; [ -d "$n/wireless" ] && w=1; ' +
      'printf "%s\\t%s\\t%s\\t%s\\t%s\\n" "${n##*/}" "$d" "$s" "$c" "$w"; done',
  ],
];

/** A framed script: each section's output follows a marker line; `ip` may live in /sbin for non-root. */
export function framedScript(sections: Array<[string, string]>, mark = MARK): string {
  return [
    'PATH="$PATH:/sbin:/usr/sbin:/bin:/usr/bin"; export PATH; LC_ALL=C; export LC_ALL',
    ...sections.map(([id, command]) => `echo '${mark} ${id}'; { ${command}; } 2>&1`),
  ].join('\n');
}

export function hostInterfacesScript(): string {
  return framedScript(HOST_INTERFACE_SECTIONS);
}

/** Splits framed output into its sections. */
export function splitSections(output: string, mark = MARK): Map<string, string> {
  const found = new Map<string, string>();
  let current: string | null = null;
  let lines: string[] = [];
  for (const line of output.split('\n')) {
    if (line.startsWith(`${mark} `)) {
      if (current) found.set(current, lines.join('\n'));
      current = line.slice(mark.length + 1).trim();
      lines = [];
    } else if (current) lines.push(line);
  }
  if (current) found.set(current, lines.join('\n'));
  return found;
}

function json<T>(value: string | undefined): T | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return null;
  try {
    return JSON.parse(trimmed) as T;
  } catch {
    return null;
  }
}

interface IpLink {
  ifname: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  link_type?: string;
  address?: string;
  master?: string;
  link?: string | null;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; protocol?: string }; info_slave_kind?: string };
}
interface IpAddr {
  ifname: string;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number; scope?: string }>;
}
interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
  nexthops?: Array<{ dev?: string; gateway?: string }>;
  type?: string;
}

/** An interface with its sysfs device path (for the host-device rules), beside what the UI shows. */
export interface HostInterfaceFacts extends HostInterface {
  /** readlink -f /sys/class/net/NAME/device (null for virtual interfaces). */
  sysfsDevice: string | null;
}

export interface HostInterfaceAnalysis {
  report: HostInterfacesReport;
  interfaces: HostInterfaceFacts[];
}

const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/** The deepest PCI address in a sysfs device path (the NIC itself; a USB NIC's controller otherwise). */
export function pciAddressInPath(path: string | null): string | null {
  if (!path) return null;
  const parts = path.split('/').filter((part) => PCI_ADDRESS.test(part));
  return parts[parts.length - 1] ?? null;
}

function kindOf(link: IpLink | undefined, sys: { device: string | null; wireless: boolean }): HostInterfaceKind {
  const kind = link?.linkinfo?.info_kind ?? null;
  if (link?.link_type === 'loopback') return 'loopback';
  switch (kind) {
    case 'bridge':
    case 'bond':
    case 'vlan':
    case 'macvlan':
    case 'macvtap':
    case 'veth':
    case 'tun':
    case 'dummy':
      return kind;
    case 'openvswitch':
      return 'bridge';
    default:
      break;
  }
  if (sys.wireless) return 'wireless';
  if (sys.device) return 'ethernet';
  return 'other';
}

/** Every interface at or below the given ones: bridge ports, bond slaves, VLAN/macvlan parents. */
export function lowerClosure(start: Iterable<string>, interfaces: ReadonlyArray<Pick<HostInterface, 'name' | 'members' | 'parent'>>): Set<string> {
  const byName = new Map(interfaces.map((i) => [i.name, i]));
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    const found = byName.get(name);
    if (!found) return;
    for (const member of found.members) visit(member);
    if (found.parent) visit(found.parent);
  };
  for (const name of start) visit(name);
  return out;
}

/** Parses the script's output. */
export function parseHostInterfaces(output: string): HostInterfaceAnalysis {
  const sections = splitSections(output);
  const links = json<IpLink[]>(sections.get('link')) ?? [];
  const addrs = json<IpAddr[]>(sections.get('addr')) ?? [];
  const routes4 = json<IpRoute[]>(sections.get('route4')) ?? [];
  const routes6 = json<IpRoute[]>(sections.get('route6')) ?? [];
  const routeGet = json<IpRoute[]>(sections.get('routeget')) ?? [];
  const sys = new Map<string, { device: string | null; speed: number | null; carrier: boolean | null; wireless: boolean }>();
  for (const line of (sections.get('sys') ?? '').split('\n')) {
    const [name, device, speed, carrier, wireless] = line.split('\t');
    if (!name) continue;
    const speedNumber = Number(speed);
    sys.set(name, {
      device: device || null,
      // Drivers without a speed print -1 or 4294967295 (unknown).
      speed: speed && Number.isFinite(speedNumber) && speedNumber > 0 && speedNumber < 4294967295 ? speedNumber : null,
      carrier: carrier === '1' ? true : carrier === '0' ? false : null,
      wireless: wireless === '1',
    });
  }
  const addrByName = new Map(addrs.map((a) => [a.ifname, a.addr_info ?? []]));
  // ip -j shows a VLAN's parent as `link` ("eth0") or, across namespaces, null: keep names only.
  const names = links.length > 0 ? links.map((l) => l.ifname) : [...sys.keys()];
  const linkByName = new Map(links.map((l) => [l.ifname, l]));
  const interfaces: HostInterfaceFacts[] = names.map((name) => {
    const link = linkByName.get(name);
    const facts = sys.get(name) ?? { device: null, speed: null, carrier: null, wireless: false };
    const addresses: HostInterfaceAddress[] = (addrByName.get(name) ?? [])
      .filter((a) => (a.family === 'inet' || a.family === 'inet6') && a.local)
      .map((a) => ({
        family: a.family === 'inet6' ? 'ipv6' : 'ipv4',
        address: a.local ?? '',
        prefix: a.prefixlen ?? 0,
        scope: a.scope ?? 'global',
      }));
    const kind = kindOf(link, facts);
    const parent = link?.link && link.link !== name ? link.link : null;
    return {
      name,
      kind,
      driverKind: link?.linkinfo?.info_kind ?? null,
      mac: link?.address && link.link_type !== 'loopback' ? link.address : null,
      mtu: link?.mtu ?? null,
      state: (link?.operstate ?? 'unknown').toLowerCase(),
      adminUp: (link?.flags ?? []).includes('UP'),
      carrier: facts.carrier,
      speed: facts.speed,
      addresses,
      master: link?.master ?? null,
      members: [],
      parent: kind === 'vlan' || kind === 'macvlan' || kind === 'macvtap' ? parent : null,
      vlanId: kind === 'vlan' ? (link?.linkinfo?.info_data?.id ?? null) : null,
      device: pciAddressInPath(facts.device) ?? (facts.device && /\/usb\d+\//.test(facts.device) ? facts.device.split('/').slice(-2, -1)[0] ?? null : null),
      carriesDefaultRoute: false,
      carriesSsh: false,
      sysfsDevice: facts.device,
    };
  });
  for (const iface of interfaces) {
    if (iface.master) interfaces.find((i) => i.name === iface.master)?.members.push(iface.name);
  }

  const defaultRoutes: HostInterfacesReport['defaultRoutes'] = [];
  for (const [family, routes] of [['ipv4', routes4], ['ipv6', routes6]] as const) {
    for (const route of routes) {
      if (route.dst !== 'default' || (route.type && route.type !== 'unicast')) continue;
      if (route.dev) defaultRoutes.push({ family, gateway: route.gateway ?? null, dev: route.dev });
      for (const hop of route.nexthops ?? []) if (hop.dev) defaultRoutes.push({ family, gateway: hop.gateway ?? null, dev: hop.dev });
    }
  }
  const defaultCarriers = lowerClosure(
    defaultRoutes.map((r) => r.dev),
    interfaces,
  );

  let sshConnection: HostInterfacesReport['sshConnection'] = null;
  const ssh = (sections.get('ssh') ?? '').trim().split(/\s+/);
  if (ssh.length >= 4 && ssh[0] && ssh[2]) {
    const clientIp = ssh[0];
    const serverIp = ssh[2];
    const holder = interfaces.find((i) => i.addresses.some((a) => sameAddress(a.address, serverIp)));
    const routeDev = routeGet[0]?.dev ?? null;
    const start = new Set<string>();
    if (holder) start.add(holder.name);
    // The way back to the client ("local … dev lo" when the client is this very host).
    if (routeDev && !(routeGet[0]?.type === 'local' && routeDev === 'lo')) start.add(routeDev);
    const carriers = lowerClosure(start, interfaces);
    sshConnection = { clientIp, serverIp, routeDev, carriers: [...carriers].sort() };
  }
  const sshCarriers = new Set(sshConnection?.carriers ?? []);
  for (const iface of interfaces) {
    iface.carriesDefaultRoute = defaultCarriers.has(iface.name);
    iface.carriesSsh = sshCarriers.has(iface.name);
  }
  const evidence = ['link', 'addr', 'route4', 'route6', 'routeget', 'sys', 'ssh']
    .map((id) => `# ${id}\n${(sections.get(id) ?? '').trim()}`)
    .join('\n');
  return {
    interfaces,
    report: {
      interfaces: interfaces.map(({ sysfsDevice: _drop, ...shown }) => shown),
      defaultRoutes,
      sshConnection,
      evidence,
    },
  };
}

/** IPv4-mapped IPv6 (::ffff:192.0.2.2, as sshd may print it) equals its IPv4 address. */
function sameAddress(a: string, b: string): boolean {
  const plain = (value: string) => value.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1').replace(/%.*$/, '');
  return plain(a) === plain(b);
}
