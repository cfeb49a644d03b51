/**
 * What a backup or restore job shares: its published state, the rate over the last seconds and the time
 * left, cancel requests, and retries of clean-up calls while the host is away or busy.
 */
import type { BackupJob, BackupPhase } from '../../../preload/api-contract';
import { LibvirtError, type LibvirtClient } from '../../libvirt/client';
import { ApiFailure, toApiError } from '../api-failure';
import { TransferRate, secondsLeftAt } from '../transfer-rate';


export class JobCancelled extends Error {
  constructor() {
    super('The job was cancelled');
    this.name = 'JobCancelled';
  }
}

export interface JobHost {
  /** The host's libvirt client of the moment; throws ApiFailure not-found while it is not connected. */
  libvirt(): LibvirtClient;
}

export interface JobOptions {
  pollMs?: number;
  cleanupPatienceMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class JobState {
  readonly job: BackupJob;
  cancelRequested = false;
  private lastPublish = 0;
  private readonly rate = new TransferRate(5_000, 400);
  readonly pollMs: number;
  readonly patienceMs: number;
  readonly sleep: (ms: number) => Promise<void>;

  constructor(
    init: Pick<BackupJob, 'jobId' | 'hostId' | 'uuid' | 'vmName' | 'operation' | 'label'>,
    private readonly publish: (job: BackupJob) => void,
    options: JobOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 500;
    this.patienceMs = options.cleanupPatienceMs ?? 3600_000;
    this.sleep = options.sleep ?? delay;
    this.job = {
      ...init,
      state: 'queued',
      phase: null,
      bytesDone: 0,
      bytesTotal: null,
      bytesPerSecond: null,
      secondsLeft: null,
      startedAt: Date.now(),
      finishedAt: null,
      startedPaused: false,
      result: null,
      error: null,
      leftovers: [],
    };
  }

  snapshot(): BackupJob {
    return { ...this.job, leftovers: [...this.job.leftovers], result: this.job.result && { ...this.job.result } };
  }

  emit(force = true): void {
    const now = Date.now();
    if (!force && now - this.lastPublish < this.pollMs / 2) return;
    this.lastPublish = now;
    this.publish(this.snapshot());
  }

  get finished(): boolean {
    return this.job.state === 'done' || this.job.state === 'failed' || this.job.state === 'cancelled';
  }

  phase(phase: BackupPhase): void {
    this.job.phase = phase;
    this.emit();
  }

  start(): void {
    this.job.state = this.cancelRequested ? 'cancelling' : 'running';
    this.job.startedAt = Date.now();
    this.emit();
  }

  /** Asks the job to stop; returns at once. */
  cancel(): void {
    if (this.finished) return;
    this.cancelRequested = true;
    if (this.job.state === 'queued') {
      this.finish('cancelled', null);
      return;
    }
    if (this.job.state === 'running') {
      this.job.state = 'cancelling';
      this.emit();
    }
  }

  checkCancelled(): void {
    if (this.cancelRequested) throw new JobCancelled();
  }

  cleaning(): void {
    this.job.state = 'cleaning';
    this.job.bytesPerSecond = null;
    this.job.secondsLeft = null;
    this.emit();
  }

  finish(state: 'done' | 'failed' | 'cancelled', error: unknown): void {
    this.job.state = state;
    this.job.phase = null;
    this.job.finishedAt = Date.now();
    this.job.bytesPerSecond = null;
    this.job.secondsLeft = state === 'done' ? 0 : null;
    this.job.error = error === null ? null : toApiError(error);
    this.emit();
  }

  progress(bytesDone: number, bytesTotal: number | null, secondsLeftHint: number | null = null): void {
    const now = Date.now();
    this.job.bytesDone = bytesDone;
    this.job.bytesTotal = bytesTotal;
    const rate = this.rate.sample(bytesDone, now);
    if (rate !== null) {
      this.job.bytesPerSecond = rate;
      this.job.secondsLeft = secondsLeftHint ?? secondsLeftAt(bytesTotal, bytesDone, rate);
    }
    this.emit(false);
  }

  /** Runs `action` again while the host is away or libvirt is busy (`busy`), up to the clean-up's patience. */
  async retrying<T>(host: JobHost, action: (libvirt: LibvirtClient) => Promise<T>, busy: (error: LibvirtError) => boolean = () => false): Promise<T> {
    const deadline = Date.now() + this.patienceMs;
    let wait = 500;
    for (;;) {
      try {
        return await action(host.libvirt());
      } catch (error) {
        const transient = error instanceof LibvirtError ? busy(error) : !(error instanceof ApiFailure) || error.code === 'not-found';
        if (!transient || Date.now() > deadline) throw error;
      }
      await this.sleep(wait);
      wait = Math.min(wait * 2, 10_000);
    }
  }
}
