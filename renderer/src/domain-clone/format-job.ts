import type { CloneJob } from '../../../preload/api-contract';
import { formatBytes, formatRate } from '../format';

/** "1m 05s", "42s", "2h 03m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The numbers of a clone's progress, formatted: done/total, rate, time left (null when unknown). */
export function jobFigures(job: CloneJob): { done: string; total: string | null; rate: string | null; timeLeft: string | null; percent: number | null } {
  return {
    done: formatBytes(job.bytesDone),
    total: job.bytesTotal === null ? null : formatBytes(job.bytesTotal),
    rate: job.bytesPerSecond === null ? null : formatRate(job.bytesPerSecond),
    timeLeft: job.secondsLeft === null ? null : formatDuration(job.secondsLeft),
    percent: job.bytesTotal ? Math.min(100, (100 * job.bytesDone) / job.bytesTotal) : job.state === 'done' ? 100 : null,
  };
}

export const jobEnded = (job: CloneJob) => job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';
