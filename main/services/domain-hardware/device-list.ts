/**
 * The guest's devices for the Hardware list: each <devices> child of the persistent definition and of the
 * running guest, matched by what identifies it (a disk's target, a NIC's MAC, a host device's source…),
 * with a read-only summary, whether it is in the definition and/or the running guest, and whether and how
 * it can be removed from the running guest (libvirt 9.0's QEMU driver, qemu_hotplug.c).
 */
import { XMLSerializer, type Element } from '@xmldom/xmldom';
import type { HardwareCategory, HardwareDevice } from '../../../preload/api-contract';
import { maskPasswords } from '../consoles/spice-to-vnc';
import { attribute, elements, first, parseXml, removeElement, serializeXml, textOf } from '../domain-tuning/xml-edit';

const CATEGORY: Record<string, HardwareCategory> = {
  interface: 'nic',
  graphics: 'graphics',
  video: 'video',
  sound: 'sound',
  input: 'input',
  serial: 'serial',
  console: 'console',
  channel: 'channel',
  rng: 'rng',
  watchdog: 'watchdog',
  tpm: 'tpm',
  controller: 'controller',
  filesystem: 'filesystem',
  hostdev: 'hostdev',
};

function categoryOf(element: Element): HardwareCategory {
  if (element.tagName === 'disk') {
    const device = attribute(element, 'device') ?? 'disk';
    return device === 'cdrom' ? 'cdrom' : device === 'floppy' ? 'floppy' : 'disk';
  }
  return CATEGORY[element.tagName] ?? 'other';
}

const compact = (element: Element | null) => (element ? new XMLSerializer().serializeToString(element).replace(/>\s+</g, '><').trim() : '');

/** What identifies a device among its kind (before an ordinal makes equal ones distinct). */
function identity(element: Element): string {
  const target = first(element, 'target');
  switch (element.tagName) {
    case 'disk':
      return `disk:${attribute(target, 'dev') ?? ''}`;
    case 'interface':
      return `interface:${(attribute(first(element, 'mac'), 'address') ?? '').toLowerCase()}`;
    case 'hostdev':
      return `hostdev:${attribute(element, 'type') ?? ''}:${compact(first(element, 'source'))}`;
    case 'controller':
      return `controller:${attribute(element, 'type') ?? ''}:${attribute(element, 'index') ?? ''}`;
    case 'filesystem':
      return `filesystem:${attribute(target, 'dir') ?? ''}`;
    case 'channel':
      return `channel:${attribute(target, 'name') ?? attribute(target, 'type') ?? ''}`;
    case 'serial':
    case 'console':
      return `${element.tagName}:${attribute(target, 'type') ?? ''}:${attribute(target, 'port') ?? ''}`;
    case 'graphics':
      return `graphics:${attribute(element, 'type') ?? ''}`;
    case 'input':
      return `input:${attribute(element, 'type') ?? ''}:${attribute(element, 'bus') ?? ''}`;
    case 'video':
      return `video:${attribute(first(element, 'model'), 'type') ?? ''}`;
    default:
      return `${element.tagName}:${attribute(element, 'model') ?? attribute(element, 'type') ?? ''}`;
  }
}

interface Keyed {
  key: string;
  element: Element;
}

function keyed(xml: string | null): Keyed[] {
  if (!xml) return [];
  const devices = first(parseXml(xml).root, 'devices');
  const counts = new Map<string, number>();
  return elements(devices)
    .filter((element) => element.tagName !== 'emulator')
    .map((element) => {
      const id = identity(element);
      const n = counts.get(id) ?? 0;
      counts.set(id, n + 1);
      return { key: `${id}#${n}`, element };
    });
}

function sourceText(element: Element): string | null {
  const source = first(element, 'source');
  if (!source) return null;
  return (
    attribute(source, 'file') ??
    attribute(source, 'dev') ??
    (attribute(source, 'pool') ? `${attribute(source, 'pool')}/${attribute(source, 'volume')}` : null) ??
    attribute(source, 'network') ??
    attribute(source, 'bridge') ??
    attribute(source, 'dir') ??
    attribute(source, 'path') ??
    (attribute(source, 'name') ? `${attribute(source, 'protocol') ?? ''}:${attribute(source, 'name')}` : null)
  );
}

function hostdevText(element: Element): string {
  const source = first(element, 'source');
  const address = first(source, 'address');
  if (attribute(element, 'type') === 'pci' && address) {
    const hex = (name: string, width: number) => (attribute(address, name) ?? '0').replace(/^0x/, '').padStart(width, '0');
    return `PCI ${hex('domain', 4)}:${hex('bus', 2)}:${hex('slot', 2)}.${hex('function', 1)}`;
  }
  if (attribute(element, 'type') === 'usb') {
    const vendor = attribute(first(source, 'vendor'), 'id');
    const product = attribute(first(source, 'product'), 'id');
    return `USB ${vendor ?? '?'}:${product ?? '?'}`;
  }
  if (attribute(element, 'type') === 'mdev') return `mdev ${attribute(address, 'uuid') ?? ''}`;
  return attribute(element, 'type') ?? 'hostdev';
}

/** Name and read-only facts of a device. */
function describe(element: Element): { name: string; summary: string[] } {
  const target = first(element, 'target');
  const model = first(element, 'model');
  const facts = (...values: Array<string | null | undefined | false>) => values.filter((v): v is string => !!v);
  switch (element.tagName) {
    case 'disk': {
      const driver = first(element, 'driver');
      return {
        name: attribute(target, 'dev') ?? '?',
        summary: facts(
          attribute(target, 'bus'),
          attribute(driver, 'type'),
          sourceText(element) ?? (attribute(element, 'device') === 'cdrom' ? '(empty)' : null),
          attribute(driver, 'cache') && `cache=${attribute(driver, 'cache')}`,
          first(element, 'readonly') && 'read-only',
          first(element, 'shareable') && 'shareable',
          textOf(first(element, 'serial')) && `serial=${textOf(first(element, 'serial'))}`,
        ),
      };
    }
    case 'interface':
      return {
        name: attribute(first(element, 'mac'), 'address') ?? '?',
        summary: facts(
          `${attribute(element, 'type') ?? ''}${sourceText(element) ? ` ${sourceText(element)}` : ''}`,
          attribute(model, 'type'),
          first(element, 'vlan') && `VLAN ${elements(first(element, 'vlan'), 'tag').map((t) => attribute(t, 'id')).join(',')}`,
          attribute(first(element, 'link'), 'state') === 'down' && 'link down',
          attribute(first(element, 'target'), 'dev'),
        ),
      };
    case 'graphics':
      return {
        name: (attribute(element, 'type') ?? '?').toUpperCase(),
        summary: facts(attribute(element, 'listen') ?? attribute(first(element, 'listen'), 'address'), attribute(element, 'port') && attribute(element, 'port') !== '-1' && `port ${attribute(element, 'port')}`),
      };
    case 'video':
      return { name: attribute(model, 'type') ?? '?', summary: facts(attribute(model, 'heads') && `heads ${attribute(model, 'heads')}`, attribute(model, 'vram') && `vram ${attribute(model, 'vram')} KiB`) };
    case 'controller':
      return { name: `${attribute(element, 'type') ?? '?'} ${attribute(element, 'index') ?? ''}`.trim(), summary: facts(attribute(element, 'model')) };
    case 'serial':
    case 'console':
    case 'channel':
      return {
        name: attribute(target, 'name') ?? `${attribute(target, 'type') ?? attribute(element, 'type') ?? ''}${attribute(target, 'port') ? ` ${attribute(target, 'port')}` : ''}`,
        summary: facts(attribute(element, 'type'), attribute(first(element, 'source'), 'path'), attribute(target, 'state')),
      };
    case 'filesystem':
      return { name: attribute(target, 'dir') ?? '?', summary: facts(attribute(first(element, 'driver'), 'type'), sourceText(element)) };
    case 'hostdev':
      return { name: hostdevText(element), summary: facts(attribute(element, 'managed') === 'yes' && 'managed') };
    case 'rng':
      return { name: attribute(element, 'model') ?? '?', summary: facts(textOf(first(element, 'backend'))) };
    case 'tpm':
      return { name: attribute(element, 'model') ?? '?', summary: facts(attribute(first(element, 'backend'), 'type'), attribute(first(element, 'backend'), 'version')) };
    case 'input':
      return { name: attribute(element, 'type') ?? '?', summary: facts(attribute(element, 'bus')) };
    case 'watchdog':
      return { name: attribute(element, 'model') ?? '?', summary: facts(attribute(element, 'action')) };
    default:
      return { name: attribute(element, 'model') ?? attribute(element, 'type') ?? element.tagName, summary: [] };
  }
}

/** Why libvirt cannot take a device out of a running guest (a messages key), or null when it can. */
export function liveRemovalBlock(element: Element): string | null {
  const bus = attribute(first(element, 'target'), 'bus');
  switch (element.tagName) {
    case 'disk': {
      const device = attribute(element, 'device') ?? 'disk';
      if (device === 'floppy') return 'notHotUnpluggable';
      return bus === 'virtio' || bus === 'usb' || bus === 'scsi' ? null : 'busNotHotUnpluggable';
    }
    case 'controller':
      return attribute(element, 'type') === 'scsi' ? null : 'notHotUnpluggable';
    case 'input':
      return attribute(element, 'bus') === 'usb' || attribute(element, 'bus') === 'virtio' ? null : 'busNotHotUnpluggable';
    case 'watchdog':
      return attribute(element, 'model') === 'i6300esb' ? null : 'notHotUnpluggable';
    case 'interface':
    case 'hostdev':
    case 'serial':
    case 'console':
    case 'channel':
    case 'rng':
    case 'filesystem':
    case 'redirdev':
    case 'memory':
    case 'shmem':
    case 'vsock':
      return null;
    default:
      return 'notHotUnpluggable';
  }
}

/** The element alone, as libvirt's attach/detach take it. */
export function elementXml(element: Element): string {
  const text = new XMLSerializer().serializeToString(element);
  const single = parseXml(text, 'The device XML');
  return serializeXml({ ...single, trailing: '\n' });
}

/** Every device of the guest: definition and running guest merged by identity. */
export function listDevices(persistentXml: string | null, liveXml: string | null): HardwareDevice[] {
  const config = keyed(persistentXml);
  const live = keyed(liveXml);
  const liveByKey = new Map(live.map((d) => [d.key, d.element]));
  const configKeys = new Set(config.map((d) => d.key));
  const out: HardwareDevice[] = [];
  const add = (key: string, element: Element, inConfig: boolean, liveElement: Element | null) => {
    const shown = describe(element);
    const guestAddress = liveElement ? first(liveElement, 'address') : null;
    out.push({
      key,
      category: categoryOf(element),
      tag: element.tagName,
      name: shown.name,
      summary: shown.summary,
      inConfig,
      inLive: liveElement !== null,
      xml: maskPasswords(elementXml(element)),
      guestMustCooperate: liveElement !== null && attribute(guestAddress, 'type') === 'pci',
      liveRemoval: liveElement ? liveRemovalBlock(liveElement) : null,
    });
  };
  for (const { key, element } of config) add(key, element, true, liveByKey.get(key) ?? null);
  for (const { key, element } of live) if (!configKeys.has(key)) add(key, element, false, element);
  return out;
}

/** The device element with that key in a definition (or live XML), or null. */
export function findDevice(xml: string | null, key: string): Element | null {
  return keyed(xml).find((d) => d.key === key)?.element ?? null;
}

/** The definition without the device with that key (nothing else changed). */
export function removeDevice(xml: string, key: string): string {
  const doc = parseXml(xml);
  const devices = first(doc.root, 'devices');
  const counts = new Map<string, number>();
  for (const element of elements(devices)) {
    if (element.tagName === 'emulator') continue;
    const id = identity(element);
    const n = counts.get(id) ?? 0;
    counts.set(id, n + 1);
    if (`${id}#${n}` === key) {
      removeElement(element);
      return serializeXml(doc);
    }
  }
  return xml;
}

/** Target dev names in use (disks and CD-ROMs) in any of the documents. */
export function usedTargets(...xmls: Array<string | null>): Set<string> {
  const used = new Set<string>();
  for (const xml of xmls) {
    if (!xml) continue;
    for (const disk of elements(first(parseXml(xml).root, 'devices'), 'disk')) {
      const dev = attribute(first(disk, 'target'), 'dev');
      if (dev) used.add(dev);
    }
  }
  return used;
}

/** MAC addresses in use in any of the documents. */
export function usedMacs(...xmls: Array<string | null>): Set<string> {
  const used = new Set<string>();
  for (const xml of xmls) {
    if (!xml) continue;
    for (const nic of elements(first(parseXml(xml).root, 'devices'), 'interface')) {
      const mac = attribute(first(nic, 'mac'), 'address');
      if (mac) used.add(mac.toLowerCase());
    }
  }
  return used;
}

const PREFIX: Record<string, string> = { virtio: 'vd', scsi: 'sd', sata: 'sd', usb: 'sd', ide: 'hd' };

/** The first free target name for a bus: vdb, sdc, hdd… (a → z, then aa…). */
export function freeTarget(bus: string, used: Set<string>): string {
  const prefix = PREFIX[bus] ?? 'sd';
  const letters = (n: number): string => (n < 26 ? String.fromCharCode(97 + n) : letters(Math.floor(n / 26) - 1) + String.fromCharCode(97 + (n % 26)));
  for (let n = 0; n < 26 * 27; n++) {
    const name = `${prefix}${letters(n)}`;
    if (!used.has(name)) return name;
  }
  throw new Error('no free target name');
}

/** The iothreads count of a definition (<iothreads>N</iothreads>). */
export function iothreadCount(xml: string): number {
  return Number(textOf(first(parseXml(xml).root, 'iothreads')) ?? '0') || 0;
}

/** The live device's alias (what DEVICE_REMOVED names). */
export function aliasOf(element: Element): string | null {
  return attribute(first(element, 'alias'), 'name');
}
