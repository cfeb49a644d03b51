/**
 * One backup running on its host. The steps: make the backup's directory; start a shut-off guest paused
 * (libvirt 9.0's qemuBackupBegin refuses an inactive domain: "cannot perform disk backup for inactive
 * domain"); virDomainBackupBegin (push mode, qcow2 targets, a new checkpoint in the same transaction);
 * progress from virDomainGetJobStats (disk_processed / disk_total) until the job is gone, then its
 * completed stats say whether it worked; chain an incremental's files onto its parent's (qemu-img rebase
 * -u: libvirt writes the guest's live disk as their backing file); write the manifest; stop the guest
 * again if it was started for the backup.
 *
 * Cancel: virDomainAbortJob (libvirt removes a push backup's unfinished target files itself), then the
 * checkpoint made with it is deleted and the directory removed, so nothing half-made stays.
 */
import type { BackupDiskPlan, BackupJob } from '../../../preload/api-contract';
import { LibvirtError, getParam, isLibvirtError, paramNumber } from '../../libvirt/client';
import {
  virDomainCheckpointDeleteFlags,
  virDomainCreateFlags,
  virDomainGetJobStatsFlags,
  virDomainState,
  virDomainXMLFlags,
  virErrorNumber,
} from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { backupFileName, backupXml, checkpointXml } from './backup-xml';
import { runOk, shellQuote, type HostShell } from './host-shell';
import { JobCancelled, type JobHost, type JobOptions } from '../long-job';
import { JobState } from './job-progress';
import { writeManifest, type BackupManifest } from './manifest';

export interface ResolvedBackup {
  hostId: string;
  uuid: string;
  vmName: string;
  kind: 'full' | 'incremental';
  /** The backup's own directory (made by the job; must not exist). */
  directory: string;
  plan: BackupDiskPlan[];
  /** The checkpoint the job makes; null when the disks cannot carry one. */
  checkpoint: string | null;
  /** For an incremental: the parent's checkpoint and directory, and its disk files by target. */
  parent: { checkpoint: string; directory: string; files: Record<string, string> } | null;
  startsPaused: boolean;
  qemuImg: boolean;
}

export function backupDocuments(resolved: ResolvedBackup): { backupXml: string; checkpointXml: string | null } {
  return {
    backupXml: backupXml(resolved.plan, resolved.directory, resolved.parent?.checkpoint ?? null),
    checkpointXml: resolved.checkpoint
      ? checkpointXml(resolved.plan, resolved.checkpoint, `VirtDeck ${resolved.kind} backup to ${resolved.directory}`)
      : null,
  };
}

const JOB_NONE = 0;

export class BackupJobRunner {
  readonly state: JobState;

  constructor(
    readonly resolved: ResolvedBackup,
    jobId: string,
    private readonly host: JobHost & { shell(): HostShell },
    publish: (job: BackupJob) => void,
    options: JobOptions = {},
  ) {
    this.state = new JobState(
      { jobId, hostId: resolved.hostId, uuid: resolved.uuid, vmName: resolved.vmName, operation: 'backup', label: resolved.kind },
      publish,
      options,
    );
  }

  /** Runs the backup to its end (done, failed or cancelled); never throws. */
  async run(): Promise<void> {
    const s = this.state;
    if (s.finished) return;
    const ref = { uuid: this.resolved.uuid };
    let madeDirectory = false;
    let startedPaused = false;
    let begun: 'no' | 'yes' | 'maybe' = 'no';
    s.start();
    try {
      s.phase('starting');
      s.checkCancelled();
      const shell = this.host.shell();
      const parentDir = this.resolved.directory.slice(0, this.resolved.directory.lastIndexOf('/'));
      await runOk(shell, `mkdir -p ${shellQuote(parentDir)} && mkdir ${shellQuote(this.resolved.directory)}`, `Making ${this.resolved.directory}`);
      madeDirectory = true;
      const libvirt = this.host.libvirt();
      const domainXml = await libvirt.domain.getXml(ref, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE);
      const { state } = await libvirt.domain.getState(ref);
      if (state === virDomainState.VIR_DOMAIN_SHUTOFF) {
        if (!this.resolved.startsPaused) throw new ApiFailure('conflict', `${this.resolved.vmName} was shut off meanwhile; look at the backup again`);
        await libvirt.domain.start(ref, virDomainCreateFlags.VIR_DOMAIN_START_PAUSED);
        startedPaused = true;
        s.job.startedPaused = true;
        s.emit();
      }
      s.checkCancelled();
      const docs = backupDocuments(this.resolved);
      try {
        await libvirt.backup.begin(ref, docs.backupXml, docs.checkpointXml);
        begun = 'yes';
      } catch (error) {
        // libvirt refused (and rolled back); anything else (a lost connection) may have started it.
        if (!(error instanceof LibvirtError)) begun = 'maybe';
        throw error;
      }
      s.phase('copying');
      await this.watch();
      s.phase('finishing');
      const manifest = await this.finishFiles(shell, domainXml);
      await writeManifest(shell, this.resolved.directory, manifest);
      if (startedPaused) {
        await this.stopPaused();
        startedPaused = false;
      }
      s.job.result = { directory: this.resolved.directory };
      s.finish('done', null);
    } catch (error) {
      const cancelled = error instanceof JobCancelled || s.cancelRequested;
      s.cleaning();
      await this.cleanup(begun, madeDirectory, startedPaused);
      s.finish(cancelled ? 'cancelled' : 'failed', cancelled ? null : error);
    }
  }

  /** Polls the job until it is gone; aborts it on cancel. Throws when it failed or was cancelled. */
  private async watch(): Promise<void> {
    const s = this.state;
    const ref = { uuid: this.resolved.uuid };
    let aborted = false;
    for (;;) {
      // A dropped connection does not end the backup on the host: keep watching once it is back.
      const stats = await s.retrying(this.host, (libvirt) => libvirt.backup.jobStats(ref));
      const libvirt = this.host.libvirt();
      if (stats.type === JOB_NONE) break;
      const total = paramNumber(stats.params, 'disk_total');
      const processed = paramNumber(stats.params, 'disk_processed');
      if (total !== undefined && processed !== undefined) s.progress(processed, total);
      if (s.cancelRequested && !aborted) {
        aborted = true;
        await libvirt.backup.abortJob(ref).catch(() => undefined);
      }
      await s.sleep(s.pollMs);
    }
    const completed = await s.retrying(this.host, (libvirt) => libvirt.backup.jobStats(ref, virDomainGetJobStatsFlags.VIR_DOMAIN_JOB_STATS_COMPLETED));
    const success = getParam(completed.params, 'success');
    const total = paramNumber(completed.params, 'disk_total');
    const processed = paramNumber(completed.params, 'disk_processed');
    if (total !== undefined && processed !== undefined) s.progress(processed, total);
    if (s.cancelRequested) throw new JobCancelled();
    if (success?.value !== true) {
      const message = getParam(completed.params, 'errmsg');
      throw new ApiFailure('libvirt', `The backup failed${typeof message?.value === 'string' ? `: ${message.value}` : ''}`);
    }
  }

  /** Chains an incremental onto its parent's files and measures what was written. */
  private async finishFiles(shell: HostShell, domainXml: string): Promise<BackupManifest> {
    const r = this.resolved;
    const disks: BackupManifest['disks'] = [];
    let chained = false;
    for (const disk of r.plan.filter((d) => d.included)) {
      const file = `${r.directory}/${backupFileName(disk.target)}`;
      if (r.parent && r.qemuImg) {
        const parentFile = r.parent.files[disk.target];
        if (!parentFile) throw new ApiFailure('internal', `The parent backup has no file for ${disk.target}`);
        await runOk(shell, `qemu-img rebase -u -F qcow2 -b ${shellQuote(parentFile)} ${shellQuote(file)}`, `Chaining ${file} onto ${parentFile}`);
        chained = true;
      }
      const stat = (await runOk(shell, `env LC_ALL=C stat -c '%b %B' -- ${shellQuote(file)}`, `Measuring ${file}`)).trim().split(/\s+/).map(Number);
      let virtualBytes = 0;
      if (r.qemuImg) {
        const info = JSON.parse(await runOk(shell, `qemu-img info -U --output=json ${shellQuote(file)}`, `Reading ${file}`)) as { 'virtual-size'?: number };
        virtualBytes = info['virtual-size'] ?? 0;
      }
      disks.push({ target: disk.target, file, sizeBytes: (stat[0] ?? 0) * (stat[1] ?? 512), virtualBytes });
    }
    return {
      format: 'virtdeck-backup/1',
      kind: r.kind,
      vm: { name: r.vmName, uuid: r.uuid },
      createdAt: this.state.job.startedAt,
      completedAt: Date.now(),
      checkpoint: r.checkpoint,
      parent: r.parent?.directory ?? null,
      startedPaused: this.state.job.startedPaused,
      chained: r.parent ? chained : true,
      disks,
      domainXml,
    };
  }

  private async stopPaused(): Promise<void> {
    await this.state.retrying(this.host, async (libvirt) => {
      try {
        await libvirt.domain.destroy({ uuid: this.resolved.uuid });
      } catch (error) {
        if (!isLibvirtError(error, virErrorNumber.VIR_ERR_OPERATION_INVALID)) throw error; // already shut off
      }
    });
  }

  /** Removes what the backup made: the job, its checkpoint, its directory; stops a guest it started. */
  private async cleanup(begun: 'no' | 'yes' | 'maybe', madeDirectory: boolean, startedPaused: boolean): Promise<void> {
    const s = this.state;
    const ref = { uuid: this.resolved.uuid };
    if (begun !== 'no') {
      try {
        await s.retrying(this.host, async (libvirt) => {
          for (;;) {
            const stats = await libvirt.backup.jobStats(ref);
            if (stats.type === JOB_NONE) return;
            await libvirt.backup.abortJob(ref).catch(() => undefined);
            await s.sleep(s.pollMs);
          }
        });
      } catch {
        s.job.leftovers.push(`backup job of ${this.resolved.vmName}`);
      }
      if (this.resolved.checkpoint) {
        const name = this.resolved.checkpoint;
        try {
          await s.retrying(this.host, async (libvirt) => {
            const { state } = await libvirt.domain.getState(ref);
            const flags = state === virDomainState.VIR_DOMAIN_SHUTOFF ? virDomainCheckpointDeleteFlags.VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY : 0;
            await libvirt.checkpoint.delete(ref, name, flags);
          });
        } catch (error) {
          if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_DOMAIN_CHECKPOINT)) s.job.leftovers.push(`checkpoint ${name}`);
        }
      }
    }
    if (madeDirectory) {
      try {
        await runOk(this.host.shell(), `rm -rf -- ${shellQuote(this.resolved.directory)}`, `Removing ${this.resolved.directory}`);
      } catch {
        s.job.leftovers.push(this.resolved.directory);
      }
    }
    if (startedPaused) {
      try {
        await this.stopPaused();
      } catch {
        s.job.leftovers.push(`${this.resolved.vmName} still running (paused)`);
      }
    }
  }
}
