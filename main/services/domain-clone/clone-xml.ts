/**
 * The clone's domain XML, made from the source's persistent definition: what must differ between two
 * guests that may run side by side changes (name, UUID, MAC addresses, generation ID, disk sources,
 * NVRAM path, serial log files and sockets named after the guest); everything else stays byte for byte.
 */
import type { CloneMessage } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import {
  attribute,
  elements,
  first,
  insertChild,
  parseXml,
  removeElement,
  serializeXml,
  setAttribute,
  setText,
  textOf,
  type XmlDoc,
} from '../domain-tuning/xml-edit';
import type { Element } from '@xmldom/xmldom';

/** Where a cloned disk's data now is. */
export type CloneDiskSource =
  | { type: 'file'; path: string }
  | { type: 'block'; path: string }
  | { type: 'volume'; pool: string; volume: string };

export interface CloneDiskRewrite {
  target: string;
  source: CloneDiskSource;
  /** The new driver format (a linked disk becomes qcow2); null keeps the source's. */
  format: string | null;
}

export interface CloneXmlOptions {
  sourceName: string;
  name: string;
  disks: readonly CloneDiskRewrite[];
  /** The clone's NVRAM file; null leaves <nvram> alone (the guest has none with a path). */
  nvramPath: string | null;
}

/** Names a path of the source's after the clone: the source's name in the file name becomes the clone's. */
export function renamePath(path: string, sourceName: string, name: string): string {
  const slash = path.lastIndexOf('/');
  const directory = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  if (sourceName !== '' && base.includes(sourceName)) return directory + base.split(sourceName).join(name);
  return `${directory}${name}-${base}`;
}

/** A volume name for the clone's copy of `volume` (same extension; the source's name replaced when it has it). */
export function cloneVolumeName(volume: string, sourceName: string, name: string, target: string): string {
  if (sourceName !== '' && volume.includes(sourceName)) return volume.split(sourceName).join(name);
  const dot = volume.lastIndexOf('.');
  const extension = dot > 0 ? volume.slice(dot) : '';
  return `${name}-${target}${extension}`;
}

export function diskByTarget(doc: XmlDoc, target: string): Element | null {
  return elements(first(doc.root, 'devices'), 'disk').find((disk) => attribute(first(disk, 'target'), 'dev') === target) ?? null;
}

function rewriteDiskSource(doc: XmlDoc, rewrite: CloneDiskRewrite): void {
  const disk = diskByTarget(doc, rewrite.target);
  if (!disk) throw new ApiFailure('invalid-request', `The guest has no disk with target ${rewrite.target}`, { field: 'disks' });
  setAttribute(disk, 'type', rewrite.source.type);
  let source = first(disk, 'source');
  if (!source) {
    source = insertChild(disk, doc.document.createElement('source'), { after: ['driver'], before: ['target'] });
  }
  // Only what names the storage changes; startupPolicy and child elements (seclabel…) stay.
  for (const name of ['file', 'dev', 'dir', 'pool', 'volume', 'mode', 'protocol', 'name', 'index']) setAttribute(source, name, null);
  if (rewrite.source.type === 'file') setAttribute(source, 'file', rewrite.source.path);
  else if (rewrite.source.type === 'block') setAttribute(source, 'dev', rewrite.source.path);
  else {
    setAttribute(source, 'pool', rewrite.source.pool);
    setAttribute(source, 'volume', rewrite.source.volume);
  }
  // The backing chain of the new image is libvirt's to detect.
  for (const backing of elements(disk, 'backingStore')) removeElement(backing);
  if (rewrite.format !== null) {
    const driver = first(disk, 'driver') ?? insertChild(disk, doc.document.createElement('driver'), { before: ['source', 'target'] });
    if (!driver.hasAttribute('name')) setAttribute(driver, 'name', 'qemu');
    setAttribute(driver, 'type', rewrite.format);
  }
}

const CHARDEVS = ['serial', 'console', 'channel', 'parallel'];

/** Serial logs and listening sockets named after the source, which two guests must not share. */
function rewriteChardevs(doc: XmlDoc, sourceName: string, name: string): void {
  const devices = first(doc.root, 'devices');
  for (const device of elements(devices).filter((e) => CHARDEVS.includes(e.tagName))) {
    for (const log of elements(device, 'log')) {
      const file = attribute(log, 'file');
      if (file) setAttribute(log, 'file', renamePath(file, sourceName, name));
    }
    if (attribute(device, 'type') !== 'unix') continue;
    for (const source of elements(device, 'source')) {
      const path = attribute(source, 'path');
      if (!path || (attribute(source, 'mode') ?? 'bind') !== 'bind') continue;
      const target = first(device, 'target');
      // A virtio channel's socket path is made by libvirt from the guest's name when absent.
      if (device.tagName === 'channel' && attribute(target, 'type') === 'virtio') setAttribute(source, 'path', null);
      else setAttribute(source, 'path', renamePath(path, sourceName, name));
    }
  }
  for (const graphics of elements(devices, 'graphics')) {
    const socket = attribute(graphics, 'socket');
    if (socket) setAttribute(graphics, 'socket', renamePath(socket, sourceName, name));
    for (const listen of elements(graphics, 'listen')) {
      const path = attribute(listen, 'socket');
      if (path) setAttribute(listen, 'socket', renamePath(path, sourceName, name));
    }
  }
}

/** The clone's definition: `sourceXml` (the source's persistent XML) with the clone's identity and storage. */
export function cloneDomainXml(sourceXml: string, options: CloneXmlOptions): string {
  const doc = parseXml(sourceXml);
  if (doc.root.tagName !== 'domain') throw new ApiFailure('invalid-request', `Expected <domain>, found <${doc.root.tagName}>`);
  const nameElement = first(doc.root, 'name');
  if (!nameElement) throw new ApiFailure('invalid-request', 'The source definition has no <name>');
  setText(nameElement, options.name);
  // libvirt makes a new UUID, a new VM generation ID and new MAC addresses for what is absent or empty.
  const uuid = first(doc.root, 'uuid');
  if (uuid) removeElement(uuid);
  const genid = first(doc.root, 'genid');
  if (genid && textOf(genid) !== null) while (genid.firstChild) genid.removeChild(genid.firstChild);
  for (const nic of elements(first(doc.root, 'devices'), 'interface')) {
    for (const mac of elements(nic, 'mac')) removeElement(mac);
  }
  for (const rewrite of options.disks) rewriteDiskSource(doc, rewrite);
  if (options.nvramPath !== null) {
    const nvram = first(first(doc.root, 'os'), 'nvram');
    if (nvram) {
      const source = first(nvram, 'source');
      if (source && attribute(source, 'file') !== null) setAttribute(source, 'file', options.nvramPath);
      else setText(nvram, options.nvramPath);
    }
  }
  rewriteChardevs(doc, options.sourceName, options.name);
  return serializeXml(doc);
}

/** The NVRAM file of a definition (<os><nvram>path</nvram>, or its <source file=…> form), if it names one. */
export function nvramPathOf(xml: string): string | null {
  const doc = parseXml(xml);
  const nvram = first(first(doc.root, 'os'), 'nvram');
  if (!nvram) return null;
  const source = first(nvram, 'source');
  return source ? attribute(source, 'file') : textOf(nvram);
}

/** What the user should know about a clone of this definition. */
export function cloneNotes(xml: string): CloneMessage[] {
  const doc = parseXml(xml);
  const devices = first(doc.root, 'devices');
  const notes: CloneMessage[] = [];
  const os = first(doc.root, 'os');
  if (elements(devices, 'tpm').some((tpm) => attribute(first(tpm, 'backend'), 'type') === 'emulator')) {
    notes.push({ key: 'tpmNotCopied' });
  }
  for (const graphics of elements(devices, 'graphics')) {
    const port = attribute(graphics, 'port');
    if (attribute(graphics, 'autoport') === 'no' && port && port !== '-1') {
      notes.push({ key: 'fixedDisplayPort', values: { type: attribute(graphics, 'type') ?? '?', port } });
    }
  }
  const hostdevs = elements(devices, 'hostdev').length;
  if (hostdevs > 0) notes.push({ key: 'hostDevices', values: { count: hostdevs } });
  if (elements(doc.root, 'seclabel').some((label) => attribute(label, 'type') === 'static')) notes.push({ key: 'staticSeclabel' });
  if (attribute(os, 'firmware') === 'efi' && nvramPathOf(xml) === null) notes.push({ key: 'nvramFresh' });
  if (elements(devices, 'interface').length > 0) notes.push({ key: 'newMacs', values: { count: elements(devices, 'interface').length } });
  return notes;
}
