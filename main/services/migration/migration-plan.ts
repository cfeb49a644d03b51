/**
 * Before a migration: what the guest uses (CPU, machine, networks, disks, memory) read from its XML on
 * the source, and whether the destination can give it that — libvirt's own CPU comparison and domain
 * capabilities on the destination, its networks and bridges, where each disk's file is (the same file =
 * shared storage; otherwise it is copied, into a pool over the same directory), its free memory, and a
 * guest of the same name or UUID there. Each check says why.
 */
import type {
  MigrationCheck,
  MigrationDisk,
  MigrationOptions,
} from '../../../preload/api-contract';
import type { LibvirtClient } from '../../libvirt/client';
import { shellQuote, type SshConnection } from '../../ssh';
import { ApiFailure } from '../api-failure';
import { attr, child, children, parseXmlDocument, sizeKiB, text } from '../domains/domain-xml-parse';

/** What the guest's XML says matters for a migration. */
export interface GuestFacts {
  name: string;
  uuid: string;
  virtType: string;
  arch: string | null;
  machine: string | null;
  /** The <cpu> element as XML, null when the guest has none (the hypervisor's default model). */
  cpuXml: string | null;
  cpuMode: string | null;
  memoryBytes: number;
  networks: string[];
  bridges: string[];
  disks: Array<Omit<MigrationDisk, 'shared' | 'sizeBytes' | 'pool'>>;
}

export function guestFacts(xml: string): GuestFacts {
  const root = parseXmlDocument(xml, 'The domain XML');
  const os = child(root, 'os');
  const type = child(os, 'type');
  const cpu = child(root, 'cpu');
  const devices = child(root, 'devices');
  const current = sizeKiB(child(root, 'currentMemory')) ?? sizeKiB(child(root, 'memory')) ?? 0;
  const networks: string[] = [];
  const bridges: string[] = [];
  for (const nic of devices ? children(devices, 'interface') : []) {
    const source = child(nic, 'source');
    const kind = attr(nic, 'type');
    if (kind === 'network' && attr(source, 'network')) networks.push(attr(source, 'network') as string);
    if (kind === 'bridge' && attr(source, 'bridge')) bridges.push(attr(source, 'bridge') as string);
  }
  const disks: GuestFacts['disks'] = [];
  for (const disk of devices ? children(devices, 'disk') : []) {
    const target = attr(child(disk, 'target'), 'dev');
    if (!target) continue;
    const source = child(disk, 'source');
    const kind = attr(disk, 'type');
    const path =
      kind === 'file' ? attr(source, 'file') : kind === 'block' ? attr(source, 'dev') : kind === 'volume' ? `${attr(source, 'pool') ?? ''}/${attr(source, 'volume') ?? ''}` : attr(source, 'name');
    const readonly = child(disk, 'readonly') !== null;
    disks.push({
      target,
      device: attr(disk, 'device') ?? 'disk',
      source: path,
      format: attr(child(disk, 'driver'), 'type'),
      copyable: !readonly && path !== null && (kind === 'file' || kind === 'block' || kind === 'volume'),
    });
  }
  let cpuXml: string | null = null;
  if (cpu && (child(cpu, 'model') !== null || attr(cpu, 'mode') === 'host-model' || attr(cpu, 'mode') === 'host-passthrough'))
    cpuXml = cpu.toString();
  return {
    name: text(child(root, 'name')) ?? '',
    uuid: text(child(root, 'uuid')) ?? '',
    virtType: attr(root, 'type') ?? 'kvm',
    arch: attr(type, 'arch'),
    machine: attr(type, 'machine'),
    cpuXml,
    cpuMode: attr(cpu, 'mode'),
    memoryBytes: current * 1024,
    networks,
    bridges,
    disks,
  };
}

/** `stat` of a path over SSH (inode, size, mtime), null when it does not exist or cannot be read. */
export async function statOverSsh(ssh: SshConnection | null, path: string): Promise<string | null> {
  if (!ssh) return null;
  const r = await ssh.run(`stat -L -c '%i %s %Y' -- ${shellQuote(path)} 2>/dev/null`, { timeoutMs: 10_000 }).catch(() => null);
  if (!r || r.code !== 0) return null;
  const out = r.stdout.trim();
  return out === '' ? null : out;
}

export interface PlanHosts {
  source: { libvirt: LibvirtClient; ssh: SshConnection | null };
  destination: { libvirt: LibvirtClient; ssh: SshConnection | null } | null;
}

export interface PlanResult {
  facts: GuestFacts;
  running: boolean;
  paused: boolean;
  disks: MigrationDisk[];
  checks: MigrationCheck[];
  defaults: MigrationOptions;
}

const ok = (id: MigrationCheck['id'], key: string, values?: Record<string, string | number>): MigrationCheck => ({
  id,
  status: 'ok',
  message: values ? { key, values } : { key },
});
const warn = (id: MigrationCheck['id'], key: string, values?: Record<string, string | number>): MigrationCheck => ({
  id,
  status: 'warning',
  message: values ? { key, values } : { key },
});
const block = (id: MigrationCheck['id'], key: string, values?: Record<string, string | number>): MigrationCheck => ({
  id,
  status: 'blocker',
  message: values ? { key, values } : { key },
});

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function defaultOptions(running: boolean, disks: readonly MigrationDisk[]): MigrationOptions {
  const needsCopy = disks.some((d) => d.copyable && !d.shared && d.device === 'disk');
  return {
    mode: running ? 'live' : 'offline',
    copyStorage: running && needsCopy ? 'full' : 'none',
    disks: running && needsCopy ? disks.filter((d) => d.copyable && !d.shared && d.device === 'disk').map((d) => d.target) : [],
    persistDest: true,
    undefineSource: true,
    compression: false,
    bandwidthMiBs: null,
    maxDowntimeMs: null,
    autoConverge: false,
    postCopy: false,
    route: 'auto',
    peerUri: null,
  };
}

/** The disks that will be copied with these options: the chosen ones, or every copyable non-shared disk. */
export function disksToCopy(options: MigrationOptions, disks: readonly MigrationDisk[]): string[] {
  if (options.copyStorage === 'none' || options.mode === 'offline') return [];
  const candidates = disks.filter((d) => d.copyable && !d.shared && d.device === 'disk');
  if (options.disks.length === 0) return candidates.map((d) => d.target);
  const known = new Set(disks.filter((d) => d.copyable).map((d) => d.target));
  for (const target of options.disks)
    if (!known.has(target)) throw new ApiFailure('invalid-request', `The guest has no disk ${target} that can be copied`);
  return [...options.disks];
}

/** virDomainState / virDomainPausedReason values the leftover-guest decision needs. */
const DOMAIN_RUNNING = 1;
const DOMAIN_PAUSED = 3;
const PAUSED_MIGRATION = 2; // VIR_DOMAIN_PAUSED_MIGRATION: paused for (incoming or outgoing) migration
const PAUSED_POSTCOPY = 12;
const PAUSED_POSTCOPY_FAILED = 13;

export interface GuestState {
  state: number;
  reason: number;
}

/**
 * A paused guest on the destination that waits for an incoming migration: what a failed or interrupted
 * migration leaves there when nothing ran its Finish (VIR_DOMAIN_PAUSED with reason MIGRATION). A guest
 * paused in post-copy (reasons POSTCOPY, POSTCOPY_FAILED) is not one: its memory lives partly there.
 */
export function isLeftoverIncoming(destination: GuestState | null): boolean {
  return destination !== null && destination.state === DOMAIN_PAUSED && destination.reason === PAUSED_MIGRATION;
}

/**
 * Whether the destination's leftover incoming guest may be destroyed: only when it is one
 * ({@link isLeftoverIncoming}), the source still runs the guest itself (running, or paused by something other
 * than a migration) and the source has no job on it (no migration of it under way from anywhere).
 */
export function mayDestroyLeftoverIncoming(destination: GuestState | null, source: GuestState | null, sourceJob: string | null): boolean {
  if (!isLeftoverIncoming(destination) || !source) return false;
  const sourceRuns =
    source.state === DOMAIN_RUNNING ||
    (source.state === DOMAIN_PAUSED && source.reason !== PAUSED_MIGRATION && source.reason !== PAUSED_POSTCOPY && source.reason !== PAUSED_POSTCOPY_FAILED);
  return sourceRuns && sourceJob === 'none';
}

/**
 * Destroys the destination's leftover incoming guest when {@link mayDestroyLeftoverIncoming} says so
 * (states read now, on both hosts). Resolves with whether it destroyed one.
 */
export async function destroyLeftoverIncoming(source: LibvirtClient, destination: LibvirtClient, uuid: string): Promise<boolean> {
  const dst = await destination.domain.getState({ uuid }).catch(() => null);
  if (!isLeftoverIncoming(dst)) return false;
  const src = await source.domain.getState({ uuid }).catch(() => null);
  const job = await source.migration.jobStats({ uuid }).then((j) => j.type, () => null);
  if (!mayDestroyLeftoverIncoming(dst, src, job)) return false;
  await destination.domain.destroy({ uuid });
  return true;
}

/** Reads the guest and (when chosen) the destination and says what stands in the way. */
export async function planMigration(hosts: PlanHosts, uuid: string, requested: MigrationOptions | null): Promise<PlanResult> {
  const src = hosts.source.libvirt;
  const state = await src.domain.getState({ uuid });
  const running = state.state === 1 || state.state === 2 || state.state === 3;
  const paused = state.state === 3;
  // The live XML with the CPU as the host expanded it (UPDATE_CPU), so host-model compares as a model.
  const xml = await src.domain.getXml({ uuid }, running ? 4 /* UPDATE_CPU */ : 2 /* INACTIVE */);
  const facts = guestFacts(xml);
  const dst = hosts.destination;

  // Disks: the same file on the destination = shared storage.
  const disks: MigrationDisk[] = [];
  for (const d of facts.disks) {
    let pool: string | null = null;
    let sizeBytes: number | null = null;
    if (d.source && d.source.startsWith('/')) {
      try {
        const vol = await src.storageVolume.lookup({ path: d.source });
        pool = vol.pool;
        const info = await src.storageVolume.getInfo(vol).catch(() => null);
        sizeBytes = info ? Number(info.allocation) : null;
      } catch {
        // not in a pool
      }
    }
    let shared = false;
    if (dst && d.source && d.source.startsWith('/') && d.copyable) {
      const [here, there] = await Promise.all([statOverSsh(hosts.source.ssh, d.source), statOverSsh(dst.ssh, d.source)]);
      shared = here !== null && here === there;
    }
    disks.push({ ...d, pool, sizeBytes, shared });
  }
  const defaults = defaultOptions(running, disks);
  const options = requested ?? defaults;
  const checks: MigrationCheck[] = [];

  if (options.mode === 'live' && !running) checks.push(block('state', 'check.notRunning'));
  else if (options.mode === 'offline' && running) checks.push(warn('state', 'check.offlineRunning'));
  else checks.push(ok('state', running ? 'check.running' : 'check.shutOff'));
  if (options.mode === 'offline' && !options.persistDest) checks.push(block('options', 'check.offlineNeedsPersist'));
  if (options.mode === 'offline' && options.copyStorage !== 'none') checks.push(block('options', 'check.offlineNoCopy'));
  if (options.undefineSource && !options.persistDest) checks.push(warn('options', 'check.undefineWithoutPersist'));
  if (options.route === 'peer2peer' && !options.peerUri) checks.push(block('route', 'check.peerUriMissing'));
  if (options.route === 'relayed' && (!hosts.source.ssh || (dst && !dst.ssh))) checks.push(block('route', 'check.relayNeedsSsh'));

  let copy: string[] = [];
  try {
    copy = disksToCopy(options, disks);
  } catch (err) {
    checks.push(block('storage', 'check.diskUnknown', { detail: errorText(err) }));
  }

  if (!dst) return { facts, running, paused, disks, checks, defaults };
  const dl = dst.libvirt;

  // The name and UUID on the destination.
  const there = await dl.domain.list().catch(() => []);
  const sameUuid = there.find((d) => d.uuid.toLowerCase() === facts.uuid.toLowerCase());
  const sameName = there.find((d) => d.name === facts.name);
  const stateThere = sameUuid && sameUuid.id > 0 ? await dl.domain.getState({ uuid: facts.uuid }).catch(() => null) : null;
  // A paused incoming guest left by an earlier migration: removed before this one begins (when the source
  // still runs the guest with no job on it), so it does not stand in the way.
  if (sameUuid && sameUuid.id > 0 && isLeftoverIncoming(stateThere))
    checks.push(warn('name', 'check.leftoverIncoming', { name: sameUuid.name }));
  else if (sameUuid && sameUuid.id > 0) checks.push(block('name', 'check.runningThere', { name: sameUuid.name }));
  else if (sameName && sameName.uuid.toLowerCase() !== facts.uuid.toLowerCase())
    checks.push(block('name', 'check.nameTaken', { name: facts.name }));
  else if (sameUuid) checks.push(warn('name', 'check.definedThere', { name: sameUuid.name }));
  else checks.push(ok('name', 'check.nameFree', { name: facts.name }));

  // CPU: libvirt's comparison on the destination.
  if (!facts.cpuXml) checks.push(ok('cpu', 'check.cpuDefault'));
  else if (facts.cpuMode === 'host-passthrough') checks.push(warn('cpu', 'check.cpuPassthrough'));
  else {
    try {
      const result = await dl.migration.compareHypervisorCpu(facts.cpuXml, {
        arch: facts.arch ?? undefined,
        machine: facts.machine ?? undefined,
        virttype: facts.virtType,
      });
      if (result === 0) checks.push(block('cpu', 'check.cpuIncompatible'));
      else checks.push(ok('cpu', result === 1 ? 'check.cpuIdentical' : 'check.cpuSuperset'));
    } catch (err) {
      checks.push(block('cpu', 'check.cpuIncompatibleDetail', { detail: errorText(err) }));
    }
  }

  // Machine type: the destination's domain capabilities for that machine.
  if (facts.machine) {
    try {
      await dl.host.domainCapabilities({
        arch: facts.arch ?? undefined,
        machine: facts.machine,
        virttype: facts.virtType,
      });
      checks.push(ok('machine', 'check.machineOk', { machine: facts.machine }));
    } catch (err) {
      checks.push(block('machine', 'check.machineMissing', { machine: facts.machine, detail: errorText(err) }));
    }
  }

  // Networks and bridges.
  const missing: string[] = [];
  for (const name of facts.networks) {
    try {
      const net = await dl.network.lookup(name);
      if (!(await dl.network.isActive(net))) missing.push(`${name} (inactive)`);
    } catch {
      missing.push(name);
    }
  }
  for (const bridge of facts.bridges) {
    if (!dst.ssh) continue;
    const r = await dst.ssh.run(`test -d /sys/class/net/${shellQuote(bridge)}`, { timeoutMs: 10_000 }).catch(() => null);
    if (!r || r.code !== 0) missing.push(`bridge ${bridge}`);
  }
  if (missing.length > 0) checks.push(block('networks', 'check.networksMissing', { names: missing.join(', ') }));
  else if (facts.networks.length + facts.bridges.length > 0)
    checks.push(ok('networks', 'check.networksOk', { names: [...facts.networks, ...facts.bridges].join(', ') }));
  else checks.push(ok('networks', 'check.noNetworks'));

  // Storage: shared, copied (into a pool over the same directory), or a blocker.
  const copying = new Set(copy);
  for (const disk of disks) {
    if (!disk.copyable || disk.device !== 'disk') continue;
    if (disk.shared) {
      checks.push(ok('storage', 'check.diskShared', { target: disk.target, path: disk.source ?? '' }));
      continue;
    }
    if (!copying.has(disk.target)) {
      if (options.mode === 'live' || running)
        checks.push(block('storage', 'check.diskNotShared', { target: disk.target, path: disk.source ?? '' }));
      continue;
    }
    const path = disk.source ?? '';
    const existsThere = path.startsWith('/') && (await statOverSsh(dst.ssh, path)) !== null;
    if (existsThere) {
      checks.push(warn('storage', 'check.diskOverwrite', { target: disk.target, path }));
      continue;
    }
    if (options.copyStorage === 'incremental') {
      checks.push(block('storage', 'check.incrementalNeedsFile', { target: disk.target, path }));
      continue;
    }
    const dir = path.slice(0, path.lastIndexOf('/')) || '/';
    try {
      const pool = await dl.storagePool.lookupByTargetPath(dir);
      checks.push(ok('storage', 'check.diskCopied', { target: disk.target, path, pool: pool.name }));
    } catch {
      checks.push(block('storage', 'check.noPoolThere', { target: disk.target, dir }));
    }
  }

  // Memory.
  if (running && options.mode === 'live') {
    try {
      const free = Number(await dl.migration.nodeFreeMemory());
      if (free < facts.memoryBytes) checks.push(block('memory', 'check.memoryShort', { need: facts.memoryBytes, free }));
      else if (free < facts.memoryBytes * 1.1) checks.push(warn('memory', 'check.memoryTight', { need: facts.memoryBytes, free }));
      else checks.push(ok('memory', 'check.memoryOk', { need: facts.memoryBytes, free }));
    } catch (err) {
      checks.push(warn('memory', 'check.memoryUnknown', { detail: errorText(err) }));
    }
  }
  return { facts, running, paused, disks, checks, defaults };
}
