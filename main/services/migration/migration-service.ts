/**
 * The migration calls: plans (destinations, disks, checks) read both hosts; a migration runs as a job,
 * one at a time per guest, published on every change and kept for an hour after it ends. A start with a
 * jobId already seen returns that job instead of migrating again.
 */
import type {
  MigrationJob,
  MigrationOptions,
  MigrationPlan,
  MigrationPlanRequest,
  MigrationStartRequest,
} from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import { MigrationJobRunner, type MigrationHost, type MigrationJobTimings } from './migration-job';
import { disksToCopy, planMigration, statOverSsh } from './migration-plan';

export interface MigrationHostsPort {
  /** The host's connection now, or null while it is not connected. */
  host(hostId: string): MigrationHost | null;
  /** Connected hosts (id and display name). */
  connected(): Promise<Array<{ hostId: string; name: string }>>;
}

const KEEP_FINISHED_MS = 3600_000;

export class MigrationService {
  private readonly jobs = new Map<string, MigrationJobRunner>();

  constructor(
    private readonly hosts: MigrationHostsPort,
    private readonly publish: (job: MigrationJob) => void,
    private readonly timings: MigrationJobTimings = {},
  ) {}

  private need(hostId: string): MigrationHost {
    const host = this.hosts.host(hostId);
    if (!host) throw new ApiFailure('not-found', 'The host is not connected');
    return host;
  }

  private destination(sourceHostId: string, destinationHostId: string | null): MigrationHost | null {
    if (destinationHostId === null) return null;
    if (destinationHostId === sourceHostId) throw new ApiFailure('invalid-request', 'The destination is the host the guest is on', { field: 'destinationHostId' });
    return this.need(destinationHostId);
  }

  async plan(request: MigrationPlanRequest): Promise<MigrationPlan> {
    const source = this.need(request.hostId);
    const destination = this.destination(request.hostId, request.destinationHostId);
    const result = await planMigration({ source, destination }, request.uuid, request.options);
    return {
      hostId: request.hostId,
      uuid: request.uuid,
      name: result.facts.name,
      running: result.running,
      memoryBytes: result.facts.memoryBytes,
      destinations: (await this.hosts.connected()).filter((h) => h.hostId !== request.hostId),
      destinationHostId: request.destinationHostId,
      disks: result.disks,
      checks: result.checks,
      options: result.defaults,
    };
  }

  /** Checks again (a blocker refuses the start with its reasons), then runs the job in the background. */
  async start(request: MigrationStartRequest): Promise<MigrationJob> {
    this.prune();
    const existing = this.jobs.get(request.jobId);
    if (existing) return existing.snapshot();
    for (const runner of this.jobs.values()) {
      const job = runner.snapshot();
      if (!runner.ended && job.uuid.toLowerCase() === request.uuid.toLowerCase())
        throw new ApiFailure('conflict', `${job.name} is already being migrated`);
    }
    const source = this.need(request.hostId);
    const destination = this.destination(request.hostId, request.destinationHostId) as MigrationHost;
    const options: MigrationOptions = request.options;
    const result = await planMigration({ source, destination }, request.uuid, options);
    const blockers = result.checks.filter((c) => c.status === 'blocker');
    if (blockers.length > 0)
      throw new ApiFailure(
        'conflict',
        `The migration cannot start: ${blockers.map((b) => `${b.id} (${b.message.key.replace(/^check\./, '')}${b.message.values ? ` ${JSON.stringify(b.message.values)}` : ''})`).join('; ')}`,
      );
    const copyDisks = disksToCopy(options, result.disks);
    // The copies the destination will create (no file there yet): removed again if the guest stays here.
    const createdOnDestination: string[] = [];
    for (const disk of result.disks)
      if (copyDisks.includes(disk.target) && disk.source?.startsWith('/') && (await statOverSsh(destination.ssh, disk.source)) === null)
        createdOnDestination.push(disk.source);
    const runner = new MigrationJobRunner(
      {
        jobId: request.jobId,
        sourceHostId: request.hostId,
        destinationHostId: request.destinationHostId,
        uuid: request.uuid,
        name: result.facts.name,
        options,
        running: result.running,
        paused: result.paused,
        copyDisks,
        createdOnDestination,
        verifiedSharedDisks: result.disks.some((d) => d.shared && !copyDisks.includes(d.target)),
      },
      { host: (hostId) => this.hosts.host(hostId) },
      this.publish,
      this.timings,
    );
    this.jobs.set(request.jobId, runner);
    void runner.run();
    return runner.snapshot();
  }

  private runner(jobId: string): MigrationJobRunner {
    const runner = this.jobs.get(jobId);
    if (!runner) throw new ApiFailure('not-found', 'No such migration');
    return runner;
  }

  cancel(jobId: string): Promise<MigrationJob> {
    return this.runner(jobId).cancel();
  }

  postCopy(jobId: string): Promise<MigrationJob> {
    return this.runner(jobId).startPostCopy();
  }

  list(): MigrationJob[] {
    this.prune();
    return [...this.jobs.values()].map((r) => r.snapshot());
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, runner] of this.jobs) {
      const job = runner.snapshot();
      if (runner.ended && job.finishedAt !== null && now - job.finishedAt > KEEP_FINISHED_MS) this.jobs.delete(id);
    }
  }
}
