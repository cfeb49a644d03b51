/** What every long job on a host publishes (clone, backup, restore), beside its own steps and result. */
import type { ApiError } from './errors';

export type LongJobStateName = 'queued' | 'running' | 'cancelling' | 'cleaning' | 'done' | 'failed' | 'cancelled';

/** A long job's progress, kept after it ends for a while so a reopened window sees it. */
export interface LongJobProgress {
  state: LongJobStateName;
  bytesDone: number;
  bytesTotal: number | null;
  /** Rate over the last seconds. */
  bytesPerSecond: number | null;
  secondsLeft: number | null;
  startedAt: number;
  finishedAt: number | null;
  error: ApiError | null;
  /** What a failed or cancelled job could not remove from the host (paths, names); normally empty. */
  leftovers: string[];
}
