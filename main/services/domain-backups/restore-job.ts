/**
 * One restore: each disk of a backup becomes a new volume in the chosen pool through libvirt's
 * volume-from-volume copy (qemu-img convert on the host, which reads an incremental file through its
 * chain of parents, so the new volume holds the whole disk), read from a temporary storage pool over the
 * backup's directory (the domain-clone area's TemporaryPools); progress is the new volume's allocation.
 * Then a new guest is defined on the volumes. On failure or cancel the volumes and the guest go again
 * (a copy running in libvirt cannot be interrupted: a cancel waits for it to end, then deletes it).
 */
import type { BackupJob } from '../../../preload/api-contract';
import { LibvirtError, isLibvirtError, type StorageVol } from '../../libvirt/client';
import { virDomainDefineFlags, virErrorNumber } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { escapeXml, type TemporaryPools } from '../domain-clone/clone-storage';
import { JobCancelled, type JobHost, type JobOptions } from '../long-job';
import { JobState } from './job-progress';

export interface ResolvedRestore {
  hostId: string;
  uuid: string;
  vmName: string;
  name: string;
  pool: string;
  /** The backup's directory (where the top files of the chain are). */
  directory: string;
  volumes: Array<{ target: string; name: string; fromFile: string; estimateBytes: number; virtualBytes: number }>;
  xml: string;
}

export class RestoreJobRunner {
  readonly state: JobState;

  constructor(
    readonly resolved: ResolvedRestore,
    jobId: string,
    private readonly host: JobHost,
    private readonly pools: TemporaryPools,
    publish: (job: BackupJob) => void,
    options: JobOptions = {},
  ) {
    this.state = new JobState(
      { jobId, hostId: resolved.hostId, uuid: resolved.uuid, vmName: resolved.vmName, operation: 'restore', label: resolved.name },
      publish,
      options,
    );
  }

  async run(): Promise<void> {
    const s = this.state;
    if (s.finished) return;
    const r = this.resolved;
    const created: Array<{ pool: string; name: string }> = [];
    let acquired = false;
    let defined: { uuid: string } | { name: string } | null = null;
    s.start();
    try {
      s.phase('starting');
      s.checkCancelled();
      const { pool: sourcePool } = await this.pools.acquire(this.host.libvirt(), r.hostId, r.directory);
      acquired = true;
      await this.host.libvirt().storagePool.refresh(sourcePool);
      const total = r.volumes.reduce((sum, v) => sum + v.estimateBytes, 0);
      s.progress(0, total);
      s.phase('copying');
      let doneBefore = 0;
      for (const volume of r.volumes) {
        s.checkCancelled();
        let source: StorageVol;
        try {
          source = await this.host.libvirt().storageVolume.lookup({ path: volume.fromFile });
        } catch (error) {
          if (isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL)) throw new ApiFailure('not-found', `${volume.fromFile} is gone from the backup`);
          throw error;
        }
        const xml = `<volume>\n  <name>${escapeXml(volume.name)}</name>\n  <allocation unit='bytes'>0</allocation>\n  <target>\n    <format type='qcow2'/>\n  </target>\n</volume>\n`;
        await this.copy(r.pool, volume.name, xml, source, created, doneBefore, total, volume.estimateBytes);
        doneBefore += volume.estimateBytes;
        s.progress(doneBefore, total);
      }
      s.checkCancelled();
      s.phase('defining');
      try {
        const domain = await this.host.libvirt().domain.define(r.xml, virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE);
        defined = { uuid: domain.uuid };
        s.job.result = { uuid: domain.uuid, name: domain.name };
      } catch (error) {
        if (!(error instanceof LibvirtError)) defined = { name: r.name };
        throw error;
      }
      s.checkCancelled();
      await this.release(acquired);
      acquired = false;
      s.finish('done', null);
    } catch (error) {
      const cancelled = error instanceof JobCancelled || s.cancelRequested;
      s.cleaning();
      await this.cleanup(created, defined);
      await this.release(acquired);
      if (cancelled) s.job.result = null;
      s.finish(cancelled ? 'cancelled' : 'failed', cancelled ? null : error);
    }
  }

  private async release(acquired: boolean): Promise<void> {
    if (!acquired) return;
    try {
      await this.state.retrying(this.host, (libvirt) => this.pools.release(libvirt, this.resolved.hostId, this.resolved.directory));
    } catch {
      this.state.job.leftovers.push(`temporary storage pool over ${this.resolved.directory}`);
    }
  }

  private async copy(
    pool: string,
    name: string,
    xml: string,
    source: StorageVol,
    created: Array<{ pool: string; name: string }>,
    doneBefore: number,
    total: number,
    estimate: number,
  ): Promise<void> {
    const s = this.state;
    let running = true;
    const poll = (async () => {
      while (running) {
        await s.sleep(s.pollMs);
        if (!running) break;
        try {
          const info = await this.host.libvirt().storageVolume.getInfo({ pool, name });
          if (running) s.progress(doneBefore + Math.min(estimate, Number(info.allocation)), total);
        } catch {
          // Not there yet.
        }
      }
    })();
    try {
      await this.host.libvirt().storageVolume.createFrom({ name: pool }, xml, source, 0, { timeoutMs: 0 });
      created.push({ pool, name });
    } catch (error) {
      if (!(error instanceof LibvirtError)) created.push({ pool, name });
      throw error;
    } finally {
      running = false;
      await poll;
    }
  }

  private async cleanup(created: Array<{ pool: string; name: string }>, defined: { uuid: string } | { name: string } | null): Promise<void> {
    const s = this.state;
    if (defined) {
      try {
        await s.retrying(this.host, (libvirt) => libvirt.domain.undefine(defined));
      } catch (error) {
        if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_DOMAIN)) s.job.leftovers.push(`domain ${this.resolved.name}`);
      }
    }
    for (const volume of [...created].reverse()) {
      try {
        await s.retrying(
          this.host,
          (libvirt) => libvirt.storageVolume.delete(volume),
          (error) => error.code === virErrorNumber.VIR_ERR_OPERATION_INVALID && /being allocated|in use/.test(error.message),
        );
      } catch (error) {
        if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL)) s.job.leftovers.push(`${volume.pool}/${volume.name}`);
      }
    }
  }
}
