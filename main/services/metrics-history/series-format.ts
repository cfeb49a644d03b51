/**
 * The on-disk format of the metrics history: per entity (a host, or one VM) a directory of append-only
 * segment files with fixed-size little-endian rows, one file per tier and period:
 *
 *   raw-<periodStartMs>.seg   every tick:  f64 time, then f32 per metric (NaN = no value)
 *   1m-<periodStartMs>.seg    1-minute buckets  } f64 bucket start, then per metric:
 *   10m-<periodStartMs>.seg   10-minute buckets } f32 min, f32 avg, f32 max, f64 cumSum, f64 cumCount
 *
 * cumSum/cumCount are the running totals of the metric over every tick since the entity's history began
 * (including this bucket), so the average over any range is (cum(now) − cum(start)) / (count(now) −
 * count(start)): two lookups per entity, never a scan (the fleet table's "average over 30 days").
 * Periods rotate whole files out: bounds are by time, with at most one period of slack per tier.
 */

export type TierName = 'raw' | '1m' | '10m';

export interface TierSpec {
  name: TierName;
  /** Bucket width; 0 = every tick. */
  bucketMs: number;
  /** One file per period. */
  periodMs: number;
  /** Files whose period ended longer ago than this are deleted. */
  retentionMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const TIERS: Record<TierName, TierSpec> = {
  raw: { name: 'raw', bucketMs: 0, periodMs: HOUR, retentionMs: HOUR },
  '1m': { name: '1m', bucketMs: MINUTE, periodMs: 6 * HOUR, retentionMs: DAY },
  '10m': { name: '10m', bucketMs: 10 * MINUTE, periodMs: 5 * DAY, retentionMs: 30 * DAY },
};

export const BUCKET_TIERS = [TIERS['1m'], TIERS['10m']] as const;

export function rawRowBytes(metrics: number): number {
  return 8 + 4 * metrics;
}

export function bucketRowBytes(metrics: number): number {
  return 8 + 28 * metrics;
}

export function periodStart(tier: TierSpec, at: number): number {
  return Math.floor(at / tier.periodMs) * tier.periodMs;
}

export function segmentName(tier: TierSpec, start: number): string {
  return `${tier.name}-${start}.seg`;
}

/** `1m-1733400000000.seg` → { tier: '1m', start }; anything else → null. */
export function parseSegmentName(name: string): { tier: TierName; start: number } | null {
  const match = /^(raw|1m|10m)-(\d{1,15})\.seg$/.exec(name);
  if (!match) return null;
  return { tier: match[1] as TierName, start: Number(match[2]) };
}

/** A sample row: the time and one value per metric (NaN = none). */
export interface RawRow {
  t: number;
  values: Float64Array;
}

/** A bucket: its start, min/avg/max per metric (NaN when it had no value) and the running totals. */
export interface BucketRow {
  t: number;
  min: Float64Array;
  avg: Float64Array;
  max: Float64Array;
  cumSum: Float64Array;
  cumCount: Float64Array;
}

export function encodeRaw(row: RawRow): Buffer {
  const metrics = row.values.length;
  const buffer = Buffer.alloc(rawRowBytes(metrics));
  buffer.writeDoubleLE(row.t, 0);
  for (let i = 0; i < metrics; i++) buffer.writeFloatLE(row.values[i] ?? NaN, 8 + 4 * i);
  return buffer;
}

export function decodeRaw(buffer: Buffer, offset: number, metrics: number): RawRow {
  const values = new Float64Array(metrics);
  for (let i = 0; i < metrics; i++) values[i] = buffer.readFloatLE(offset + 8 + 4 * i);
  return { t: buffer.readDoubleLE(offset), values };
}

export function encodeBucket(row: BucketRow): Buffer {
  const metrics = row.avg.length;
  const buffer = Buffer.alloc(bucketRowBytes(metrics));
  buffer.writeDoubleLE(row.t, 0);
  for (let i = 0; i < metrics; i++) {
    const at = 8 + 28 * i;
    buffer.writeFloatLE(row.min[i] ?? NaN, at);
    buffer.writeFloatLE(row.avg[i] ?? NaN, at + 4);
    buffer.writeFloatLE(row.max[i] ?? NaN, at + 8);
    buffer.writeDoubleLE(row.cumSum[i] ?? 0, at + 12);
    buffer.writeDoubleLE(row.cumCount[i] ?? 0, at + 20);
  }
  return buffer;
}

export function decodeBucket(buffer: Buffer, offset: number, metrics: number): BucketRow {
  const row: BucketRow = {
    t: buffer.readDoubleLE(offset),
    min: new Float64Array(metrics),
    avg: new Float64Array(metrics),
    max: new Float64Array(metrics),
    cumSum: new Float64Array(metrics),
    cumCount: new Float64Array(metrics),
  };
  for (let i = 0; i < metrics; i++) {
    const at = offset + 8 + 28 * i;
    row.min[i] = buffer.readFloatLE(at);
    row.avg[i] = buffer.readFloatLE(at + 4);
    row.max[i] = buffer.readFloatLE(at + 8);
    row.cumSum[i] = buffer.readDoubleLE(at + 12);
    row.cumCount[i] = buffer.readDoubleLE(at + 20);
  }
  return row;
}

/** Only the running totals of a bucket row (what the range averages read). */
export function decodeCumulative(buffer: Buffer, offset: number, metric: number): { t: number; sum: number; count: number } {
  const at = offset + 8 + 28 * metric;
  return { t: buffer.readDoubleLE(offset), sum: buffer.readDoubleLE(at + 12), count: buffer.readDoubleLE(at + 20) };
}

/**
 * Downsampling into fixed buckets: min/avg/max per metric over the ticks of each bucket, and the running
 * totals. `add` returns the bucket it closed (the first tick of a later bucket closes the open one).
 */
export class Downsampler {
  private open: { t: number; min: Float64Array; max: Float64Array; sum: Float64Array; count: Float64Array } | null = null;
  readonly cumSum: Float64Array;
  readonly cumCount: Float64Array;

  constructor(
    readonly bucketMs: number,
    readonly metrics: number,
    /** Totals restored from the last stored bucket (history continues across restarts). */
    start?: { cumSum: Float64Array; cumCount: Float64Array },
  ) {
    this.cumSum = start ? Float64Array.from(start.cumSum) : new Float64Array(metrics);
    this.cumCount = start ? Float64Array.from(start.cumCount) : new Float64Array(metrics);
  }

  add(t: number, values: ArrayLike<number>): BucketRow | null {
    const bucket = Math.floor(t / this.bucketMs) * this.bucketMs;
    let closed: BucketRow | null = null;
    if (this.open && bucket !== this.open.t) {
      if (bucket < this.open.t) return null; // the clock went back: drop the tick rather than reorder
      closed = this.current();
      this.open = null;
    }
    if (!this.open) {
      const n = this.metrics;
      this.open = {
        t: bucket,
        min: new Float64Array(n).fill(Infinity),
        max: new Float64Array(n).fill(-Infinity),
        sum: new Float64Array(n),
        count: new Float64Array(n),
      };
    }
    for (let i = 0; i < this.metrics; i++) {
      const value = values[i];
      if (value === undefined || !Number.isFinite(value)) continue;
      const open = this.open;
      if (value < (open.min[i] ?? Infinity)) open.min[i] = value;
      if (value > (open.max[i] ?? -Infinity)) open.max[i] = value;
      open.sum[i] = (open.sum[i] ?? 0) + value;
      open.count[i] = (open.count[i] ?? 0) + 1;
      this.cumSum[i] = (this.cumSum[i] ?? 0) + value;
      this.cumCount[i] = (this.cumCount[i] ?? 0) + 1;
    }
    return closed;
  }

  /** The open bucket as a row so far (what a chart shows for "now"), or null. */
  current(): BucketRow | null {
    const open = this.open;
    if (!open) return null;
    const n = this.metrics;
    const row: BucketRow = {
      t: open.t,
      min: new Float64Array(n),
      avg: new Float64Array(n),
      max: new Float64Array(n),
      cumSum: Float64Array.from(this.cumSum),
      cumCount: Float64Array.from(this.cumCount),
    };
    for (let i = 0; i < n; i++) {
      const count = open.count[i] ?? 0;
      row.min[i] = count > 0 ? (open.min[i] ?? NaN) : NaN;
      row.max[i] = count > 0 ? (open.max[i] ?? NaN) : NaN;
      row.avg[i] = count > 0 ? (open.sum[i] ?? 0) / count : NaN;
    }
    return row;
  }
}
