/**
 * The backups calls: what the host supports and what exists (manifests and checkpoints), previews of a
 * backup (the XML libvirt gets) and a restore (the new guest's XML), backups and restores as jobs (one per
 * guest at a time, published on every change, kept for an hour), and deleting a backup with the ones
 * built on it and their checkpoints.
 */
import type {
  BackupEntry,
  BackupJob,
  BackupOverview,
  BackupPreview,
  BackupRequest,
  BackupSupport,
  CheckpointEntry,
  RestorePreview,
  RestoreRequest,
} from '../../../preload/api-contract';
import { isLibvirtError, type LibvirtClient } from '../../libvirt/client';
import {
  virConnectListAllStoragePoolsFlags,
  virDomainCreateFlags,
  virDomainState,
  virDomainXMLFlags,
  virErrorNumber,
} from '../../libvirt/protocol';
import type { SshConnection } from '../../ssh';
import { ApiFailure } from '../api-failure';
import { TemporaryPools } from '../domain-clone/clone-storage';
import { attribute, first, parseXml, textOf } from '../domain-tuning/xml-edit';
import { BackupJobRunner, backupDocuments, type ResolvedBackup } from './backup-job';
import {
  BACKUP_API_VERSION,
  backupDiskPlan,
  backupFeature,
  backupSupport,
  backupFileName,
  capabilitiesQuery,
  checkDomainName,
  checkpointsPossible,
  parseCheckpointXml,
  restoredDomainXml,
  stamp,
} from './backup-xml';
import { checkHostPath, hostShellFor, runOk, shellQuote, type HostShell } from './host-shell';
import type { JobOptions } from '../long-job';
import { chainOf, dependentsOf, guestDirectory, readManifests, toEntry, type BackupManifest } from './manifest';
import { RestoreJobRunner, type ResolvedRestore } from './restore-job';

export interface BackupHostAccess {
  libvirt(hostId: string): LibvirtClient;
  ssh(hostId: string): SshConnection | null;
}

const KEEP_FINISHED_MS = 3600_000;

type Runner = BackupJobRunner | RestoreJobRunner;

interface GuestFacts {
  name: string;
  running: boolean;
  xml: string;
  support: BackupSupport;
  plan: ReturnType<typeof backupDiskPlan>;
  pools: BackupOverview['pools'];
  defaultDirectory: string | null;
}

export class DomainBackupsService {
  private readonly jobs = new Map<string, Runner>();
  readonly pools = new TemporaryPools();

  constructor(
    private readonly hosts: BackupHostAccess,
    private readonly publish: (job: BackupJob) => void,
    private readonly jobOptions: JobOptions = {},
  ) {}

  private shell(hostId: string): HostShell {
    return hostShellFor(this.hosts.ssh(hostId));
  }

  private async facts(hostId: string, uuid: string): Promise<GuestFacts> {
    const libvirt = this.hosts.libvirt(hostId);
    const shell = this.shell(hostId);
    const ref = { uuid };
    const [domain, info, state, inactiveXml] = await Promise.all([
      libvirt.domain.lookup(ref),
      libvirt.host.connectInfo(),
      libvirt.domain.getState(ref),
      libvirt.domain.getXml(ref, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE),
    ]);
    const running = state.state !== virDomainState.VIR_DOMAIN_SHUTOFF;
    const xml = running ? await libvirt.domain.getXml(ref) : inactiveXml;
    const compat = new Map<string, string | null>();
    for (const disk of backupDiskPlan(xml)) {
      if (!disk.included || disk.format !== 'qcow2' || !disk.source?.startsWith('/')) continue;
      try {
        const volXml = await libvirt.storageVolume.getXml({ path: disk.source });
        compat.set(disk.source, textOf(first(first(parseXml(volXml, 'The volume XML').root, 'target'), 'compat')));
      } catch {
        compat.set(disk.source, null);
      }
    }
    const plan = backupDiskPlan(xml, (path) => compat.get(path) ?? null);
    const qemuImg = (await shell.run('command -v qemu-img', { timeoutMs: 15_000 }).catch(() => ({ code: 1 }))).code === 0;
    let feature: boolean | null = null;
    if (info.libVersionNumber >= BACKUP_API_VERSION) {
      try {
        feature = backupFeature(await libvirt.host.domainCapabilities(capabilitiesQuery(inactiveXml)));
      } catch {
        feature = null;
      }
    }
    const support = backupSupport(info.libVersionNumber, feature, plan, qemuImg);
    const pools: BackupOverview['pools'] = [];
    let defaultDirectory: string | null = null;
    for (const pool of await libvirt.storagePool.list(virConnectListAllStoragePoolsFlags.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE)) {
      if (pool.name.startsWith('virtdeck-clone-')) continue;
      try {
        const root = parseXml(await libvirt.storagePool.getXml(pool), 'The pool XML').root;
        const type = attribute(root, 'type') ?? 'unknown';
        const path = textOf(first(first(root, 'target'), 'path'));
        pools.push({ name: pool.name, type, path });
      } catch {
        // A pool that went away meanwhile.
      }
    }
    pools.sort((a, b) => a.name.localeCompare(b.name));
    const dirPool = pools.find((p) => p.type === 'dir' && p.path);
    if (dirPool?.path) defaultDirectory = `${dirPool.path}/backups`;
    return { name: domain.name, running, xml, support, plan, pools, defaultDirectory };
  }

  private async manifests(hostId: string, facts: GuestFacts, directories: readonly string[]): Promise<{ bases: string[]; found: Map<string, BackupManifest> }> {
    const bases = [...new Set([...(facts.defaultDirectory ? [facts.defaultDirectory] : []), ...directories.map((d) => checkHostPath(d))])];
    const found = new Map<string, BackupManifest>();
    for (const { directory, manifest } of await readManifests(this.shell(hostId), bases, facts.name)) found.set(directory, manifest);
    return { bases, found };
  }

  private async checkpoints(libvirt: LibvirtClient, uuid: string): Promise<Array<Omit<CheckpointEntry, 'backup'>>> {
    const names = await libvirt.checkpoint.list({ uuid });
    const out: Array<Omit<CheckpointEntry, 'backup'>> = [];
    for (const name of names) {
      try {
        out.push(parseCheckpointXml(await libvirt.checkpoint.getXml({ uuid }, name)));
      } catch (error) {
        if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_DOMAIN_CHECKPOINT)) throw error;
      }
    }
    return out.sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
  }

  async overview(hostId: string, uuid: string, directories: readonly string[] = []): Promise<BackupOverview> {
    const libvirt = this.hosts.libvirt(hostId);
    const facts = await this.facts(hostId, uuid);
    const { bases, found } = await this.manifests(hostId, facts, directories);
    const checkpoints = facts.support.supported ? await this.checkpoints(libvirt, uuid) : [];
    const names = new Set(checkpoints.map((c) => c.name));
    const ours = new Map([...found].filter(([, m]) => m.vm.uuid === uuid));
    const backups: BackupEntry[] = [...ours].map(([dir, m]) => toEntry(dir, m, names, ours));
    const parent = this.incrementalParent(backups);
    const busy = this.activeJob(hostId, uuid) !== null;
    return {
      hostId,
      uuid,
      name: facts.name,
      running: facts.running,
      support: facts.support,
      disks: facts.plan,
      defaultDirectory: facts.defaultDirectory,
      directories: bases,
      backups,
      checkpoints: checkpoints.map((c) => ({ ...c, backup: backups.find((b) => b.checkpoint === c.name)?.directory ?? null })),
      canFull: facts.support.supported && !busy,
      canIncremental: facts.support.supported && !busy && parent !== null && checkpointsPossible(facts.plan),
      incrementalParent: parent?.directory ?? null,
      pools: facts.pools,
    };
  }

  /** The latest backup whose checkpoint the guest still has: where an incremental starts. */
  private incrementalParent(backups: readonly BackupEntry[]): BackupEntry | null {
    const candidates = backups.filter((b) => b.checkpointExists);
    return candidates.at(-1) ?? null;
  }

  private activeJob(hostId: string, uuid: string): Runner | null {
    for (const runner of this.jobs.values()) {
      if (!runner.state.finished && runner.state.job.hostId === hostId && runner.state.job.uuid === uuid) return runner;
    }
    return null;
  }

  private async resolveBackup(request: BackupRequest): Promise<ResolvedBackup> {
    const base = checkHostPath(request.directory);
    const facts = await this.facts(request.hostId, request.uuid);
    if (!facts.support.supported) {
      throw new ApiFailure('conflict', `Backups of ${facts.name} are not possible on this host (${facts.support.reason?.key ?? 'unsupported'})`);
    }
    const now = Date.now();
    const withCheckpoint = checkpointsPossible(facts.plan);
    let parent: ResolvedBackup['parent'] = null;
    if (request.kind === 'incremental') {
      const { found } = await this.manifests(request.hostId, facts, [base]);
      const libvirt = this.hosts.libvirt(request.hostId);
      const names = new Set(await libvirt.checkpoint.list({ uuid: request.uuid }));
      const ours = new Map([...found].filter(([, m]) => m.vm.uuid === request.uuid));
      const entry = this.incrementalParent([...ours].map(([dir, m]) => toEntry(dir, m, names, ours)));
      if (!entry || !entry.checkpoint || !withCheckpoint) {
        throw new ApiFailure('conflict', `${facts.name} has no backup with a checkpoint to start an incremental backup from; make a full backup first`, { field: 'kind' });
      }
      parent = {
        checkpoint: entry.checkpoint,
        directory: entry.directory,
        files: Object.fromEntries(entry.disks.map((d) => [d.target, d.file])),
      };
      for (const disk of facts.plan.filter((d) => d.included)) {
        if (!parent.files[disk.target]) throw new ApiFailure('conflict', `Disk ${disk.target} is not in the last backup; make a full backup first`, { field: 'kind' });
      }
    }
    return {
      hostId: request.hostId,
      uuid: request.uuid,
      vmName: facts.name,
      kind: request.kind,
      directory: `${guestDirectory(base, facts.name)}/${stamp(now)}-${request.kind}`,
      plan: facts.plan,
      checkpoint: withCheckpoint ? `virtdeck-${stamp(now)}` : null,
      parent,
      startsPaused: !facts.running,
      qemuImg: facts.support.qemuImg,
    };
  }

  async preview(request: BackupRequest): Promise<BackupPreview> {
    const resolved = await this.resolveBackup(request);
    const docs = backupDocuments(resolved);
    return {
      directory: resolved.directory,
      backupXml: docs.backupXml,
      checkpointXml: docs.checkpointXml,
      parent: resolved.parent?.directory ?? null,
      startsPaused: resolved.startsPaused,
    };
  }

  async start(request: BackupRequest & { jobId: string }): Promise<BackupJob> {
    this.prune();
    const existing = this.jobs.get(request.jobId);
    if (existing) return existing.state.snapshot();
    if (this.activeJob(request.hostId, request.uuid)) throw new ApiFailure('conflict', 'A backup or restore of this guest is already running');
    const resolved = await this.resolveBackup(request);
    const again = this.jobs.get(request.jobId);
    if (again) return again.state.snapshot();
    if (this.activeJob(request.hostId, request.uuid)) throw new ApiFailure('conflict', 'A backup or restore of this guest is already running');
    const runner = new BackupJobRunner(
      resolved,
      request.jobId,
      { libvirt: () => this.hosts.libvirt(request.hostId), shell: () => this.shell(request.hostId) },
      this.publish,
      this.jobOptions,
    );
    this.jobs.set(request.jobId, runner);
    void runner.run();
    return runner.state.snapshot();
  }

  cancel(jobId: string): BackupJob {
    const runner = this.jobs.get(jobId);
    if (!runner) throw new ApiFailure('not-found', 'No such backup or restore');
    runner.state.cancel();
    return runner.state.snapshot();
  }

  list(): BackupJob[] {
    this.prune();
    return [...this.jobs.values()].map((runner) => runner.state.snapshot());
  }

  /** Resolves when the job has ended (tests). */
  async settled(jobId: string): Promise<BackupJob> {
    const runner = this.jobs.get(jobId);
    if (!runner) throw new ApiFailure('not-found', 'No such job');
    while (!runner.state.finished) await new Promise((resolve) => setTimeout(resolve, 50));
    return runner.state.snapshot();
  }

  /** The backup `directory` of this guest as its manifest says, with all the manifests beside it. */
  private async backupOf(hostId: string, uuid: string, directory: string) {
    const dir = checkHostPath(directory, 'backup');
    const facts = await this.facts(hostId, uuid);
    const base = dir.split('/').slice(0, -2).join('/') || '/';
    const { found } = await this.manifests(hostId, facts, [base]);
    const ours = new Map([...found].filter(([, m]) => m.vm.uuid === uuid));
    const manifest = ours.get(dir);
    if (!manifest) throw new ApiFailure('not-found', `${dir} is not a backup of ${facts.name}`, { field: 'backup' });
    return { dir, facts, manifest, ours };
  }

  private async resolveRestore(request: RestoreRequest): Promise<ResolvedRestore & { chain: string[]; notes: RestorePreview['notes'] }> {
    const name = checkDomainName(request.name);
    const { dir, facts, manifest, ours } = await this.backupOf(request.hostId, request.uuid, request.backup);
    const chain = chainOf(dir, ours);
    if (!chain) throw new ApiFailure('conflict', `A backup this one is based on is missing; ${dir} cannot be restored`, { field: 'backup' });
    if (chain.length > 1 && !chain.slice(1).every((d) => ours.get(d)?.chained)) {
      throw new ApiFailure('conflict', 'The incremental files were not chained (no qemu-img on the host when they were made); this backup cannot be restored', { field: 'backup' });
    }
    const libvirt = this.hosts.libvirt(request.hostId);
    try {
      await libvirt.domain.lookup({ name });
      throw new ApiFailure('conflict', `A guest named ${name} already exists on this host`, { field: 'name' });
    } catch (error) {
      if (error instanceof ApiFailure) throw error;
      if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_DOMAIN)) throw error;
    }
    if (!facts.pools.some((p) => p.name === request.pool)) throw new ApiFailure('not-found', `No active storage pool ${request.pool}`, { field: 'pool' });
    const volumes = manifest.disks.map((disk) => ({
      target: disk.target,
      name: `${name}-${backupFileName(disk.target)}`,
      fromFile: disk.file,
      estimateBytes: chain.reduce((sum, d) => sum + (ours.get(d)?.disks.find((x) => x.target === disk.target)?.sizeBytes ?? 0), 0),
      virtualBytes: disk.virtualBytes,
    }));
    for (const volume of volumes) {
      try {
        await libvirt.storageVolume.lookup({ pool: request.pool, name: volume.name });
        throw new ApiFailure('conflict', `Volume ${volume.name} already exists in ${request.pool}`, { field: 'name' });
      } catch (error) {
        if (error instanceof ApiFailure) throw error;
        if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL)) throw error;
      }
    }
    const { xml, notes } = restoredDomainXml(manifest.domainXml, {
      sourceName: manifest.vm.name,
      name,
      volumes: volumes.map((v) => ({ target: v.target, pool: request.pool, volume: v.name })),
    });
    return { hostId: request.hostId, uuid: request.uuid, vmName: facts.name, name, pool: request.pool, directory: dir, volumes, xml, chain, notes };
  }

  async restorePreview(request: RestoreRequest): Promise<RestorePreview> {
    const r = await this.resolveRestore(request);
    return {
      xml: r.xml,
      chain: r.chain,
      volumes: r.volumes.map((v) => ({ target: v.target, name: v.name, fromFile: v.fromFile, virtualBytes: v.virtualBytes })),
      notes: r.notes,
    };
  }

  async restore(request: RestoreRequest & { jobId: string }): Promise<BackupJob> {
    this.prune();
    const existing = this.jobs.get(request.jobId);
    if (existing) return existing.state.snapshot();
    const resolved = await this.resolveRestore(request);
    const again = this.jobs.get(request.jobId);
    if (again) return again.state.snapshot();
    for (const runner of this.jobs.values()) {
      if (!runner.state.finished && runner instanceof RestoreJobRunner && runner.resolved.hostId === request.hostId && runner.resolved.name === resolved.name) {
        throw new ApiFailure('conflict', `A guest named ${resolved.name} is already being restored`, { field: 'name' });
      }
    }
    const runner = new RestoreJobRunner(resolved, request.jobId, { libvirt: () => this.hosts.libvirt(request.hostId) }, this.pools, this.publish, this.jobOptions);
    this.jobs.set(request.jobId, runner);
    void runner.run();
    return runner.state.snapshot();
  }

  /** Deletes a backup, the backups built on it and their checkpoints (a shut-off guest is started paused for that). */
  async delete(hostId: string, uuid: string, directory: string, confirm: string): Promise<{ removed: string[] }> {
    const { dir, facts, ours } = await this.backupOf(hostId, uuid, directory);
    if (confirm !== facts.name) throw new ApiFailure('invalid-request', `Type the guest's name (${facts.name}) to confirm`, { field: 'confirm' });
    if (this.activeJob(hostId, uuid)) throw new ApiFailure('conflict', 'A backup or restore of this guest is running; wait for it to end');
    const doomed = [...dependentsOf(dir, ours).reverse(), dir];
    const libvirt = this.hosts.libvirt(hostId);
    const existing = new Set(await libvirt.checkpoint.list({ uuid }));
    const checkpoints = doomed.map((d) => ours.get(d)?.checkpoint).filter((c): c is string => !!c && existing.has(c));
    if (checkpoints.length > 0) await this.withActiveGuest(libvirt, uuid, async () => {
      for (const name of checkpoints) {
        try {
          await libvirt.checkpoint.delete({ uuid }, name, 0);
        } catch (error) {
          if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_DOMAIN_CHECKPOINT)) throw error;
        }
      }
    });
    const shell = this.shell(hostId);
    const removed: string[] = [];
    for (const d of doomed) {
      await runOk(shell, `rm -rf -- ${shellQuote(d)}`, `Removing ${d}`);
      removed.push(d);
    }
    return { removed };
  }

  /** Runs `action` with the guest running: a shut-off guest is started paused and stopped again. */
  private async withActiveGuest(libvirt: LibvirtClient, uuid: string, action: () => Promise<void>): Promise<void> {
    const { state } = await libvirt.domain.getState({ uuid });
    if (state !== virDomainState.VIR_DOMAIN_SHUTOFF) return action();
    await libvirt.domain.start({ uuid }, virDomainCreateFlags.VIR_DOMAIN_START_PAUSED);
    try {
      await action();
    } finally {
      await libvirt.domain.destroy({ uuid }).catch(() => undefined);
    }
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, runner] of this.jobs) {
      if (runner.state.finished && (runner.state.job.finishedAt ?? now) < now - KEEP_FINISHED_MS) this.jobs.delete(id);
    }
  }
}

