/**
 * One clone running on its host: temporary pools, volume copies (libvirt's volume-from-volume copy,
 * whose progress is the new volume's allocation polled while the call runs) and overlays, the NVRAM
 * copy, then the definition. On failure or cancel everything it created is removed again.
 *
 * Cancel is honest about libvirt: virStorageVolCreateXMLFrom cannot be interrupted, and libvirt refuses
 * to delete a volume while it is being built. A cancel during a copy therefore waits for that copy to end
 * (the job says `cancelling`), then deletes it with everything else. If the connection drops during a
 * copy, the copy goes on on the host: the cleanup waits for the host to come back and for the copy to
 * end, then deletes it.
 */
import type { CloneJob, CloneStep } from '../../../preload/api-contract';
import { LibvirtError, isLibvirtError, type StorageVol } from '../../libvirt/client';
import { virDomainDefineFlags, virDomainUndefineFlagsValues, virErrorNumber } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { JobCancelled, LongJobState, type JobHost, type JobOptions } from '../long-job';
import { readPersistent } from '../domain-xml/domain-xml-store';
import { attribute, first, parseXml } from '../domain-tuning/xml-edit';
import { resolvedCloneXml, type ResolvedClone, type ResolvedDisk } from './clone-plan';
import { LINK_POOL_TYPES, baseName, escapeXml, type TemporaryPools } from './clone-storage';

const VIR_DOMAIN_SHUTOFF = 5;
const POLL_MS = 500;

interface Created {
  pool: string;
  name: string;
}

function volumeXml(name: string, options: { capacity?: number; format: string | null; sparse: boolean; backing?: { path: string; format: string | null } }): string {
  const lines = ['<volume>', `  <name>${escapeXml(name)}</name>`];
  if (options.capacity !== undefined) lines.push(`  <capacity unit='bytes'>${options.capacity}</capacity>`);
  // Allocation 0 asks a file pool for a sparse copy (the holes of the source stay holes).
  if (options.sparse) lines.push(`  <allocation unit='bytes'>0</allocation>`);
  if (options.format) lines.push('  <target>', `    <format type='${escapeXml(options.format)}'/>`, '  </target>');
  if (options.backing) {
    lines.push('  <backingStore>', `    <path>${escapeXml(options.backing.path)}</path>`);
    if (options.backing.format) lines.push(`    <format type='${escapeXml(options.backing.format)}'/>`);
    lines.push('  </backingStore>');
  }
  lines.push('</volume>', '');
  return lines.join('\n');
}

/** Runs one resolved clone; `job` is published on every change. */
export class CloneJobRunner {
  private readonly state: LongJobState<CloneJob>;

  constructor(
    readonly resolved: ResolvedClone,
    jobId: string,
    private readonly host: JobHost,
    private readonly pools: TemporaryPools,
    publish: (job: CloneJob) => void,
    options: JobOptions = {},
  ) {
    this.state = new LongJobState<CloneJob>(
      {
        jobId,
        hostId: resolved.plan.hostId,
        sourceUuid: resolved.plan.uuid,
        sourceName: resolved.plan.name,
        name: resolved.name,
        state: 'queued',
        stepIndex: null,
        steps: resolved.steps,
        bytesDone: 0,
        bytesTotal: resolved.bytesTotal,
        bytesPerSecond: null,
        secondsLeft: null,
        startedAt: Date.now(),
        finishedAt: null,
        result: null,
        error: null,
        leftovers: [],
      },
      publish,
      (job) => ({ ...job, steps: [...job.steps], leftovers: [...job.leftovers], result: job.result && { ...job.result } }),
      { pollMs: POLL_MS, ...options, defaultPatienceMs: 6 * 3600_000 },
      (job) => {
        job.stepIndex = null;
      },
    );
  }

  get job(): CloneJob {
    return this.state.job;
  }

  snapshot(): CloneJob {
    return this.state.snapshot();
  }

  /** Asks the job to stop; returns at once (a running copy ends first, then the cleanup runs). */
  cancel(): void {
    this.state.cancel();
  }

  get finished(): boolean {
    return this.state.finished;
  }

  private step(kind: CloneStep['kind'], match: (s: CloneStep) => boolean = () => true): void {
    const index = this.job.steps.findIndex((s) => s.kind === kind && match(s));
    this.job.stepIndex = index >= 0 ? index : this.job.stepIndex;
    this.state.emit();
  }

  private progress(bytesDone: number): void {
    this.state.progress(bytesDone, this.job.bytesTotal);
  }

  /** Runs the clone to its end (done, failed or cancelled); never throws. */
  async run(): Promise<void> {
    if (this.finished) return;
    const created: Created[] = [];
    const acquired: string[] = [];
    let defined: { uuid: string } | { name: string } | null = null;
    this.state.start();
    try {
      this.state.checkCancelled();
      await this.recheckSource();
      const poolOf = new Map<string, string>();
      for (const step of this.job.steps) {
        if (step.kind !== 'temporaryPool') continue;
        this.step('temporaryPool', (s) => s === step);
        const { pool } = await this.pools.acquire(this.host.libvirt(), this.job.hostId, step.directory);
        acquired.push(step.directory);
        poolOf.set(step.directory, pool.name);
        this.state.checkCancelled();
      }
      // Files in no pool are now volumes of the temporary pools: their sizes are known.
      const sources = new Map<string, { vol: StorageVol; allocation: number; capacity: number; format: string | null; poolType: string }>();
      for (const disk of this.resolved.disks) {
        if (disk.mode === 'share') continue;
        sources.set(disk.plan.target, await this.sourceVolume(disk, poolOf));
      }
      let nvramSource: { vol: StorageVol; allocation: number; poolType: string; format: string | null } | null = null;
      const nvram = this.resolved.nvram;
      if (nvram?.copy) {
        const storage = nvram.storage;
        const pool = storage.kind === 'volume' ? storage.pool : storage.kind === 'file' ? poolOf.get(storage.directory) : undefined;
        if (!pool) throw new ApiFailure('internal', `No pool for the NVRAM file ${nvram.from}`);
        const found = await this.volumeIn(pool, nvram.from);
        nvramSource = found;
      }
      const copies = this.resolved.disks.filter((d) => d.mode === 'copy');
      this.job.bytesTotal =
        copies.reduce((sum, d) => sum + (sources.get(d.plan.target)?.allocation ?? 0), 0) + (nvramSource?.allocation ?? 0);
      this.state.emit();

      const paths = new Map<string, string>();
      let doneBefore = 0;
      for (const disk of this.resolved.disks) {
        if (disk.mode === 'share' || disk.volumeName === null) continue;
        const source = sources.get(disk.plan.target);
        if (!source) throw new ApiFailure('internal', `No source volume for ${disk.plan.target}`);
        const pool = source.vol.pool;
        const name = disk.volumeName;
        if (disk.mode === 'copy') {
          this.step('copyVolume', (s) => s.kind === 'copyVolume' && s.target === disk.plan.target);
          const sparse = LINK_POOL_TYPES.has(source.poolType);
          const xml = volumeXml(name, { format: sparse ? source.format : null, sparse });
          await this.copyVolume(pool, name, xml, source.vol, created, doneBefore, source.allocation);
          doneBefore += source.allocation;
          this.progress(doneBefore);
        } else {
          this.step('linkVolume', (s) => s.kind === 'linkVolume' && s.target === disk.plan.target);
          const xml = volumeXml(name, {
            capacity: source.capacity,
            format: 'qcow2',
            sparse: false,
            backing: { path: (await this.host.libvirt().storageVolume.getPath(source.vol)), format: source.format ?? disk.plan.format },
          });
          await this.createVolume(pool, name, xml, created);
        }
        paths.set(disk.plan.target, await this.host.libvirt().storageVolume.getPath({ pool, name }));
        this.state.checkCancelled();
        await this.recheckSource(false);
      }
      let nvramPath: string | undefined;
      if (nvram && nvramSource) {
        this.step('copyNvram');
        const name = baseName(nvram.to);
        const xml = volumeXml(name, { format: LINK_POOL_TYPES.has(nvramSource.poolType) ? nvramSource.format : null, sparse: false });
        await this.copyVolume(nvramSource.vol.pool, name, xml, nvramSource.vol, created, doneBefore, nvramSource.allocation);
        doneBefore += nvramSource.allocation;
        this.progress(doneBefore);
        nvramPath = await this.host.libvirt().storageVolume.getPath({ pool: nvramSource.vol.pool, name });
        this.state.checkCancelled();
      }

      this.step('define');
      await this.recheckSource(false);
      const xml = resolvedCloneXml(this.resolved, paths, nvramPath);
      let domain;
      try {
        domain = await this.host.libvirt().domain.define(xml, virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE);
      } catch (error) {
        // A define lost with the connection may have happened: the cleanup looks for it by name.
        if (!(error instanceof LibvirtError)) defined = { name: this.resolved.name };
        throw error;
      }
      defined = { uuid: domain.uuid };
      this.state.checkCancelled();
      await this.releasePools(acquired);
      this.job.result = { uuid: domain.uuid, name: domain.name };
      this.state.finish('done', null);
    } catch (error) {
      const cancelled = error instanceof JobCancelled || this.state.cancelRequested;
      this.state.cleaning();
      await this.cleanup(created, acquired, defined);
      this.state.finish(cancelled ? 'cancelled' : 'failed', cancelled ? null : error);
    }
  }

  /** The source must still be shut off with the definition the plan was made from. */
  private async recheckSource(definition = true): Promise<void> {
    const libvirt = this.host.libvirt();
    const ref = { uuid: this.job.sourceUuid };
    const state = await libvirt.domain.getState(ref);
    if (state.state !== VIR_DOMAIN_SHUTOFF) {
      throw new ApiFailure('conflict', `${this.job.sourceName} was started while it was being cloned; the clone is removed`);
    }
    if (definition && (await readPersistent(libvirt, this.job.sourceUuid)) !== this.resolved.plan.basedOn) {
      throw new ApiFailure('conflict', `The definition of ${this.job.sourceName} changed since the clone was planned`);
    }
  }

  private async volumeIn(pool: string, path: string): Promise<{ vol: StorageVol; allocation: number; capacity: number; format: string | null; poolType: string }> {
    const libvirt = this.host.libvirt();
    let vol: StorageVol;
    try {
      vol = await libvirt.storageVolume.lookup({ path });
    } catch (error) {
      if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL)) throw error;
      throw new ApiFailure('not-found', `${path} is not in storage pool ${pool} (it may have been removed)`);
    }
    const [info, xml, poolXml] = await Promise.all([
      libvirt.storageVolume.getInfo(vol),
      libvirt.storageVolume.getXml(vol),
      libvirt.storagePool.getXml({ name: vol.pool }),
    ]);
    return {
      vol,
      allocation: Number(info.allocation),
      capacity: Number(info.capacity),
      format: attribute(first(first(parseXml(xml, 'The volume XML').root, 'target'), 'format'), 'type'),
      poolType: attribute(parseXml(poolXml, 'The pool XML').root, 'type') ?? 'unknown',
    };
  }

  private async sourceVolume(disk: ResolvedDisk, poolOf: ReadonlyMap<string, string>) {
    const storage = disk.plan.storage;
    if (storage.kind === 'volume') return this.volumeIn(storage.pool, storage.path);
    if (storage.kind === 'file') {
      const pool = poolOf.get(storage.directory);
      if (!pool) throw new ApiFailure('internal', `No pool over ${storage.directory}`);
      const found = await this.volumeIn(pool, storage.path);
      // The temporary pool is where the new volume goes: its name must be free there too.
      try {
        await this.host.libvirt().storageVolume.lookup({ pool: found.vol.pool, name: disk.volumeName ?? '' });
        throw new ApiFailure('conflict', `${disk.volumeName} already exists in ${storage.directory}`, { field: `disks.${disk.plan.target}` });
      } catch (error) {
        if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL)) throw error;
      }
      return found;
    }
    throw new ApiFailure('invalid-request', `Disk ${disk.plan.target} has no storage to copy`);
  }

  /** A volume that exists once libvirt answers; a call lost with the connection may still make it. */
  private async createVolume(pool: string, name: string, xml: string, created: Created[]): Promise<void> {
    try {
      await this.host.libvirt().storageVolume.create({ name: pool }, xml);
      created.push({ pool, name });
    } catch (error) {
      // libvirt refused (and made nothing); anything else (a lost connection) may have made it.
      if (!(error instanceof LibvirtError)) created.push({ pool, name });
      throw error;
    }
  }

  /** libvirt's copy, with the new volume's allocation polled for progress while the call runs. */
  private async copyVolume(
    pool: string,
    name: string,
    xml: string,
    source: StorageVol,
    created: Created[],
    doneBefore: number,
    total: number,
  ): Promise<void> {
    const libvirt = this.host.libvirt();
    let running = true;
    const poll = (async () => {
      while (running) {
        await this.state.sleep(this.state.pollMs);
        if (!running) break;
        try {
          const info = await this.host.libvirt().storageVolume.getInfo({ pool, name });
          if (running) this.progress(doneBefore + Math.min(total, Number(info.allocation)));
        } catch {
          // Not there yet, or the connection is busy: the next poll will tell.
        }
      }
    })();
    try {
      await libvirt.storageVolume.createFrom({ name: pool }, xml, source, 0, { timeoutMs: 0 });
      created.push({ pool, name });
    } catch (error) {
      if (!(error instanceof LibvirtError)) created.push({ pool, name });
      throw error;
    } finally {
      running = false;
      await poll;
    }
  }

  /** Gives the pools back after a clone that worked: a pool that will not go is reported, the clone stays. */
  private async releasePools(directories: string[]): Promise<void> {
    while (directories.length > 0) {
      const directory = directories.pop() as string;
      try {
        await this.state.retrying(this.host, async (libvirt) => this.pools.release(libvirt, this.job.hostId, directory));
      } catch {
        this.job.leftovers.push(`temporary storage pool over ${directory}`);
      }
    }
  }

  /** Removes what the clone created; what cannot be removed is reported in `leftovers`. */
  private async cleanup(created: Created[], acquired: string[], defined: { uuid: string } | { name: string } | null): Promise<void> {
    if (defined) {
      try {
        const flags = this.resolved.nvram ? virDomainUndefineFlagsValues.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM : 0;
        await this.state.retrying(this.host, (libvirt) => libvirt.domain.undefine(defined, flags));
      } catch (error) {
        if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_DOMAIN)) this.job.leftovers.push(`domain ${this.resolved.name}`);
      }
    }
    for (const volume of [...created].reverse()) {
      try {
        await this.state.retrying(
          this.host,
          (libvirt) => libvirt.storageVolume.delete(volume),
          // libvirt refuses while the copy still runs ("still being allocated").
          (error) => error.code === virErrorNumber.VIR_ERR_OPERATION_INVALID && /being allocated|in use/.test(error.message),
        );
      } catch (error) {
        if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL)) this.job.leftovers.push(`${volume.pool}/${volume.name}`);
      }
    }
    for (const directory of [...acquired].reverse()) {
      try {
        await this.state.retrying(this.host, (libvirt) => this.pools.release(libvirt, this.job.hostId, directory));
      } catch {
        this.job.leftovers.push(`temporary storage pool over ${directory}`);
      }
    }
  }
}
