/**
 * The clone and rename calls: plans and previews read the host; a clone runs as a job (one at a time per
 * host, so two copies never compete for the same disks and the host's connection keeps free call slots),
 * published on every change and kept for an hour after it ends. A start with a jobId already seen returns
 * that job instead of cloning again.
 */
import type { CloneJob, ClonePlan, ClonePreview, CloneRequest, RenameCheck } from '../../../preload/api-contract';
import type { LibvirtClient } from '../../libvirt/client';
import type { SshConnection } from '../../ssh';
import { ApiFailure } from '../api-failure';
import type { JobOptions } from '../long-job';
import { CloneJobRunner } from './clone-job';
import { clonePreviewOf, makeClonePlan, resolveCloneRequest } from './clone-plan';
import { TemporaryPools, fileStatFor, type FileStat } from './clone-storage';
import { renameCheck, renameDomain } from './rename';

export interface CloneHostAccess {
  /** The host's libvirt client now; throws ApiFailure `not-found` while the host is not connected. */
  libvirt(hostId: string): LibvirtClient;
  /** The host's SSH connection; null for this computer. */
  ssh(hostId: string): SshConnection | null;
}

const KEEP_FINISHED_MS = 3600_000;

export class DomainCloneService {
  private readonly jobs = new Map<string, CloneJobRunner>();
  private readonly tails = new Map<string, Promise<void>>();
  readonly pools = new TemporaryPools();

  constructor(
    private readonly hosts: CloneHostAccess,
    private readonly publish: (job: CloneJob) => void,
    private readonly jobOptions: JobOptions = {},
  ) {}

  private stat(hostId: string): FileStat {
    return fileStatFor(this.hosts.ssh(hostId));
  }

  async plan(hostId: string, uuid: string): Promise<ClonePlan> {
    return (await makeClonePlan(this.hosts.libvirt(hostId), hostId, uuid, this.stat(hostId))).plan;
  }

  private async resolve(request: CloneRequest) {
    const libvirt = this.hosts.libvirt(request.hostId);
    const stat = this.stat(request.hostId);
    const context = await makeClonePlan(libvirt, request.hostId, request.uuid, stat);
    return resolveCloneRequest(libvirt, context, request, stat);
  }

  async preview(request: CloneRequest): Promise<ClonePreview> {
    return clonePreviewOf(await this.resolve(request));
  }

  /** Checks the request (errors come back at once), then queues the clone behind the host's other clones. */
  async start(request: CloneRequest & { jobId: string }): Promise<CloneJob> {
    this.prune();
    const existing = this.jobs.get(request.jobId);
    if (existing) return existing.snapshot();
    for (const runner of this.jobs.values()) {
      if (!runner.finished && runner.job.hostId === request.hostId && runner.job.name === request.name.trim()) {
        throw new ApiFailure('conflict', `A clone named "${runner.job.name}" is already being made on this host`, { field: 'name' });
      }
    }
    const resolved = await this.resolve(request);
    const again = this.jobs.get(request.jobId);
    if (again) return again.snapshot();
    const runner = new CloneJobRunner(
      resolved,
      request.jobId,
      { libvirt: () => this.hosts.libvirt(request.hostId) },
      this.pools,
      this.publish,
      this.jobOptions,
    );
    this.jobs.set(request.jobId, runner);
    const previous = this.tails.get(request.hostId) ?? Promise.resolve();
    const tail = previous.then(() => runner.run());
    this.tails.set(request.hostId, tail);
    void tail.finally(() => {
      if (this.tails.get(request.hostId) === tail) this.tails.delete(request.hostId);
    });
    return runner.snapshot();
  }

  cancel(jobId: string): CloneJob {
    const runner = this.jobs.get(jobId);
    if (!runner) throw new ApiFailure('not-found', 'No such clone');
    runner.cancel();
    return runner.snapshot();
  }

  list(): CloneJob[] {
    this.prune();
    return [...this.jobs.values()].map((runner) => runner.snapshot());
  }

  /** Resolves when the job has ended (tests). */
  async settled(jobId: string): Promise<CloneJob> {
    const runner = this.jobs.get(jobId);
    if (!runner) throw new ApiFailure('not-found', 'No such clone');
    while (!runner.finished) await new Promise((resolve) => setTimeout(resolve, 50));
    return runner.snapshot();
  }

  renameCheck(hostId: string, uuid: string): Promise<RenameCheck> {
    return renameCheck(this.hosts.libvirt(hostId), hostId, uuid);
  }

  rename(hostId: string, uuid: string, from: string, name: string): Promise<{ name: string }> {
    return renameDomain(this.hosts.libvirt(hostId), hostId, uuid, from, name);
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, runner] of this.jobs) {
      if (runner.finished && (runner.job.finishedAt ?? now) < now - KEEP_FINISHED_MS) this.jobs.delete(id);
    }
  }
}
