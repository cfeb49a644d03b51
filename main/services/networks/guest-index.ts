/**
 * Which guest uses what, per host: every guest's NICs (network, port group, bridge, VLAN) and host
 * devices (PCI, USB, mediated), read ONCE from the guests' XML (live for running guests, the persistent
 * definition otherwise) and kept fresh by libvirt's domain events: a lifecycle or device event re-reads
 * that one guest; a reconnect re-reads them all. The networks list and the host-device list both read
 * it instead of asking libvirt per row.
 */
import type { Element } from '@xmldom/xmldom';
import type { NetworkVlan } from '../../../preload/api-contract';
import type { LibvirtClient, Subscription } from '../../libvirt/client';
import { virConnectListAllDomainsFlags as ListFlags } from '../../libvirt/protocol';
import { attr, child, children, parseXmlDocument, text } from '../domains/domain-xml-parse';
import { parseVlan } from './network-xml';

export interface GuestNic {
  type: string;
  network: string | null;
  portgroup: string | null;
  bridge: string | null;
  /** type='direct': the host interface; type='hostdev': null. */
  dev: string | null;
  mac: string | null;
  model: string | null;
  vlan: NetworkVlan | null;
}

export type GuestHostdev =
  | { type: 'pci'; address: string; managed: boolean }
  | { type: 'usb'; vendor: string | null; product: string | null; bus: number | null; device: number | null }
  | { type: 'mdev'; uuid: string };

export interface GuestEntry {
  uuid: string;
  name: string;
  running: boolean;
  nics: GuestNic[];
  hostdevs: GuestHostdev[];
}

const hex = (value: string | null, width: number): string | null => {
  if (value === null) return null;
  const n = value.startsWith('0x') ? parseInt(value.slice(2), 16) : parseInt(value, 10);
  return Number.isFinite(n) ? n.toString(16).padStart(width, '0') : null;
};

/** `<address domain bus slot function>` → 0000:03:00.0 */
export function pciAddressOf(address: Element | null): string | null {
  if (!address) return null;
  const domain = hex(attr(address, 'domain') ?? '0', 4);
  const bus = hex(attr(address, 'bus'), 2);
  const slot = hex(attr(address, 'slot'), 2);
  const fn = hex(attr(address, 'function') ?? '0', 1);
  if (domain === null || bus === null || slot === null || fn === null) return null;
  return `${domain}:${bus}:${slot}.${fn}`;
}

function parseHostdev(hostdev: Element): GuestHostdev | null {
  if (attr(hostdev, 'mode') !== 'subsystem') return null;
  const source = child(hostdev, 'source');
  switch (attr(hostdev, 'type')) {
    case 'pci': {
      const address = pciAddressOf(child(source, 'address'));
      return address ? { type: 'pci', address, managed: attr(hostdev, 'managed') === 'yes' } : null;
    }
    case 'usb': {
      const address = child(source, 'address');
      const num = (value: string | null) => (value === null ? null : Number(value.startsWith('0x') ? parseInt(value, 16) : value));
      return {
        type: 'usb',
        vendor: hex(attr(child(source, 'vendor'), 'id'), 4),
        product: hex(attr(child(source, 'product'), 'id'), 4),
        bus: num(attr(address, 'bus')),
        device: num(attr(address, 'device')),
      };
    }
    case 'mdev': {
      const uuid = attr(child(source, 'address'), 'uuid');
      return uuid ? { type: 'mdev', uuid: uuid.toLowerCase() } : null;
    }
    default:
      return null;
  }
}

/** A guest's NICs and host devices from its domain XML. */
export function parseGuestDevices(xml: string): { nics: GuestNic[]; hostdevs: GuestHostdev[] } {
  const domain = parseXmlDocument(xml, 'The domain XML');
  const devices = child(domain, 'devices');
  if (!devices) return { nics: [], hostdevs: [] };
  const nics = children(devices, 'interface').map((nic): GuestNic => {
    const source = child(nic, 'source');
    return {
      type: attr(nic, 'type') ?? 'unknown',
      network: attr(source, 'network'),
      portgroup: attr(source, 'portgroup'),
      bridge: attr(source, 'bridge'),
      dev: attr(source, 'dev'),
      mac: attr(child(nic, 'mac'), 'address')?.toLowerCase() ?? null,
      model: attr(child(nic, 'model'), 'type'),
      vlan: parseVlan(child(nic, 'vlan')),
    };
  });
  const hostdevs = [
    ...children(devices, 'hostdev').map(parseHostdev),
    // <interface type='hostdev'> is an SR-IOV VF given to the guest as a NIC.
    ...children(devices, 'interface')
      .filter((nic) => attr(nic, 'type') === 'hostdev')
      .map((nic): GuestHostdev | null => {
        const address = pciAddressOf(child(child(nic, 'source'), 'address'));
        return address ? { type: 'pci', address, managed: attr(nic, 'managed') === 'yes' } : null;
      }),
  ].filter((dev): dev is GuestHostdev => dev !== null);
  return { nics, hostdevs };
}

const RUNNING_STATES = new Set([1, 2, 3, 7]); // running, blocked, paused, pmsuspended

export class GuestIndex {
  private entries = new Map<string, GuestEntry>();
  private loading: Promise<void> | null = null;
  private readonly subscriptions: Subscription[] = [];
  private subscribed = false;
  private disposed = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly libvirt: LibvirtClient) {
    libvirt.on('state', this.onState);
  }

  private readonly onState = (change: { state: string; reconnected?: boolean }) => {
    if (change.state === 'closed') this.dispose();
    // Events during the gap are lost: read everything again.
    if (change.state === 'connected' && change.reconnected) void this.reload();
  };

  /** Called after every change of the index. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // a listener's failure is its own
      }
    }
  }

  /** Every guest, loaded on first use. */
  async guests(): Promise<GuestEntry[]> {
    if (this.entries.size === 0 && !this.loading) await this.reload();
    else if (this.loading) await this.loading;
    return [...this.entries.values()];
  }

  /** Reads every guest again (first use, reconnect, or the user's refresh). */
  reload(): Promise<void> {
    this.loading ??= this.loadAll().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async loadAll(): Promise<void> {
    await this.subscribe();
    const [domains, active] = await Promise.all([
      this.libvirt.domain.list(),
      this.libvirt.domain.list(ListFlags.VIR_CONNECT_LIST_DOMAINS_ACTIVE),
    ]);
    const running = new Set(active.map((domain) => domain.uuid));
    const next = new Map<string, GuestEntry>();
    await Promise.all(
      domains.map(async (domain) => {
        const entry = await this.read(domain.uuid, running.has(domain.uuid));
        if (entry) next.set(entry.uuid, entry);
      }),
    );
    this.entries = next;
    this.changed();
  }

  /** One guest's entry; `running` when the caller knows it already (a listing), else one more call. */
  private async read(uuid: string, running?: boolean): Promise<GuestEntry | null> {
    try {
      const ref = { uuid };
      const [isRunning, xml] = await Promise.all([
        running ?? this.libvirt.domain.getState(ref).then((state) => RUNNING_STATES.has(state.state)),
        this.libvirt.domain.getXml(ref),
      ]);
      const devices = parseGuestDevices(xml);
      const name = text(child(parseXmlDocument(xml, 'The domain XML'), 'name')) ?? uuid;
      return { uuid, name, running: isRunning, ...devices };
    } catch {
      return null; // undefined meanwhile
    }
  }

  /** Re-reads one guest (after an event, or an action of ours). */
  async refresh(uuid: string): Promise<void> {
    const entry = await this.read(uuid);
    if (entry) this.entries.set(uuid, entry);
    else this.entries.delete(uuid);
    this.changed();
  }

  private async subscribe(): Promise<void> {
    if (this.subscribed || this.disposed) return;
    this.subscribed = true;
    const refresh = (event: { domain: { uuid: string } }) => void this.refresh(event.domain.uuid);
    const subs = await Promise.allSettled([
      this.libvirt.onDomainEvent('lifecycle', refresh),
      this.libvirt.onDomainEvent('device-added', refresh),
      this.libvirt.onDomainEvent('device-removed', refresh),
    ]);
    for (const sub of subs) if (sub.status === 'fulfilled') this.subscriptions.push(sub.value);
    if (this.disposed) this.dispose();
  }

  dispose(): void {
    this.disposed = true;
    this.libvirt.off('state', this.onState);
    for (const sub of this.subscriptions.splice(0)) void sub.unsubscribe().catch(() => undefined);
    this.listeners.clear();
  }
}

const indexes = new WeakMap<LibvirtClient, GuestIndex>();

/** The one index per libvirt connection. */
export function guestIndexFor(libvirt: LibvirtClient): GuestIndex {
  let index = indexes.get(libvirt);
  if (!index) {
    index = new GuestIndex(libvirt);
    indexes.set(libvirt, index);
  }
  return index;
}
