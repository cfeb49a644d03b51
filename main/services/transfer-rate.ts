/**
 * A long job's transfer rate over its last few seconds, and the time left at that rate: the "rate" and
 * "time left" of every progress line (clones, backups and restores, volume uploads and downloads).
 */
export class TransferRate {
  private readonly samples: Array<{ at: number; bytes: number }> = [];

  /**
   * @param windowMs how far back the rate looks (older samples are dropped, the two newest always kept)
   * @param minSpanMs the shortest span a rate is computed over (shorter spans give `null`)
   */
  constructor(
    private readonly windowMs: number,
    private readonly minSpanMs = 1,
  ) {}

  /** Records `bytesDone` at `now`; the rate in bytes per second over the window, or null while the span is too short. */
  sample(bytesDone: number, now = Date.now()): number | null {
    this.samples.push({ at: now, bytes: bytesDone });
    while (this.samples.length > 2 && (this.samples[0] as { at: number }).at < now - this.windowMs) this.samples.shift();
    const oldest = this.samples[0] as { at: number; bytes: number };
    const spanMs = now - oldest.at;
    if (spanMs < this.minSpanMs) return null;
    return Math.max(0, ((bytesDone - oldest.bytes) * 1000) / spanMs);
  }
}

/** Seconds until `bytesTotal` at `bytesPerSecond`; null when the total or a positive rate is unknown. */
export function secondsLeftAt(bytesTotal: number | null, bytesDone: number, bytesPerSecond: number | null): number | null {
  if (bytesTotal === null || bytesPerSecond === null || !(bytesPerSecond > 0)) return null;
  return Math.max(0, (bytesTotal - bytesDone) / bytesPerSecond);
}
