/**
 * Virtual networks of one host, over its libvirt connection: list (state, autostart, forward mode,
 * bridge, addresses, leases, guests), create from a draft (shown as XML first, defined with VALIDATE,
 * rolled back when a later step fails), start, stop, autostart, delete (guarded while running guests use
 * the network) and live changes (virNetworkUpdate).
 */
import type {
  HostInterfacesReport,
  NetworkDetails,
  NetworkDraft,
  NetworkGuestNic,
  NetworkLiveChange,
  NetworkLiveChangePreview,
  NetworkSummary,
  NetworkVlan,
} from '../../../preload/api-contract';
import type { LibvirtClient, Subscription } from '../../libvirt/client';
import { shellQuote } from '../../ssh';
import {
  virConnectListAllNetworksFlags as ListFlags,
  virNetworkDefineFlags,
  virNetworkUpdateFlags,
  virNetworkXMLFlags,
} from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { guestIndexFor, type GuestEntry } from './guest-index';
import { hostInterfacesScript, parseHostInterfaces } from './host-interfaces';
import type { HostShell } from './host-shell';
import { buildNetworkXml } from './network-builder';
import { describeNetworkChange, planNetworkChange } from './network-changes';
import { parseNetworkXml, type ParsedNetwork } from './network-xml';

/** The VLAN that applies to a NIC: its own, else its port group's (or the default group's), else the network's. */
export function effectiveVlan(nic: { vlan: NetworkVlan | null; portgroup: string | null }, network: Pick<ParsedNetwork, 'portGroups' | 'vlan'>): NetworkVlan | null {
  if (nic.vlan) return nic.vlan;
  const group = nic.portgroup
    ? network.portGroups.find((g) => g.name === nic.portgroup)
    : network.portGroups.find((g) => g.isDefault);
  return group?.vlan ?? network.vlan;
}

/** The guests' NICs on a network: `<interface type='network'>` naming it, or (bridge mode) its bridge. */
export function guestsOn(network: ParsedNetwork, guests: readonly GuestEntry[]): NetworkGuestNic[] {
  const out: NetworkGuestNic[] = [];
  for (const guest of guests) {
    for (const nic of guest.nics) {
      const onIt =
        (nic.type === 'network' && nic.network === network.name) ||
        (nic.type === 'bridge' && network.forwardMode === 'bridge' && network.bridge !== null && nic.bridge === network.bridge);
      if (!onIt) continue;
      out.push({
        uuid: guest.uuid,
        name: guest.name,
        running: guest.running,
        mac: nic.mac,
        portgroup: nic.portgroup,
        vlan: nic.vlan,
        effectiveVlan: effectiveVlan(nic, network),
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || (a.mac ?? '').localeCompare(b.mac ?? ''));
}

async function netState(libvirt: LibvirtClient) {
  const [all, active, persistent, autostart] = await Promise.all([
    libvirt.network.list(),
    libvirt.network.list(ListFlags.VIR_CONNECT_LIST_NETWORKS_ACTIVE),
    libvirt.network.list(ListFlags.VIR_CONNECT_LIST_NETWORKS_PERSISTENT),
    libvirt.network.list(ListFlags.VIR_CONNECT_LIST_NETWORKS_AUTOSTART),
  ]);
  const names = (list: Array<{ uuid: string }>) => new Set(list.map((n) => n.uuid));
  return { all, active: names(active), persistent: names(persistent), autostart: names(autostart) };
}

function summary(
  parsed: ParsedNetwork,
  network: { name: string; uuid: string },
  state: { active: boolean; persistent: boolean; autostart: boolean },
  leaseCount: number,
  guests: readonly GuestEntry[],
): NetworkSummary {
  const { dns: _dns, uuid: _uuid, ...shown } = parsed;
  return { ...shown, name: network.name, uuid: network.uuid, ...state, leaseCount, guests: guestsOn(parsed, guests) };
}

export async function listNetworks(libvirt: LibvirtClient): Promise<NetworkSummary[]> {
  const [state, guests] = await Promise.all([netState(libvirt), guestIndexFor(libvirt).guests()]);
  const rows = await Promise.all(
    state.all.map(async (network) => {
      const active = state.active.has(network.uuid);
      const [xml, leases] = await Promise.all([
        libvirt.network.getXml(network),
        active ? libvirt.network.dhcpLeases(network).catch(() => []) : Promise.resolve([]),
      ]);
      return summary(
        parseNetworkXml(xml),
        network,
        { active, persistent: state.persistent.has(network.uuid), autostart: state.autostart.has(network.uuid) },
        leases.length,
        guests,
      );
    }),
  );
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

async function lookup(libvirt: LibvirtClient, name: string) {
  try {
    return await libvirt.network.lookup(name);
  } catch (error) {
    if ((error as { code?: number }).code === 43) throw new ApiFailure('not-found', `There is no network named ${name}`);
    throw error;
  }
}

/**
 * dnsmasq's host files of an active network that dnsmasq cannot read (not readable by others: it runs
 * as nobody). A libvirtd started with umask 077 writes them 0600 and dnsmasq silently ignores them.
 */
export async function unreadableHostFiles(shell: HostShell, name: string): Promise<string[]> {
  const script = `d=/var/lib/libvirt/dnsmasq; for f in "$d"/${shellQuote(name)}.hostsfile "$d"/${shellQuote(name)}.addnhosts; do [ -e "$f" ] && stat -c '%a %n' "$f"; done; true`;
  const output = await shell.run(script, 20_000).catch(() => '');
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[0-7]{3,4} \//.test(line))
    .filter((line) => (parseInt(line.split(' ')[0] ?? '0', 8) & 0o004) === 0)
    .map((line) => `0${line.split(' ')[0]?.slice(-3)} ${line.slice(line.indexOf(' ') + 1)}`);
}

export async function networkDetails(libvirt: LibvirtClient, name: string, shell: HostShell | null = null): Promise<NetworkDetails> {
  const network = await lookup(libvirt, name);
  const [active, persistent, autostart, xml, guests] = await Promise.all([
    libvirt.network.isActive(network),
    libvirt.network.isPersistent(network),
    libvirt.network.getAutostart(network).catch(() => false),
    libvirt.network.getXml(network),
    guestIndexFor(libvirt).guests(),
  ]);
  const leases = active ? await libvirt.network.dhcpLeases(network).catch(() => []) : [];
  const parsed = parseNetworkXml(xml);
  const hasHostEntries = parsed.ips.some((ip) => ip.dhcpHosts.length > 0) || parsed.dns.hosts.length > 0;
  return {
    unreadableHostFiles: shell && active && hasHostEntries ? await unreadableHostFiles(shell, name) : [],
    ...summary(parsed, network, { active, persistent, autostart }, leases.length, guests),
    xml,
    dns: parsed.dns,
    leases: leases
      .map((lease) => ({
        type: lease.type,
        ipaddr: lease.ipaddr,
        prefix: lease.prefix,
        mac: lease.mac,
        hostname: lease.hostname,
        clientid: lease.clientid,
        iaid: lease.iaid,
        expiryTime: lease.expiryTime,
      }))
      .sort((a, b) => a.ipaddr.localeCompare(b.ipaddr)),
  };
}

export function previewNetwork(draft: NetworkDraft): { xml: string } {
  return { xml: buildNetworkXml(draft) };
}

/**
 * Defines the draft's network (VALIDATE), sets autostart and starts it as asked. A name in use is
 * refused (define would silently replace that network). When autostart or start fails the definition is
 * removed again and libvirt's error reported: nothing half-made stays behind.
 */
export async function createNetwork(libvirt: LibvirtClient, draft: NetworkDraft): Promise<NetworkSummary> {
  const xml = buildNetworkXml(draft);
  const name = draft.name.trim();
  const existing = await libvirt.network.lookup(name).catch(() => null);
  if (existing) throw new ApiFailure('conflict', `A network named ${name} exists already`, { field: 'name' });
  const network = await libvirt.network.define(xml, virNetworkDefineFlags.VIR_NETWORK_DEFINE_VALIDATE);
  try {
    if (draft.autostart) await libvirt.network.setAutostart(network, true);
    if (draft.start) await libvirt.network.start(network);
  } catch (error) {
    await libvirt.network.undefine(network).catch(() => undefined);
    throw error;
  }
  return (await listNetworks(libvirt)).find((n) => n.uuid === network.uuid) ?? failGone(name);
}

const failGone = (name: string): never => {
  throw new ApiFailure('not-found', `The network ${name} disappeared right after it was created`);
};

export async function startNetwork(libvirt: LibvirtClient, name: string): Promise<void> {
  await libvirt.network.start(await lookup(libvirt, name));
}

/** Refuses while running guests use the network, unless the caller confirmed exactly those guests. */
async function guardRunningGuests(libvirt: LibvirtClient, name: string, confirmGuests: readonly string[] | undefined, verb: string) {
  const network = await lookup(libvirt, name);
  const parsed = parseNetworkXml(await libvirt.network.getXml(network));
  const running = [...new Set(guestsOn(parsed, await guestIndexFor(libvirt).guests()).filter((g) => g.running).map((g) => g.name))].sort();
  const confirmed = [...new Set(confirmGuests ?? [])].sort();
  if (running.length > 0 && running.join('\n') !== confirmed.join('\n')) {
    throw new ApiFailure(
      'conflict',
      `Running guests use ${name}: ${running.join(', ')}. ${verb} it cuts their network off; confirm with their names to go ahead.`,
    );
  }
  return network;
}

export async function stopNetwork(libvirt: LibvirtClient, name: string, confirmGuests?: readonly string[]): Promise<void> {
  const network = await guardRunningGuests(libvirt, name, confirmGuests, 'Stopping');
  await libvirt.network.destroy(network);
}

export async function setNetworkAutostart(libvirt: LibvirtClient, name: string, autostart: boolean): Promise<void> {
  await libvirt.network.setAutostart(await lookup(libvirt, name), autostart);
}

/** Stops (if active) and undefines (if persistent); if the undefine fails, a stopped network is started again. */
export async function deleteNetwork(libvirt: LibvirtClient, name: string, confirmGuests?: readonly string[]): Promise<void> {
  const network = await guardRunningGuests(libvirt, name, confirmGuests, 'Deleting');
  const [active, persistent] = await Promise.all([libvirt.network.isActive(network), libvirt.network.isPersistent(network)]);
  if (active) await libvirt.network.destroy(network);
  if (!persistent) return;
  try {
    await libvirt.network.undefine(network);
  } catch (error) {
    if (active) await libvirt.network.start(network).catch(() => undefined);
    throw error;
  }
}

async function planChange(libvirt: LibvirtClient, name: string, change: NetworkLiveChange) {
  const network = await lookup(libvirt, name);
  const [active, persistent] = await Promise.all([libvirt.network.isActive(network), libvirt.network.isPersistent(network)]);
  // The definition (what CONFIG changes) is what the plan checks against when there is one.
  const xml = await libvirt.network.getXml(network, persistent ? virNetworkXMLFlags.VIR_NETWORK_XML_INACTIVE : 0);
  const plan = planNetworkChange(change, parseNetworkXml(xml));
  return { network, plan, active, persistent };
}

export async function previewNetworkChange(libvirt: LibvirtClient, name: string, change: NetworkLiveChange): Promise<NetworkLiveChangePreview> {
  const { plan, active, persistent } = await planChange(libvirt, name, change);
  return describeNetworkChange(plan, { active, persistent });
}

/** Applies a change to the running network and its definition at once (virNetworkUpdate LIVE|CONFIG). */
export async function applyNetworkChange(libvirt: LibvirtClient, name: string, change: NetworkLiveChange, shell: HostShell | null = null): Promise<NetworkDetails> {
  const { network, plan, active, persistent } = await planChange(libvirt, name, change);
  const flags =
    (active ? virNetworkUpdateFlags.VIR_NETWORK_UPDATE_AFFECT_LIVE : 0) |
    (persistent ? virNetworkUpdateFlags.VIR_NETWORK_UPDATE_AFFECT_CONFIG : 0);
  await libvirt.network.update(network, plan, flags);
  return networkDetails(libvirt, name, shell);
}

export async function hostInterfaces(shell: HostShell): Promise<HostInterfacesReport> {
  return parseHostInterfaces(await shell.run(hostInterfacesScript())).report;
}

const watches = new WeakMap<LibvirtClient, { listeners: Set<() => void>; subscription: Promise<Subscription | null> }>();

/**
 * Calls `listener` when a network of this connection is defined, started, stopped or undefined, or when
 * a guest's NICs may have changed (the guest index changed). One libvirt subscription per connection.
 */
export function watchNetworks(libvirt: LibvirtClient, listener: () => void): () => void {
  let watch = watches.get(libvirt);
  if (!watch) {
    const listeners = new Set<() => void>();
    const fire = () => {
      for (const l of [...listeners]) l();
    };
    guestIndexFor(libvirt).onChange(fire);
    watch = {
      listeners,
      subscription: libvirt.onNetworkEvent('lifecycle', fire).catch(() => null),
    };
    watches.set(libvirt, watch);
  }
  watch.listeners.add(listener);
  const { listeners } = watch;
  return () => listeners.delete(listener);
}
