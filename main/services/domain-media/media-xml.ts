/**
 * CD-ROM and floppy drives in a domain XML: what is in them, the <disk> element libvirt's update-device
 * takes to eject or change their media, and "eject install media" (every CD-ROM emptied and out of the
 * boot order; the <os><boot> part goes through the tuning boot form, the same edit the Tuning tab makes).
 */
import { XMLSerializer, type Element } from '@xmldom/xmldom';
import type { MediaDrive, MediaInsert, MediaSource } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import { applyTuningChange } from '../domain-tuning/transform';
import { readBoot } from '../domain-tuning/forms/boot';
import {
  attribute,
  elements,
  first,
  insertChild,
  parseXml,
  removeElement,
  serializeXml,
  setAttribute,
  type XmlDoc,
} from '../domain-tuning/xml-edit';

const REMOVABLE = ['cdrom', 'floppy'];

function drives(doc: XmlDoc): Element[] {
  return elements(first(doc.root, 'devices'), 'disk').filter((disk) => REMOVABLE.includes(attribute(disk, 'device') ?? 'disk'));
}

function driveByTarget(doc: XmlDoc, target: string): Element {
  const drive = drives(doc).find((disk) => attribute(first(disk, 'target'), 'dev') === target);
  if (!drive) throw new ApiFailure('invalid-request', `The guest has no CD-ROM or floppy drive ${target}`, { field: 'target' });
  return drive;
}

export function sourceOf(disk: Element): MediaSource | null {
  const source = first(disk, 'source');
  if (!source) return null;
  const type = attribute(disk, 'type') ?? 'file';
  const file = attribute(source, 'file');
  const dev = attribute(source, 'dev');
  const pool = attribute(source, 'pool');
  const volume = attribute(source, 'volume');
  if (type === 'file' && file) return { type: 'file', path: file };
  if (type === 'block' && dev) return { type: 'block', path: dev };
  if (type === 'volume' && pool && volume) return { type: 'volume', pool, volume };
  if (type === 'network') return { type: 'network', protocol: attribute(source, 'protocol') ?? '?', name: attribute(source, 'name') ?? '' };
  return null;
}

const BOOT_DEV: Record<string, string> = { cdrom: 'cdrom', floppy: 'fd' };

/** The drives of a definition (persistent) merged with what the running guest has (live), by target. */
export function readDrives(persistentXml: string | null, liveXml: string | null): MediaDrive[] {
  const persistent = persistentXml ? parseXml(persistentXml) : null;
  const live = liveXml ? parseXml(liveXml) : null;
  const order = persistent ? readBoot(persistent).order : [];
  const byTarget = new Map<string, MediaDrive>();
  for (const disk of persistent ? drives(persistent) : []) {
    const target = attribute(first(disk, 'target'), 'dev');
    if (!target) continue;
    const device = attribute(disk, 'device') as 'cdrom' | 'floppy';
    byTarget.set(target, {
      target,
      device,
      bus: attribute(first(disk, 'target'), 'bus'),
      persistent: sourceOf(disk),
      tray: null,
      boots: first(disk, 'boot') !== null || order.includes(BOOT_DEV[device] as never),
    });
  }
  for (const disk of live ? drives(live) : []) {
    const target = attribute(first(disk, 'target'), 'dev');
    if (!target) continue;
    const device = attribute(disk, 'device') as 'cdrom' | 'floppy';
    const known = byTarget.get(target);
    const entry: MediaDrive = known ?? { target, device, bus: attribute(first(disk, 'target'), 'bus'), tray: null, boots: first(disk, 'boot') !== null };
    entry.live = sourceOf(disk);
    entry.tray = attribute(first(disk, 'target'), 'tray') === 'open' ? 'open' : 'closed';
    byTarget.set(target, entry);
  }
  return [...byTarget.values()];
}

/** Sets (or, for null, removes) a drive's media in `doc`, keeping everything else of the <disk>. */
function setMedia(doc: XmlDoc, drive: Element, media: MediaInsert | null): void {
  const old = first(drive, 'source');
  for (const backing of elements(drive, 'backingStore')) removeElement(backing);
  if (media === null) {
    if (old) removeElement(old);
    return;
  }
  const source = doc.document.createElement('source');
  const startupPolicy = attribute(old, 'startupPolicy');
  if (media.type === 'file') {
    if (!media.path.startsWith('/')) throw new ApiFailure('invalid-request', `"${media.path}" is not an absolute path on the host`, { field: 'source' });
    setAttribute(drive, 'type', 'file');
    setAttribute(source, 'file', media.path);
  } else {
    setAttribute(drive, 'type', 'volume');
    setAttribute(source, 'pool', media.pool);
    setAttribute(source, 'volume', media.volume);
  }
  if (startupPolicy) setAttribute(source, 'startupPolicy', startupPolicy);
  if (old) {
    drive.insertBefore(source, old);
    drive.removeChild(old);
  } else {
    insertChild(drive, source, { after: ['driver'], before: ['target'] });
  }
}

/** The document with the drive's media changed (for the diff and for defining). */
export function withMedia(xml: string, target: string, media: MediaInsert | null): string {
  const doc = parseXml(xml);
  setMedia(doc, driveByTarget(doc, target), media);
  return serializeXml(doc);
}

/** The drive's <disk> element alone, in libvirt's style (what virDomainUpdateDeviceFlags takes). */
export function driveElement(xml: string, target: string): string {
  const doc = parseXml(xml);
  const text = new XMLSerializer().serializeToString(driveByTarget(doc, target));
  const single = parseXml(text, 'The drive XML');
  return serializeXml({ ...single, trailing: '\n' });
}

/** The persistent definition after "eject install media": CD-ROMs empty and out of the boot order. */
export function ejectInstallMedia(xml: string): string {
  const doc = parseXml(xml);
  for (const drive of drives(doc).filter((d) => attribute(d, 'device') === 'cdrom')) {
    setMedia(doc, drive, null);
    for (const boot of elements(drive, 'boot')) removeElement(boot);
  }
  const edited = serializeXml(doc);
  const order = readBoot(parseXml(edited)).order;
  if (!order.includes('cdrom')) return edited;
  const rest = order.filter((dev) => dev !== 'cdrom');
  return applyTuningChange(edited, { form: 'boot', order: rest.length > 0 ? rest : ['hd'] });
}

/** Whether "eject install media" has anything to do. */
export function hasInstallMedia(xml: string): boolean {
  return ejectInstallMedia(xml) !== xml;
}

/** Targets of the CD-ROM drives that have media. */
export function loadedCdroms(xml: string): string[] {
  const doc = parseXml(xml);
  return drives(doc)
    .filter((d) => attribute(d, 'device') === 'cdrom' && first(d, 'source') !== null)
    .map((d) => attribute(first(d, 'target'), 'dev') ?? '')
    .filter((t) => t !== '');
}
