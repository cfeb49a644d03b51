/**
 * Pool and volume XML: what the creation forms build (checked against libvirt 9.0's storagepool.rng and
 * storagevol.rng: element order, the names each type needs) and what the lists read back.
 */
import type {
  StoragePoolForm,
  StorageVolumeDetails,
  VolumeCreateForm,
} from '../../../preload/api-contract';
import { virStorageVolCreateFlags } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { attr, child, children, parseXmlDocument, text } from '../domains/domain-xml-parse';

export function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

function invalid(field: string, message: string): never {
  throw new ApiFailure('invalid-request', message, { field });
}

/** libvirt's object names: no '/', not empty; we also refuse control characters and leading dots. */
const NAME = /^[A-Za-z0-9_+.:@-][A-Za-z0-9_+.:@ -]{0,254}$/;
const ABSOLUTE_PATH = /^\/[^\0\n\r]*$/;
/** storagepool.rng: vgName / sourceName are names without '/'; a host is a hostname or address. */
const HOSTNAME = /^[A-Za-z0-9.:_-]{1,253}$/;

export function checkObjectName(name: string, field = 'name'): void {
  if (!NAME.test(name) || name === '.' || name === '..') {
    invalid(field, `"${name}" is not a usable name (letters, digits, space, _ + . : @ -; no "/")`);
  }
}

function checkPath(path: string, field: string): void {
  if (!ABSOLUTE_PATH.test(path)) invalid(field, `"${path}" is not an absolute path`);
}

/** The XML of a new pool from its form (storagepool.rng: name, source, target in that order). */
export function buildPoolXml(form: StoragePoolForm): string {
  checkObjectName(form.name);
  const lines = [`<pool type='${form.type}'>`, `  <name>${escapeXml(form.name)}</name>`];
  switch (form.type) {
    case 'dir':
      break;
    case 'fs':
      checkPath(form.sourceDevice, 'sourceDevice');
      if (!/^[a-z0-9]{1,16}$/.test(form.sourceFormat)) invalid('sourceFormat', 'Pick a file system type');
      lines.push(
        '  <source>',
        `    <device path='${escapeXml(form.sourceDevice)}'/>`,
        `    <format type='${form.sourceFormat}'/>`,
        '  </source>',
      );
      break;
    case 'netfs':
      if (!HOSTNAME.test(form.sourceHost)) invalid('sourceHost', `"${form.sourceHost}" is not a host name or address`);
      if (form.sourceFormat === 'cifs' || form.sourceFormat === 'glusterfs') {
        if (form.sourceDir.length === 0 || /[\0\n]/.test(form.sourceDir)) invalid('sourceDir', 'Give the share or volume name');
      } else checkPath(form.sourceDir, 'sourceDir');
      lines.push(
        '  <source>',
        `    <host name='${escapeXml(form.sourceHost)}'/>`,
        `    <dir path='${escapeXml(form.sourceDir)}'/>`,
        `    <format type='${form.sourceFormat}'/>`,
        '  </source>',
      );
      break;
    case 'logical':
      checkObjectName(form.vgName, 'vgName');
      for (const device of form.devices) checkPath(device, 'devices');
      lines.push(
        '  <source>',
        ...form.devices.map((device) => `    <device path='${escapeXml(device)}'/>`),
        `    <name>${escapeXml(form.vgName)}</name>`,
        `    <format type='lvm2'/>`,
        '  </source>',
      );
      break;
  }
  checkPath(form.targetPath, 'targetPath');
  lines.push('  <target>', `    <path>${escapeXml(form.targetPath)}</path>`, '  </target>', '</pool>');
  return `${lines.join('\n')}\n`;
}

export interface ParsedPoolXml {
  type: string;
  targetPath: string | null;
  source: string | null;
}

export function parsePoolXml(xml: string): ParsedPoolXml {
  const root = parseXmlDocument(xml, 'The pool XML');
  const source = child(root, 'source');
  const parts: string[] = [];
  const host = attr(child(source, 'host'), 'name');
  const dir = attr(child(source, 'dir'), 'path');
  if (host) parts.push(dir ? `${host}:${dir}` : host);
  else if (dir) parts.push(dir);
  for (const device of source ? children(source, 'device') : []) {
    const path = attr(device, 'path');
    if (path) parts.push(path);
  }
  const name = text(child(source, 'name'));
  if (name) parts.push(name);
  const adapter = attr(child(source, 'adapter'), 'name');
  if (adapter) parts.push(adapter);
  return {
    type: attr(root, 'type') ?? 'unknown',
    targetPath: text(child(child(root, 'target'), 'path')),
    source: parts.length > 0 ? parts.join(', ') : null,
  };
}

const GiB = 1024 ** 3;
/** A volume this large is a typo, not a disk (16 EiB is libvirt's limit; we stop at 1 PiB). */
const MAX_CAPACITY = 1024 ** 5;

/**
 * The XML and flags of a new volume (storagevol.rng: name, capacity, allocation, target{format,
 * compat}, backingStore{path, format}). qcow2 gets compat 1.1 unless asked otherwise: libvirt's own
 * default is 0.10, where QEMU cannot keep persistent dirty bitmaps (incremental backups).
 */
export function buildVolumeXml(
  form: VolumeCreateForm,
  backingFormat: string | null,
): { xml: string; flags: number; flagNames: string[] } {
  checkObjectName(form.name);
  if (!Number.isSafeInteger(form.capacityBytes) || form.capacityBytes <= 0 || form.capacityBytes > MAX_CAPACITY) {
    invalid('capacityBytes', 'The capacity must be a positive size up to 1 PiB');
  }
  if (form.format === 'raw' && form.preallocation === 'metadata') {
    invalid('preallocation', 'Metadata preallocation exists only for qcow2');
  }
  if (form.backingPath !== null) {
    if (form.format !== 'qcow2') invalid('backingPath', 'Only a qcow2 volume can have a backing volume');
    checkPath(form.backingPath, 'backingPath');
    if (form.preallocation === 'full') invalid('preallocation', 'A linked volume cannot be fully preallocated');
  }
  const allocation = form.preallocation === 'full' ? form.capacityBytes : 0;
  const lines = [
    '<volume>',
    `  <name>${escapeXml(form.name)}</name>`,
    `  <capacity unit='bytes'>${form.capacityBytes}</capacity>`,
    `  <allocation unit='bytes'>${allocation}</allocation>`,
    '  <target>',
    `    <format type='${form.format}'/>`,
  ];
  if (form.format === 'qcow2') lines.push(`    <compat>${form.qcow2Compat}</compat>`);
  lines.push('  </target>');
  if (form.backingPath !== null) {
    lines.push(
      '  <backingStore>',
      `    <path>${escapeXml(form.backingPath)}</path>`,
      `    <format type='${escapeXml(backingFormat ?? 'raw')}'/>`,
      '  </backingStore>',
    );
  }
  lines.push('</volume>');
  const flagNames: string[] = [];
  let flags = 0;
  if (form.format === 'qcow2' && form.preallocation === 'metadata') {
    flags |= virStorageVolCreateFlags.VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA;
    flagNames.push('VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA');
  }
  return { xml: `${lines.join('\n')}\n`, flags, flagNames };
}

/** A raw volume that receives an upload of `sizeBytes` (sparse: nothing allocated before the data comes). */
export function uploadVolumeXml(name: string, sizeBytes: number): string {
  checkObjectName(name);
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes > MAX_CAPACITY) invalid('sizeBytes', 'Empty or too large file');
  return (
    `<volume>\n  <name>${escapeXml(name)}</name>\n  <capacity unit='bytes'>${sizeBytes}</capacity>\n` +
    `  <allocation unit='bytes'>0</allocation>\n  <target>\n    <format type='raw'/>\n  </target>\n</volume>\n`
  );
}

const VOL_TYPES = ['file', 'block', 'dir', 'network', 'netdir', 'ploop'];

export function volumeTypeName(type: number): string {
  return VOL_TYPES[type] ?? `type ${type}`;
}

export function parseVolumeXml(xml: string): Pick<StorageVolumeDetails, 'path' | 'format' | 'backingPath'> {
  const root = parseXmlDocument(xml, 'The volume XML');
  const target = child(root, 'target');
  return {
    path: text(child(target, 'path')) ?? '',
    format: attr(child(target, 'format'), 'type'),
    backingPath: text(child(child(root, 'backingStore'), 'path')),
  };
}

export { GiB };
