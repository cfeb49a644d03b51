/**
 * What every long job on a host shares (clone, backup, restore): its published state, the rate over the
 * last seconds and the time left, cancel requests, the clean-up state, and retries of clean-up calls while
 * the host is away or busy. Each area keeps its own job record (steps, phases, results) on top of
 * LongJobProgress (preload/contract/long-jobs.ts).
 */
import type { LongJobProgress } from '../../preload/api-contract';
import { LibvirtError, type LibvirtClient } from '../libvirt/client';
import { ApiFailure, toApiError } from './api-failure';
import { TransferRate, secondsLeftAt } from './transfer-rate';

/** Thrown at a job's next check after a cancel request. */
export class JobCancelled extends Error {
  constructor() {
    super('The job was cancelled');
    this.name = 'JobCancelled';
  }
}

/** What a job needs of its host: the libvirt client of the moment (a reconnect replaces it). */
export interface JobHost {
  /** Throws (ApiFailure not-found) while the host is not connected. */
  libvirt(): LibvirtClient;
}

export interface JobOptions {
  /** Between polls of the job's progress; published progress is at most twice as often. */
  pollMs?: number;
  /** How long the clean-up keeps trying while the host is away or libvirt is busy with the object. */
  cleanupPatienceMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The published job record of one long job and what changes it. */
export class LongJobState<J extends LongJobProgress> {
  cancelRequested = false;
  private lastPublish = 0;
  private readonly rate = new TransferRate(5_000, 400);
  readonly pollMs: number;
  readonly patienceMs: number;
  readonly sleep: (ms: number) => Promise<void>;

  /**
   * `copy`: a copy of the record to publish (its arrays and objects not shared); `atEnd`: resets the area's
   * own fields when the job ends (its step or phase).
   */
  constructor(
    readonly job: J,
    private readonly publish: (job: J) => void,
    private readonly copy: (job: J) => J,
    options: JobOptions & { defaultPatienceMs: number },
    private readonly atEnd: (job: J) => void = () => {},
  ) {
    this.pollMs = options.pollMs ?? 500;
    this.patienceMs = options.cleanupPatienceMs ?? options.defaultPatienceMs;
    this.sleep = options.sleep ?? delay;
  }

  snapshot(): J {
    return this.copy(this.job);
  }

  /** Publishes the record; `force` false: not again within half a poll interval. */
  emit(force = true): void {
    const now = Date.now();
    if (!force && now - this.lastPublish < this.pollMs / 2) return;
    this.lastPublish = now;
    this.publish(this.snapshot());
  }

  get finished(): boolean {
    return this.job.state === 'done' || this.job.state === 'failed' || this.job.state === 'cancelled';
  }

  start(): void {
    this.job.state = this.cancelRequested ? 'cancelling' : 'running';
    this.job.startedAt = Date.now();
    this.emit();
  }

  /** Asks the job to stop; returns at once (a queued job ends now, a running one at its next check). */
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
    this.atEnd(this.job);
    this.job.finishedAt = Date.now();
    this.job.bytesPerSecond = null;
    this.job.secondsLeft = state === 'done' ? 0 : null;
    this.job.error = error === null ? null : toApiError(error);
    this.emit();
  }

  /** Bytes done (of `bytesTotal`); the rate and time left follow, or `secondsLeftHint` where the host tells. */
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

  /**
   * Runs `action` with the host's client of the moment, again while the host is away or libvirt is busy
   * with the object (`busy`), up to the clean-up's patience.
   */
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
