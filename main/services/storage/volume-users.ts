/**
 * Which guests use which storage: every disk source (file, block device, pool/volume) and every layer
 * of its backing chain, from each domain's XML (the persistent definition, plus the live one of a
 * running guest). Read once per host, then kept fresh: a domain event marks that domain stale, and the
 * next question re-reads only stale domains (plus one listing call to see new and removed ones).
 */
import type { Element } from '@xmldom/xmldom';
import type { VolumeUser } from '../../../preload/api-contract';
import type { LibvirtClient, Subscription } from '../../libvirt/client';
import { virDomainXMLFlags } from '../../libvirt/protocol';
import { attr, child, children, parseXmlDocument } from '../domains/domain-xml-parse';

/** What one domain's disks point at: file/block paths and "pool\0volume" pairs. */
export interface DiskReferences {
  paths: string[];
  volumes: Array<{ pool: string; volume: string }>;
}

function collectSource(disk: Element, into: DiskReferences): void {
  const source = child(disk, 'source');
  if (source) {
    const path = attr(source, 'file') ?? attr(source, 'dev');
    if (path) into.paths.push(path);
    const pool = attr(source, 'pool');
    const volume = attr(source, 'volume');
    if (pool && volume) into.volumes.push({ pool, volume });
  }
  const backing = child(disk, 'backingStore');
  if (backing) collectSource(backing, into);
}

/** The storage a domain XML refers to (disks and their backing chains; not <filesystem>). */
export function diskReferences(xml: string): DiskReferences {
  const refs: DiskReferences = { paths: [], volumes: [] };
  const devices = child(parseXmlDocument(xml, 'The domain XML'), 'devices');
  for (const disk of devices ? children(devices, 'disk') : []) collectSource(disk, refs);
  return refs;
}

interface DomainEntry {
  user: VolumeUser;
  refs: DiskReferences;
  stale: boolean;
}

export class VolumeUsersIndex {
  private readonly domains = new Map<string, DomainEntry>();
  private loaded = false;
  private subscription: Subscription | null = null;
  private subscribing: Promise<void> | null = null;
  private refreshing: Promise<void> | null = null;
  private allStale = false;

  constructor(private readonly libvirt: LibvirtClient) {}

  /** Stops listening for events. */
  dispose(): void {
    void this.subscription?.unsubscribe().catch(() => undefined);
    this.subscription = null;
  }

  private subscribe(): Promise<void> {
    this.subscribing ??= (async () => {
      const markStale = (event: { domain: { uuid: string } }) => {
        const entry = this.domains.get(event.domain.uuid);
        if (entry) entry.stale = true;
        else this.allStale = true;
      };
      try {
        this.subscription = await this.libvirt.onDomainEvent('lifecycle', markStale);
        for (const name of ['device-added', 'device-removed', 'disk-change'] as const) {
          await this.libvirt.onDomainEvent(name, markStale).catch(() => undefined);
        }
      } catch {
        // No events: every question re-reads everything.
        this.subscription = null;
      }
    })();
    return this.subscribing;
  }

  /** Brings the index up to date: one listing, then only domains that are new or changed. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    await this.subscribe();
    const everything = !this.loaded || this.subscription === null || this.allStale;
    this.allStale = false;
    const domains = await this.libvirt.domain.list();
    const seen = new Set<string>();
    const toRead = domains.filter((domain) => {
      seen.add(domain.uuid);
      const entry = this.domains.get(domain.uuid);
      return everything || !entry || entry.stale || entry.user.name !== domain.name;
    });
    for (const uuid of [...this.domains.keys()]) if (!seen.has(uuid)) this.domains.delete(uuid);
    await Promise.all(
      toRead.map(async (domain) => {
        const refs: DiskReferences = { paths: [], volumes: [] };
        const add = (xml: string) => {
          const found = diskReferences(xml);
          refs.paths.push(...found.paths);
          refs.volumes.push(...found.volumes);
        };
        try {
          add(await this.libvirt.domain.getXml(domain, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE));
          const state = await this.libvirt.domain.getState(domain);
          if (state.state === 1 || state.state === 2 || state.state === 3) add(await this.libvirt.domain.getXml(domain, 0));
        } catch {
          // Undefined meanwhile: dropped at the next listing.
          return;
        }
        this.domains.set(domain.uuid, { user: { uuid: domain.uuid, name: domain.name }, refs, stale: false });
      }),
    );
    this.loaded = true;
  }

  /** Guests using the volume `volume` of `pool` at `path` (sorted by name, each once). */
  usersOf(pool: string, volume: string, path: string | null): VolumeUser[] {
    const users = new Map<string, VolumeUser>();
    for (const entry of this.domains.values()) {
      const uses =
        (path !== null && entry.refs.paths.includes(path)) ||
        entry.refs.volumes.some((ref) => ref.pool === pool && ref.volume === volume);
      if (uses) users.set(entry.user.uuid, entry.user);
    }
    return [...users.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** For a listing: users by volume name, only for used volumes. Paths are the volumes' keys. */
  usersByVolume(pool: string, volumes: ReadonlyArray<{ name: string; key: string }>): Record<string, VolumeUser[]> {
    const byPath = new Map<string, Map<string, VolumeUser>>();
    const byVolume = new Map<string, Map<string, VolumeUser>>();
    const add = (map: Map<string, Map<string, VolumeUser>>, key: string, user: VolumeUser) => {
      let set = map.get(key);
      if (!set) map.set(key, (set = new Map()));
      set.set(user.uuid, user);
    };
    for (const entry of this.domains.values()) {
      for (const path of entry.refs.paths) add(byPath, path, entry.user);
      for (const ref of entry.refs.volumes) if (ref.pool === pool) add(byVolume, ref.volume, entry.user);
    }
    const result: Record<string, VolumeUser[]> = {};
    for (const volume of volumes) {
      const users = new Map([...(byPath.get(volume.key) ?? new Map<string, VolumeUser>()), ...(byVolume.get(volume.name) ?? new Map<string, VolumeUser>())]);
      if (users.size > 0) result[volume.name] = [...users.values()].sort((a, b) => a.name.localeCompare(b.name));
    }
    return result;
  }
}
