/**
 * Operating systems for the wizard: the host's own osinfo-db (the XML files of libosinfo's database,
 * read over the host's SFTP channel) when it has one, else a small built-in list. Each OS's facts the
 * defaults need — virtio support, UEFI, recommended resources, ISO volume-id patterns — follow osinfo's
 * inheritance (derives-from / clones), as libosinfo resolves them.
 */
import type { Element } from '@xmldom/xmldom';
import type { NewVmOs } from '../../../preload/api-contract';
import { attr, child, children, parseXmlDocument, text } from '../domains/domain-xml-parse';

/** osinfo device ids the defaults look at (PCI vendor/device ids as osinfo-db writes them). */
export const OSINFO_DEVICES = {
  virtioBlock: ['http://pcisig.com/pci/1af4/1001', 'http://pcisig.com/pci/1af4/1042'],
  virtioNet: ['http://pcisig.com/pci/1af4/1000', 'http://pcisig.com/pci/1af4/1041'],
  virtioBalloon: ['http://pcisig.com/pci/1af4/1002', 'http://pcisig.com/pci/1af4/1045'],
  virtioRng: ['http://pcisig.com/pci/1af4/1005', 'http://pcisig.com/pci/1af4/1044'],
  virtioConsole: ['http://pcisig.com/pci/1af4/1003', 'http://pcisig.com/pci/1af4/1043'],
  virtioGpu: ['http://pcisig.com/pci/1af4/1050'],
  qxl: ['http://pcisig.com/pci/1b36/0100'],
  e1000e: ['http://pcisig.com/pci/8086/10d3'],
  q35: ['http://qemu.org/chipset/x86/q35'],
} as const;

export interface OsResources {
  ramBytes: number | null;
  nCpus: number | null;
  storageBytes: number | null;
}

export interface OsMedia {
  arch: string;
  volumeId: string | null;
  systemId: string | null;
  publisherId: string | null;
  applicationId: string | null;
}

/** One OS as its file states it (before inheritance). */
export interface OsRecord {
  id: string;
  shortId: string | null;
  name: string;
  family: string | null;
  distro: string | null;
  vendor: string | null;
  releaseDate: string | null;
  eolDate: string | null;
  /** derives-from and clones: where unstated facts come from. */
  parents: string[];
  /** Device id → supported (false: explicitly not, overriding a parent). */
  devices: Array<[string, boolean]>;
  minimum: OsResources | null;
  recommended: OsResources | null;
  /** x86_64 (or all-arch) firmware support: true / false / unstated (null). */
  efi: boolean | null;
  bios: boolean | null;
  media: OsMedia[];
}

/** An OS with its inherited facts resolved. */
export interface ResolvedOs extends OsRecord {
  supports(deviceIds: readonly string[]): boolean;
}

const num = (value: string | null): number | null => (value !== null && /^\d+$/.test(value) ? Number(value) : null);

function plainText(parent: Element, name: string): string | null {
  // The untranslated element (no xml:lang).
  const found = children(parent, name).find((e) => !e.hasAttribute('xml:lang'));
  return text(found ?? null);
}

function resourcesOf(os: Element, kind: 'minimum' | 'recommended'): OsResources | null {
  const blocks = children(os, 'resources').filter((r) => ['x86_64', 'all', null].includes(attr(r, 'arch')));
  // An arch-specific block wins over 'all'.
  blocks.sort((a, b) => (attr(a, 'arch') === 'x86_64' ? -1 : 0) - (attr(b, 'arch') === 'x86_64' ? -1 : 0));
  for (const block of blocks) {
    const entry = child(block, kind);
    if (!entry) continue;
    return {
      ramBytes: num(text(child(entry, 'ram'))),
      nCpus: num(text(child(entry, 'n-cpus'))),
      storageBytes: num(text(child(entry, 'storage'))),
    };
  }
  return null;
}

function devicesOf(os: Element): Element[] {
  const holder = child(os, 'devices');
  return holder ? children(holder, 'device') : [];
}

/** Parses one osinfo-db file (a <libosinfo> document with one or more <os>). */
export function parseOsinfoXml(xml: string): OsRecord[] {
  const root = parseXmlDocument(xml, 'An osinfo-db file');
  return children(root, 'os').flatMap((os): OsRecord[] => {
    const id = attr(os, 'id');
    if (!id) return [];
    const firmware = (type: string): boolean | null => {
      const entries = children(os, 'firmware').filter((f) => attr(f, 'type') === type && ['x86_64', 'all', null].includes(attr(f, 'arch')));
      if (entries.length === 0) return null;
      return entries.some((f) => attr(f, 'supported') !== 'false');
    };
    return [
      {
        id,
        shortId: text(children(os, 'short-id')[0] ?? null),
        name: plainText(os, 'name') ?? id,
        family: text(child(os, 'family')),
        distro: text(child(os, 'distro')),
        vendor: plainText(os, 'vendor'),
        releaseDate: text(child(os, 'release-date')),
        eolDate: text(child(os, 'eol-date')),
        parents: [...children(os, 'derives-from'), ...children(os, 'clones')].map((e) => attr(e, 'id') ?? '').filter(Boolean),
        devices: devicesOf(os)
          .map((d): [string, boolean] => [attr(d, 'id') ?? '', attr(d, 'supported') !== 'false'])
          .filter(([deviceId]) => deviceId !== ''),
        minimum: resourcesOf(os, 'minimum'),
        recommended: resourcesOf(os, 'recommended'),
        efi: firmware('efi'),
        bios: firmware('bios'),
        media: children(os, 'media').flatMap((media): OsMedia[] => {
          const iso = child(media, 'iso');
          if (!iso) return [];
          return [
            {
              arch: attr(media, 'arch') ?? 'all',
              volumeId: text(child(iso, 'volume-id')),
              systemId: text(child(iso, 'system-id')),
              publisherId: text(child(iso, 'publisher-id')),
              applicationId: text(child(iso, 'application-id')),
            },
          ];
        }),
      },
    ];
  });
}

/** The ISO 9660 identifiers the media patterns are matched against (primary volume descriptor). */
export interface IsoIdentifiers {
  volumeId: string;
  systemId: string;
  publisherId: string;
  applicationId: string;
}

/** A pattern as libosinfo matches it: an unanchored regular expression (GLib regex ≈ PCRE). */
function patternMatches(pattern: string | null, value: string): boolean {
  if (pattern === null) return true;
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return false; // a PCRE-only construct JavaScript cannot compile: no match rather than a wrong one
  }
}

const DAY_MS = 86_400_000;

export class OsCatalog {
  private readonly byId = new Map<string, OsRecord>();
  private readonly resolved = new Map<string, ResolvedOs>();

  constructor(records: readonly OsRecord[]) {
    for (const record of records) this.byId.set(record.id, record);
  }

  get size(): number {
    return this.byId.size;
  }

  /** The OSes for the picker: current ones first (newest release first), then the ones past end of life. */
  list(now = Date.now()): NewVmOs[] {
    const entries = [...this.byId.values()].map((os) => this.summary(os, now));
    return entries.sort(
      (a, b) => Number(a.eol) - Number(b.eol) || (b.releaseDate ?? '').localeCompare(a.releaseDate ?? '') || a.name.localeCompare(b.name),
    );
  }

  summary(os: OsRecord, now = Date.now()): NewVmOs {
    const eolAt = os.eolDate ? Date.parse(os.eolDate) : NaN;
    return {
      id: os.id,
      shortId: os.shortId,
      name: os.name,
      family: os.family ?? this.get(os.id)?.family ?? null,
      vendor: os.vendor,
      releaseDate: os.releaseDate,
      eol: Number.isFinite(eolAt) && eolAt + DAY_MS < now,
    };
  }

  /** The OS with every unstated fact taken from its parents (nearest first). */
  get(id: string): ResolvedOs | null {
    const cached = this.resolved.get(id);
    if (cached) return cached;
    const own = this.byId.get(id);
    if (!own) return null;
    // Breadth-first over parents; the first one that states a fact decides it.
    const chain: OsRecord[] = [];
    const seen = new Set<string>();
    const queue = [own];
    while (queue.length > 0) {
      const os = queue.shift() as OsRecord;
      if (seen.has(os.id)) continue;
      seen.add(os.id);
      chain.push(os);
      for (const parent of os.parents) {
        const record = this.byId.get(parent);
        if (record) queue.push(record);
      }
    }
    const devices = new Map<string, boolean>();
    for (const os of chain) for (const [device, supported] of os.devices) if (!devices.has(device)) devices.set(device, supported);
    const firstOf = <K extends keyof OsRecord>(key: K): OsRecord[K] => {
      for (const os of chain) if (os[key] !== null) return os[key];
      return own[key];
    };
    const resolved: ResolvedOs = {
      ...own,
      family: firstOf('family'),
      distro: firstOf('distro'),
      minimum: firstOf('minimum'),
      recommended: firstOf('recommended'),
      efi: firstOf('efi'),
      bios: firstOf('bios'),
      devices: [...devices],
      supports: (ids) => ids.some((device) => devices.get(device) === true),
    };
    this.resolved.set(id, resolved);
    return resolved;
  }

  /** The OSes whose x86_64 (or any-arch) install media match an ISO's identifiers, as libosinfo matches them. */
  matchIso(iso: IsoIdentifiers, arch = 'x86_64'): NewVmOs[] {
    const found: NewVmOs[] = [];
    for (const os of this.byId.values()) {
      const hit = os.media.some(
        (media) =>
          (media.arch === arch || media.arch === 'all') &&
          media.volumeId !== null &&
          patternMatches(media.volumeId, iso.volumeId) &&
          patternMatches(media.systemId, iso.systemId) &&
          patternMatches(media.publisherId, iso.publisherId) &&
          patternMatches(media.applicationId, iso.applicationId),
      );
      if (hit) found.push(this.summary(os));
    }
    return found.sort((a, b) => (b.releaseDate ?? '').localeCompare(a.releaseDate ?? ''));
  }
}
