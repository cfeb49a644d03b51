/**
 * The XML of backups: which disks of a definition are backed up, the <domainbackup> (push mode, a
 * qcow2 target file per disk) and <domaincheckpoint> documents libvirt's backup API takes, the
 * checkpoint XML libvirt returns, the domain capabilities' <backup> feature, and the restored guest's
 * definition (the domain-clone area's rewrite: new name, no UUID, no MACs, disks on the new volumes).
 */
import type { BackupDiskPlan, BackupMessage, BackupSupport } from '../../../preload/api-contract';
import { versionString } from '../../libvirt/client';
import { ApiFailure } from '../api-failure';
import { attribute, elements, first, parseXml, textOf } from '../domain-tuning/xml-edit';
import { cloneDomainXml, renamePath } from '../domain-clone/clone-xml';
import { escapeXml } from '../domain-clone/clone-storage';

/** libvirt 6.0 added virDomainBackupBegin and the domain capabilities' <backup> feature. */
export const BACKUP_API_VERSION = 6_000_000;

/** The disks of a definition and whether each is backed up. */
export function backupDiskPlan(domainXml: string, compatOf: (path: string) => string | null = () => null): BackupDiskPlan[] {
  const doc = parseXml(domainXml);
  return elements(first(doc.root, 'devices'), 'disk').map((disk) => {
    const target = attribute(first(disk, 'target'), 'dev') ?? '';
    const device = attribute(disk, 'device') ?? 'disk';
    const type = attribute(disk, 'type') ?? 'file';
    const sourceEl = first(disk, 'source');
    const source = attribute(sourceEl, 'file') ?? attribute(sourceEl, 'dev') ?? (attribute(sourceEl, 'volume') ? `${attribute(sourceEl, 'pool')}/${attribute(sourceEl, 'volume')}` : null);
    const format = attribute(first(disk, 'driver'), 'type');
    let note: BackupMessage | null = null;
    let included = true;
    if (device !== 'disk') {
      included = false;
      note = { key: 'notADisk', values: { device } };
    } else if (!source) {
      included = false;
      note = { key: 'noSource' };
    } else if (type === 'network') {
      included = false;
      note = { key: 'networkDisk' };
    } else if (first(disk, 'readonly') || first(disk, 'shareable')) {
      included = false;
      note = { key: 'sharedDisk' };
    }
    let checkpoints = included && format === 'qcow2';
    if (included && format !== 'qcow2') note = { key: 'notQcow2', values: { format: format ?? '?' } };
    if (checkpoints && source) {
      const compat = compatOf(source);
      if (compat === '0.10') {
        checkpoints = false;
        note = { key: 'qcow2v2' };
      }
    }
    return { target, source, format, included, checkpoints, note };
  });
}

/** A file name for a disk's backup: `<target>.qcow2`. */
export function backupFileName(target: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(target)) throw new ApiFailure('invalid-request', `Disk target ${target} cannot name a file`);
  return `${target}.qcow2`;
}

/** The <domainbackup> for a push backup of `disks` into `directory`; others are excluded explicitly. */
export function backupXml(plan: readonly BackupDiskPlan[], directory: string, incremental: string | null): string {
  const lines = ["<domainbackup mode='push'>"];
  if (incremental) lines.push(`  <incremental>${escapeXml(incremental)}</incremental>`);
  lines.push('  <disks>');
  for (const disk of plan) {
    if (!disk.target) continue;
    if (!disk.included) {
      lines.push(`    <disk name='${escapeXml(disk.target)}' backup='no'/>`);
      continue;
    }
    lines.push(
      `    <disk name='${escapeXml(disk.target)}' backup='yes' type='file'>`,
      `      <driver type='qcow2'/>`,
      `      <target file='${escapeXml(`${directory}/${backupFileName(disk.target)}`)}'/>`,
      '    </disk>',
    );
  }
  lines.push('  </disks>', '</domainbackup>', '');
  return lines.join('\n');
}

/** The <domaincheckpoint> made with a backup: a bitmap on every backed-up qcow2 disk. */
export function checkpointXml(plan: readonly BackupDiskPlan[], name: string, description: string): string {
  const lines = ['<domaincheckpoint>', `  <name>${escapeXml(name)}</name>`, `  <description>${escapeXml(description)}</description>`, '  <disks>'];
  for (const disk of plan) {
    if (!disk.target) continue;
    lines.push(`    <disk name='${escapeXml(disk.target)}' checkpoint='${disk.included && disk.checkpoints ? 'bitmap' : 'no'}'/>`);
  }
  lines.push('  </disks>', '</domaincheckpoint>', '');
  return lines.join('\n');
}

/** Whether every backed-up disk can carry a checkpoint (else backups are full only, without one). */
export function checkpointsPossible(plan: readonly BackupDiskPlan[]): boolean {
  const included = plan.filter((d) => d.included);
  return included.length > 0 && included.every((d) => d.checkpoints);
}

/** What libvirt says of a checkpoint (virDomainCheckpointGetXMLDesc). */
export function parseCheckpointXml(xml: string): { name: string; createdAt: number | null; parent: string | null; disks: string[] } {
  const doc = parseXml(xml, 'The checkpoint XML');
  const created = textOf(first(doc.root, 'creationTime'));
  return {
    name: textOf(first(doc.root, 'name')) ?? '',
    createdAt: created !== null && /^\d+$/.test(created) ? Number(created) * 1000 : null,
    parent: textOf(first(first(doc.root, 'parent'), 'name')),
    disks: elements(first(doc.root, 'disks'), 'disk')
      .filter((d) => attribute(d, 'checkpoint') === 'bitmap')
      .map((d) => attribute(d, 'name') ?? ''),
  };
}

/** The domain capabilities' <backup supported='yes|no'/>; null when the host does not report it. */
export function backupFeature(domainCapabilitiesXml: string): boolean | null {
  const doc = parseXml(domainCapabilitiesXml, 'The domain capabilities');
  const feature = first(first(doc.root, 'features'), 'backup');
  if (!feature) return null;
  return attribute(feature, 'supported') === 'yes';
}

/**
 * Whether backups are offered: libvirt ≥ 6.0 (virDomainBackupBegin) and the domain capabilities' <backup>
 * feature (libvirt sets it from QEMU's incremental-backup capability; absent = not reported, nothing
 * offered), and at least one disk to back up.
 */
export function backupSupport(libVersionNumber: number, feature: boolean | null, plan: readonly BackupDiskPlan[], qemuImg: boolean): BackupSupport {
  const libvirtVersion = versionString(libVersionNumber);
  const no = (reason: BackupMessage): BackupSupport => ({ supported: false, reason, libvirtVersion, qemuImg });
  if (libVersionNumber < BACKUP_API_VERSION) return no({ key: 'libvirtTooOld', values: { version: libvirtVersion, needed: versionString(BACKUP_API_VERSION) } });
  if (feature === false) return no({ key: 'qemuLacksBackup', values: { version: libvirtVersion } });
  if (feature === null) return no({ key: 'backupNotReported', values: { version: libvirtVersion } });
  if (!plan.some((d) => d.included)) return no({ key: 'noDisks' });
  return { supported: true, reason: null, libvirtVersion, qemuImg };
}

/** What domain capabilities to ask for this guest: its emulator, arch, machine and type. */
export function capabilitiesQuery(domainXml: string): { emulator?: string; arch?: string; machine?: string; virttype?: string } {
  const doc = parseXml(domainXml);
  const type = first(first(doc.root, 'os'), 'type');
  const query: { emulator?: string; arch?: string; machine?: string; virttype?: string } = {};
  const emulator = textOf(first(first(doc.root, 'devices'), 'emulator'));
  const arch = attribute(type, 'arch');
  const machine = attribute(type, 'machine');
  const virttype = attribute(doc.root, 'type');
  if (emulator) query.emulator = emulator;
  if (arch) query.arch = arch;
  if (machine) query.machine = machine;
  if (virttype) query.virttype = virttype;
  return query;
}

/** The restored guest: the backed-up definition with a new identity and its disks on the new volumes. */
export function restoredDomainXml(
  sourceXml: string,
  options: { sourceName: string; name: string; volumes: ReadonlyArray<{ target: string; pool: string; volume: string }> },
): { xml: string; notes: BackupMessage[] } {
  const doc = parseXml(sourceXml);
  const notes: BackupMessage[] = [];
  const nvram = first(first(doc.root, 'os'), 'nvram');
  const nvramPath = nvram ? (attribute(first(nvram, 'source'), 'file') ?? textOf(nvram)) : null;
  if (nvramPath) notes.push({ key: 'nvramFresh' });
  const restoredTargets = new Set(options.volumes.map((v) => v.target));
  for (const disk of elements(first(doc.root, 'devices'), 'disk')) {
    const target = attribute(first(disk, 'target'), 'dev') ?? '';
    if ((attribute(disk, 'device') ?? 'disk') === 'disk' && !restoredTargets.has(target) && first(disk, 'source')) {
      notes.push({ key: 'diskShared', values: { target } });
    }
  }
  const xml = cloneDomainXml(sourceXml, {
    sourceName: options.sourceName,
    name: options.name,
    disks: options.volumes.map((v) => ({ target: v.target, source: { type: 'volume', pool: v.pool, volume: v.volume }, format: 'qcow2' })),
    nvramPath: nvramPath ? renamePath(nvramPath, options.sourceName, options.name) : null,
  });
  if (elements(first(doc.root, 'devices'), 'interface').length > 0) notes.push({ key: 'newMacs' });
  return { xml, notes };
}

/** `YYYYMMDDTHHMMSSZ` of a time: sortable, and safe in file and checkpoint names. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function checkDomainName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 200 || /[/\\\s<>&'"]/.test(trimmed)) {
    throw new ApiFailure('invalid-request', `"${name}" is not a usable guest name (no spaces, slashes or quotes)`, { field: 'name' });
  }
  return trimmed;
}
