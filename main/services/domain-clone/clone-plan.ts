/**
 * What cloning a guest involves, read from its host: each disk's storage and the modes it allows, the
 * NVRAM, what blocks the clone; and a request checked against it (names free, modes allowed), with the
 * steps it will take and the clone's XML as a diff against the source's.
 */
import { createTwoFilesPatch } from 'diff';
import type {
  CloneDiskMode,
  CloneDiskPlan,
  CloneMessage,
  ClonePlan,
  ClonePreview,
  CloneRequest,
  CloneStep,
  CloneStorage,
} from '../../../preload/api-contract';
import { isLibvirtError, type LibvirtClient } from '../../libvirt/client';
import { virErrorNumber } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { readPersistent } from '../domain-xml/domain-xml-store';
import { attribute, elements, first, parseXml } from '../domain-tuning/xml-edit';
import { cloneDomainXml, cloneNotes, cloneVolumeName, nvramPathOf, renamePath, type CloneDiskRewrite } from './clone-xml';
import {
  COPY_POOL_TYPES,
  LINK_POOL_TYPES,
  baseName,
  directoryOf,
  locatePath,
  volumeFacts,
  type FileStat,
  type StorageFacts,
} from './clone-storage';

const VIR_DOMAIN_SHUTOFF = 5;
const STATE_NAMES = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'];

/** A domain or volume name libvirt accepts and VirtDeck can use as a file name. */
export function checkName(value: string, what: string, field: string): string {
  const name = value.trim();
  if (name === '') throw new ApiFailure('invalid-request', `The ${what} is empty`, { field });
  if (name.includes('/')) throw new ApiFailure('invalid-request', `The ${what} "${name}" contains "/"`, { field });
  if (name === '.' || name === '..') throw new ApiFailure('invalid-request', `The ${what} cannot be "${name}"`, { field });
  if ([...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new ApiFailure('invalid-request', `The ${what} contains a control character`, { field });
  if (Buffer.byteLength(name) > 200) throw new ApiFailure('invalid-request', `The ${what} is longer than 200 bytes`, { field });
  return name;
}

async function domainNameTaken(libvirt: LibvirtClient, name: string): Promise<boolean> {
  try {
    await libvirt.domain.lookup({ name });
    return true;
  } catch (error) {
    if (isLibvirtError(error, virErrorNumber.VIR_ERR_NO_DOMAIN)) return false;
    throw error;
  }
}

/** Whether `name` is free in the pool or directory where the clone puts a disk; null = cannot tell. */
async function volumeNameFree(libvirt: LibvirtClient, storage: CloneStorage, name: string, stat: FileStat): Promise<boolean | null> {
  if (storage.kind === 'volume') {
    try {
      await libvirt.storageVolume.lookup({ pool: storage.pool, name });
      return false;
    } catch (error) {
      if (isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL)) return true;
      throw error;
    }
  }
  if (storage.kind === 'file') {
    const facts = await stat(`${storage.directory}/${name}`).catch(() => null);
    return facts === 'missing' ? true : facts === null ? null : false;
  }
  return null;
}

interface DiskXml {
  target: string;
  device: string;
  type: string;
  source: string | null;
  sourcePool: string | null;
  sourceVolume: string | null;
  format: string | null;
  readonly: boolean;
  shareable: boolean;
}

function readDisks(xml: string): DiskXml[] {
  const doc = parseXml(xml);
  return elements(first(doc.root, 'devices'), 'disk').flatMap((disk) => {
    const target = attribute(first(disk, 'target'), 'dev');
    if (!target) return [];
    const source = first(disk, 'source');
    const type = attribute(disk, 'type') ?? 'file';
    const pool = attribute(source, 'pool');
    const volume = attribute(source, 'volume');
    return [
      {
        target,
        device: attribute(disk, 'device') ?? 'disk',
        type,
        source:
          type === 'volume' && pool && volume
            ? `${pool}/${volume}`
            : (attribute(source, 'file') ?? attribute(source, 'dev') ?? attribute(source, 'name') ?? attribute(source, 'dir')),
        sourcePool: pool,
        sourceVolume: volume,
        format: attribute(first(disk, 'driver'), 'type'),
        readonly: first(disk, 'readonly') !== null,
        shareable: first(disk, 'shareable') !== null,
      },
    ];
  });
}

const unsupported = (key: string, values: Record<string, string | number>): StorageFacts => ({
  storage: { kind: 'unsupported', reason: { key, values } },
  allocationBytes: null,
  capacityBytes: null,
});

async function locateDisk(libvirt: LibvirtClient, disk: DiskXml, stat: FileStat, poolTypes: Map<string, string>): Promise<StorageFacts> {
  if (disk.source === null) return { storage: { kind: 'none' }, allocationBytes: null, capacityBytes: null };
  switch (disk.type) {
    case 'file':
      return locatePath(libvirt, disk.source, 'file', stat, poolTypes);
    case 'block':
      return locatePath(libvirt, disk.source, 'block', stat, poolTypes);
    case 'volume':
      if (!disk.sourcePool || !disk.sourceVolume) return unsupported('unsupportedSource', { type: disk.type });
      try {
        return await volumeFacts(libvirt, { pool: disk.sourcePool, name: disk.sourceVolume }, poolTypes);
      } catch (error) {
        if (isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL) || isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_POOL)) {
          return unsupported('missingVolume', { volume: disk.source });
        }
        throw error;
      }
    default:
      return unsupported('unsupportedSource', { type: disk.type });
  }
}

function modesFor(disk: DiskXml, facts: StorageFacts): CloneDiskMode[] {
  const storage = facts.storage;
  if (disk.device === 'cdrom' || disk.device === 'floppy' || storage.kind === 'none') return ['share'];
  const copyable = storage.kind === 'file' || (storage.kind === 'volume' && COPY_POOL_TYPES.has(storage.poolType));
  const linkable = storage.kind === 'file' || (storage.kind === 'volume' && LINK_POOL_TYPES.has(storage.poolType));
  if (disk.readonly || disk.shareable) return copyable ? ['share', 'copy'] : ['share'];
  const modes: CloneDiskMode[] = [];
  if (copyable) modes.push('copy');
  if (linkable) modes.push('link');
  return modes;
}

function suggestedVolumeName(storage: CloneStorage, sourceName: string, name: string, target: string): string | null {
  if (storage.kind === 'volume') return cloneVolumeName(storage.volume, sourceName, name, target);
  if (storage.kind === 'file') return cloneVolumeName(baseName(storage.path), sourceName, name, target);
  return null;
}

export interface PlanContext {
  plan: ClonePlan;
  /** The source's disks as its XML has them. */
  xmlDisks: DiskXml[];
}

/** Everything the clone dialog shows before the user chooses; reads the host, changes nothing. */
export async function makeClonePlan(libvirt: LibvirtClient, hostId: string, uuid: string, stat: FileStat): Promise<PlanContext> {
  const ref = { uuid };
  const domain = await libvirt.domain.lookup(ref);
  const [state, persistent, basedOn, domains] = await Promise.all([
    libvirt.domain.getState(ref),
    libvirt.domain.isPersistent(ref),
    readPersistent(libvirt, uuid),
    libvirt.domain.list(),
  ]);
  const blockers: CloneMessage[] = [];
  if (!persistent) blockers.push({ key: 'transient' });
  if (state.state !== VIR_DOMAIN_SHUTOFF) blockers.push({ key: 'notShutOff', values: { state: STATE_NAMES[state.state] ?? String(state.state) } });
  const names = new Set(domains.map((d) => d.name));
  let suggestedName = `${domain.name}-clone`;
  for (let n = 2; names.has(suggestedName); n++) suggestedName = `${domain.name}-clone-${n}`;

  const poolTypes = new Map<string, string>();
  const xmlDisks = readDisks(basedOn);
  const disks: CloneDiskPlan[] = [];
  for (const disk of xmlDisks) {
    const facts = await locateDisk(libvirt, disk, stat, poolTypes);
    const modes = modesFor(disk, facts);
    if (modes.length === 0) {
      blockers.push({
        key: 'diskCannotBeCloned',
        values: { target: disk.target, source: disk.source ?? '' },
      });
    }
    disks.push({
      target: disk.target,
      device: disk.device,
      source: disk.source,
      format: disk.format,
      readonly: disk.readonly,
      shareable: disk.shareable,
      storage: facts.storage,
      allocationBytes: facts.allocationBytes,
      capacityBytes: facts.capacityBytes,
      modes,
      suggestedName: modes.some((m) => m !== 'share') ? suggestedVolumeName(facts.storage, domain.name, suggestedName, disk.target) : null,
    });
  }

  let nvram: ClonePlan['nvram'] = null;
  const nvramPath = nvramPathOf(basedOn);
  if (nvramPath) {
    const facts = await locatePath(libvirt, nvramPath, 'file', stat, poolTypes);
    const missing = facts.storage.kind === 'unsupported' && facts.storage.reason.key === 'missingFile';
    nvram = {
      path: nvramPath,
      storage: facts.storage,
      exists: missing ? false : facts.storage.kind === 'volume' ? true : facts.allocationBytes !== null ? true : null,
      suggestedPath: renamePath(nvramPath, domain.name, suggestedName),
    };
  }
  return {
    plan: { hostId, uuid, name: domain.name, blockers, suggestedName, disks, nvram, notes: cloneNotes(basedOn), basedOn },
    xmlDisks,
  };
}

/** One disk of a checked request: what happens to it and where its data goes. */
export interface ResolvedDisk {
  plan: CloneDiskPlan;
  mode: CloneDiskMode;
  /** For copy and link. */
  volumeName: string | null;
  /** The source disk's type attribute (file, block, volume). */
  xmlType: string;
}

export interface ResolvedClone {
  plan: ClonePlan;
  name: string;
  disks: ResolvedDisk[];
  /** The clone's NVRAM path and whether the source's file is copied there. */
  nvram: { from: string; to: string; storage: CloneStorage; copy: boolean } | null;
  steps: CloneStep[];
  warnings: CloneMessage[];
  bytesTotal: number | null;
}

const MESSAGES: Record<string, (v: Record<string, string | number>) => string> = {
  transient: () => 'The guest is transient (it has no persistent definition to clone)',
  notShutOff: (v) => `The guest is ${v.state}; shut it off first`,
  diskCannotBeCloned: (v) => `Disk ${v.target} (${v.source}) cannot be copied or linked`,
};

export function messageText(message: CloneMessage): string {
  return MESSAGES[message.key]?.(message.values ?? {}) ?? message.key;
}

/** Where a new volume named `volumeName` for this storage will be, and the disk's new source. */
export function newDiskSource(disk: ResolvedDisk, volumeName: string, actualPath?: string): CloneDiskRewrite['source'] {
  const storage = disk.plan.storage;
  if (disk.xmlType === 'volume' && storage.kind === 'volume') return { type: 'volume', pool: storage.pool, volume: volumeName };
  const path = actualPath ?? (storage.kind === 'volume' || storage.kind === 'file' ? `${directoryOf(storage.path)}/${volumeName}` : volumeName);
  return disk.xmlType === 'block' ? { type: 'block', path } : { type: 'file', path };
}

/**
 * Checks a request against a fresh plan (names valid and free, modes allowed, nothing blocks) and
 * works out the steps. Throws `invalid-request` / `conflict` with a clear message; changes nothing.
 */
export async function resolveCloneRequest(
  libvirt: LibvirtClient,
  context: PlanContext,
  request: CloneRequest,
  stat: FileStat,
): Promise<ResolvedClone> {
  const { plan } = context;
  if (plan.basedOn !== request.basedOn) {
    throw new ApiFailure('conflict', `The definition of ${plan.name} changed on the host since the clone dialog opened; reload it`);
  }
  const blocker = plan.blockers[0];
  if (blocker) throw new ApiFailure('conflict', `${plan.name} cannot be cloned now: ${messageText(blocker)}`);
  const name = checkName(request.name, 'clone\'s name', 'name');
  if (name === plan.name || (await domainNameTaken(libvirt, name))) {
    throw new ApiFailure('conflict', `A guest named "${name}" already exists on this host`, { field: 'name' });
  }
  const byTarget = new Map(request.disks.map((d) => [d.target, d]));
  for (const target of byTarget.keys()) {
    if (!plan.disks.some((d) => d.target === target)) throw new ApiFailure('invalid-request', `The guest has no disk ${target}`, { field: 'disks' });
  }
  const disks: ResolvedDisk[] = [];
  const used = new Map<string, string>();
  for (const diskPlan of plan.disks) {
    const wanted = byTarget.get(diskPlan.target);
    const mode = wanted?.mode ?? diskPlan.modes[0] ?? 'share';
    if (!diskPlan.modes.includes(mode)) {
      throw new ApiFailure('invalid-request', `Disk ${diskPlan.target} cannot be cloned by "${mode}" (it allows ${diskPlan.modes.join(', ') || 'nothing'})`, { field: 'disks' });
    }
    const xmlType = context.xmlDisks.find((d) => d.target === diskPlan.target)?.type ?? 'file';
    let volumeName: string | null = null;
    if (mode !== 'share') {
      const storage = diskPlan.storage;
      volumeName = checkName(wanted?.volumeName ?? diskPlan.suggestedName ?? '', `new volume name of ${diskPlan.target}`, `disks.${diskPlan.target}`);
      const where = storage.kind === 'volume' ? `pool ${storage.pool}` : storage.kind === 'file' ? storage.directory : '?';
      const key = `${where}\n${volumeName}`;
      const other = used.get(key);
      if (other) throw new ApiFailure('invalid-request', `Disks ${other} and ${diskPlan.target} would both be ${volumeName} in ${where}`, { field: `disks.${diskPlan.target}` });
      used.set(key, diskPlan.target);
      if ((await volumeNameFree(libvirt, storage, volumeName, stat)) === false) {
        throw new ApiFailure('conflict', `${volumeName} already exists in ${where}`, { field: `disks.${diskPlan.target}` });
      }
    }
    disks.push({ plan: diskPlan, mode, volumeName, xmlType });
  }

  let nvram: ResolvedClone['nvram'] = null;
  const warnings: CloneMessage[] = [...plan.notes];
  if (plan.nvram) {
    const to = renamePath(plan.nvram.path, plan.name, name);
    const copy = plan.nvram.exists !== false && (plan.nvram.storage.kind === 'volume' || plan.nvram.storage.kind === 'file');
    if (copy) {
      const free = await volumeNameFree(libvirt, plan.nvram.storage, baseName(to), stat);
      if (free === false) throw new ApiFailure('conflict', `The NVRAM file ${to} already exists; choose another name`, { field: 'name' });
    } else if (plan.nvram.storage.kind === 'unsupported' && plan.nvram.exists !== false) {
      warnings.push({ key: 'nvramNotCopied', values: { path: plan.nvram.path } });
    }
    nvram = { from: plan.nvram.path, to, storage: plan.nvram.storage, copy };
  }
  if (disks.some((d) => d.mode === 'link')) warnings.push({ key: 'linkedOriginal', values: { name: plan.name } });

  const steps: CloneStep[] = [];
  const directories = new Set<string>();
  for (const disk of disks) if (disk.mode !== 'share' && disk.plan.storage.kind === 'file') directories.add(disk.plan.storage.directory);
  if (nvram?.copy && nvram.storage.kind === 'file') directories.add(nvram.storage.directory);
  for (const directory of directories) steps.push({ kind: 'temporaryPool', directory });
  let bytesTotal: number | null = 0;
  for (const disk of disks) {
    if (disk.mode === 'share' || disk.volumeName === null) continue;
    const source = newDiskSource(disk, disk.volumeName);
    const to = source.type === 'volume' ? `${source.pool}/${source.volume}` : source.path;
    const from = disk.plan.storage.kind === 'volume' || disk.plan.storage.kind === 'file' ? disk.plan.storage.path : (disk.plan.source ?? '');
    if (disk.mode === 'copy') {
      steps.push({ kind: 'copyVolume', target: disk.plan.target, from, to, bytes: disk.plan.allocationBytes });
      bytesTotal = bytesTotal === null || disk.plan.allocationBytes === null ? null : bytesTotal + disk.plan.allocationBytes;
    } else {
      steps.push({ kind: 'linkVolume', target: disk.plan.target, backing: from, to });
    }
  }
  if (nvram?.copy) steps.push({ kind: 'copyNvram', from: nvram.from, to: nvram.to });
  steps.push({ kind: 'define', name });
  return { plan, name, disks, nvram, steps, warnings, bytesTotal };
}

/** The clone's XML for the resolved request; `paths` gives the real paths of created volumes by target. */
export function resolvedCloneXml(resolved: ResolvedClone, paths: ReadonlyMap<string, string> = new Map(), nvramPath?: string): string {
  const rewrites: CloneDiskRewrite[] = resolved.disks
    .filter((d) => d.mode !== 'share' && d.volumeName !== null)
    .map((d) => ({
      target: d.plan.target,
      source: newDiskSource(d, d.volumeName as string, paths.get(d.plan.target)),
      format: d.mode === 'link' ? 'qcow2' : null,
    }));
  return cloneDomainXml(resolved.plan.basedOn, {
    sourceName: resolved.plan.name,
    name: resolved.name,
    disks: rewrites,
    nvramPath: resolved.nvram ? (nvramPath ?? resolved.nvram.to) : null,
  });
}

export function clonePreviewOf(resolved: ResolvedClone): ClonePreview {
  const xml = resolvedCloneXml(resolved);
  return {
    xml,
    diff: createTwoFilesPatch(resolved.plan.name, resolved.name, resolved.plan.basedOn, xml, undefined, undefined, { context: 3 }),
    steps: resolved.steps,
    warnings: resolved.warnings,
    bytesTotal: resolved.bytesTotal,
  };
}
