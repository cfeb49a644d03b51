/** A backup or restore job's published state: the shared long-job state plus the job's phase. */
import type { BackupJob, BackupPhase } from '../../../preload/api-contract';
import { LongJobState, type JobOptions } from '../long-job';

export class JobState extends LongJobState<BackupJob> {
  constructor(
    init: Pick<BackupJob, 'jobId' | 'hostId' | 'uuid' | 'vmName' | 'operation' | 'label'>,
    publish: (job: BackupJob) => void,
    options: JobOptions = {},
  ) {
    super(
      {
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
      },
      publish,
      (job) => ({ ...job, leftovers: [...job.leftovers], result: job.result && { ...job.result } }),
      { ...options, defaultPatienceMs: 3600_000 },
      (job) => {
        job.phase = null;
      },
    );
  }

  phase(phase: BackupPhase): void {
    this.job.phase = phase;
    this.emit();
  }
}
