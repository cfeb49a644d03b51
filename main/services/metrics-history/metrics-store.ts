import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AppendFiles } from './append-files';
import {
  BUCKET_TIERS,
  Downsampler,
  TIERS,
  bucketRowBytes,
  decodeBucket,
  decodeCumulative,
  decodeRaw,
  encodeBucket,
  encodeRaw,
  parseSegmentName,
  periodStart,
  rawRowBytes,
  segmentName,
  type BucketRow,
  type RawRow,
  type TierName,
  type TierSpec,
} from './series-format';

/** Which metrics an entity's files hold, in row order (stored beside them, so the list may grow later). */
interface EntityMeta {
  version: 1;
  metrics: string[];
}

const FORMAT_VERSION = 1;
/** Entities written at once by a flush. */
const FLUSH_CONCURRENCY = 16;
/** A flush runs at most this long before it lets the event loop run. */
const FLUSH_SLICE_MS = 5;

/** A stored entity: `host/<hostId>` or `vm/<hostId>/<uuid>` (also its directory under the store). */
export type EntityKey = string;

const DONE: Promise<void> = Promise.resolve();

const KEY_PATTERN = /^(host\/[a-z0-9-]{1,64}|vm\/[a-z0-9-]{1,64}\/[0-9a-f-]{36})$/;

export function isEntityKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

export interface ReadResult {
  tier: TierName;
  times: number[];
  /** Per metric (by name): avg, and min/max for buckets. Missing values are NaN. */
  avg: Map<string, number[]>;
  min: Map<string, number[]> | null;
  max: Map<string, number[]> | null;
}

/** A range's tier: the finest that keeps the points few (≤ ~1 800) and still covers its start. */
export function tierFor(from: number, to: number, now: number): TierSpec {
  const span = to - from;
  const slack = 2 * 60_000;
  if (span <= TIERS.raw.retentionMs + slack && from >= now - TIERS.raw.retentionMs - slack) return TIERS.raw;
  if (span <= TIERS['1m'].retentionMs + 30 * 60_000 && from >= now - TIERS['1m'].retentionMs - 30 * 60_000) return TIERS['1m'];
  return TIERS['10m'];
}

class EntitySeries {
  readonly raw: Buffer[] = [];
  readonly rawTimes: number[] = [];
  readonly buckets = new Map<TierName, { rows: BucketRow[] }>();
  readonly downsamplers = new Map<TierName, Downsampler>();
  /** Rows handed to a flush that has not finished (still shown to readers). */
  flushing: { raw: RawRow[]; buckets: Map<TierName, BucketRow[]> } = { raw: [], buckets: new Map() };
  pendingRaw: RawRow[] = [];
  pendingBuckets = new Map<TierName, BucketRow[]>();
  ready: Promise<void>;
  /** `ready` has resolved: rows go in at once. */
  loaded = false;
  lastAt = 0;

  /** Per tier, the segment this entity last appended to (its file stays open until the period rotates). */
  private readonly current = new Map<TierName, string>();

  constructor(
    readonly key: EntityKey,
    readonly dir: string,
    readonly metrics: readonly string[],
    private readonly files: AppendFiles,
  ) {
    this.ready = this.load();
    this.ready.then(
      () => (this.loaded = true),
      () => undefined,
    );
  }

  private async load(): Promise<void> {
    // mkdir says whether it made the directory: a new entity has no meta.json to read (a failed read per
    // entity, an error built for nothing, thousands of them when a large fleet starts).
    const created = await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const metaPath = join(this.dir, 'meta.json');
    const stored = created !== undefined ? null : await readFile(metaPath, 'utf8').then(
      (text) => {
        try {
          return JSON.parse(text) as EntityMeta;
        } catch {
          return null;
        }
      },
      () => null,
    );
    const same = stored?.version === FORMAT_VERSION && JSON.stringify(stored.metrics) === JSON.stringify(this.metrics);
    if (!same) {
      // A different metric list: the old files cannot be read with this row layout; start over.
      if (stored) {
        await this.files.closeIn(this.dir);
        await removeSegments(this.dir);
      }
      await writeFile(metaPath, `${JSON.stringify({ version: FORMAT_VERSION, metrics: this.metrics })}\n`, { mode: 0o600 });
    }
    for (const tier of BUCKET_TIERS) {
      const last = same ? await lastBucket(this.dir, tier, this.metrics.length) : null;
      this.downsamplers.set(
        tier.name,
        new Downsampler(tier.bucketMs, this.metrics.length, last ? { cumSum: last.cumSum, cumCount: last.cumCount } : undefined),
      );
      if (last) this.lastAt = Math.max(this.lastAt, last.t + tier.bucketMs - 1);
    }
    if (same) await this.replayOpenBuckets();
  }

  /**
   * Buckets still open when the app stopped were never written: rebuild them (and any that closed
   * unwritten) from the raw rows on disk after each tier's last stored bucket (raw covers the last hour,
   * longer than any open bucket), so a restart loses no ticks from the downsampled tiers.
   */
  private async replayOpenBuckets(): Promise<void> {
    const storedUpTo = new Map<TierName, number>();
    for (const tier of BUCKET_TIERS) {
      const last = await lastBucket(this.dir, tier, this.metrics.length);
      storedUpTo.set(tier.name, last ? last.t + tier.bucketMs : -Infinity);
    }
    const rowBytes = rawRowBytes(this.metrics.length);
    for (const start of await segments(this.dir, TIERS.raw)) {
      const data = await readSegment(join(this.dir, segmentName(TIERS.raw, start)), rowBytes);
      for (let offset = 0; offset + rowBytes <= data.length; offset += rowBytes) {
        const row = decodeRaw(data, offset, this.metrics.length);
        this.lastAt = Math.max(this.lastAt, row.t);
        for (const tier of BUCKET_TIERS) {
          if (row.t < (storedUpTo.get(tier.name) ?? Infinity)) continue;
          const closed = this.downsamplers.get(tier.name)?.add(row.t, row.values);
          if (closed) this.pendingBuckets.set(tier.name, [...(this.pendingBuckets.get(tier.name) ?? []), closed]);
        }
      }
    }
  }

  add(at: number, values: Float64Array): void {
    if (at <= this.lastAt) return; // never reorder rows (a restart within the same bucket, a clock step back)
    this.lastAt = at;
    this.pendingRaw.push({ t: at, values });
    for (const tier of BUCKET_TIERS) {
      const closed = this.downsamplers.get(tier.name)?.add(at, values);
      if (closed) {
        const list = this.pendingBuckets.get(tier.name) ?? [];
        list.push(closed);
        this.pendingBuckets.set(tier.name, list);
      }
    }
  }

  async flush(): Promise<number> {
    if (this.pendingRaw.length === 0 && this.pendingBuckets.size === 0) return 0;
    this.flushing = { raw: this.pendingRaw, buckets: this.pendingBuckets };
    this.pendingRaw = [];
    this.pendingBuckets = new Map();
    let bytes = 0;
    try {
      bytes += await this.appendRows(TIERS.raw, this.flushing.raw, encodeRaw, rawRowBytes(this.metrics.length));
      for (const tier of BUCKET_TIERS) {
        bytes += await this.appendRows(tier, this.flushing.buckets.get(tier.name) ?? [], encodeBucket, bucketRowBytes(this.metrics.length));
      }
    } finally {
      this.flushing = { raw: [], buckets: new Map() };
    }
    return bytes;
  }

  /**
   * One write per segment file (kept open between flushes); when a tier moves on to a new period, the
   * previous period's file is closed (it is complete).
   */
  private async appendRows<T extends { t: number }>(tier: TierSpec, rows: T[], encode: (row: T) => Buffer, rowBytes: number): Promise<number> {
    if (rows.length === 0) return 0;
    const byFile = new Map<number, Buffer[]>();
    for (const row of rows) {
      const start = periodStart(tier, row.t);
      const list = byFile.get(start) ?? [];
      list.push(encode(row));
      byFile.set(start, list);
    }
    let bytes = 0;
    for (const [start, buffers] of byFile) {
      const path = join(this.dir, segmentName(tier, start));
      const previous = this.current.get(tier.name);
      if (previous !== undefined && previous !== path) await this.files.close(previous);
      this.current.set(tier.name, path);
      const data = Buffer.concat(buffers);
      await this.files.append(path, data, rowBytes);
      bytes += data.length;
    }
    return bytes;
  }

  /** Rows not on disk yet (pending or being written). */
  unflushedRaw(): RawRow[] {
    return [...this.flushing.raw, ...this.pendingRaw];
  }

  unflushedBuckets(tier: TierName): BucketRow[] {
    const open = this.downsamplers.get(tier)?.current();
    return [...(this.flushing.buckets.get(tier) ?? []), ...(this.pendingBuckets.get(tier) ?? []), ...(open ? [open] : [])];
  }
}

async function segments(dir: string, tier: TierSpec): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .map(parseSegmentName)
    .filter((parsed): parsed is { tier: TierName; start: number } => parsed?.tier === tier.name)
    .map((parsed) => parsed.start)
    .sort((a, b) => a - b);
}

async function removeSegments(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (parseSegmentName(name)) await rm(join(dir, name), { force: true });
  }
}

/** Reads a whole segment, dropping a torn last row (a crash in the middle of an append). */
async function readSegment(path: string, rowBytes: number): Promise<Buffer> {
  try {
    const data = await readFile(path);
    return data.subarray(0, data.length - (data.length % rowBytes));
  } catch {
    return Buffer.alloc(0);
  }
}

async function lastBucket(dir: string, tier: TierSpec, metrics: number): Promise<BucketRow | null> {
  const starts = await segments(dir, tier);
  const rowBytes = bucketRowBytes(metrics);
  for (let i = starts.length - 1; i >= 0; i--) {
    const data = await readSegment(join(dir, segmentName(tier, starts[i] ?? 0)), rowBytes);
    if (data.length >= rowBytes) return decodeBucket(data, data.length - rowBytes, metrics);
  }
  return null;
}

/**
 * The metrics history on disk (see series-format.ts): one directory per entity, rows buffered in memory
 * and appended every `flushMs`, periods past their tier's retention deleted by `prune`.
 */
export class MetricsStore {
  private readonly entities = new Map<EntityKey, EntitySeries>();
  /** The segment files being appended, open between flushes (bounded; see append-files.ts). */
  readonly files: AppendFiles;
  private flushing: Promise<void> | null = null;
  /** Bytes appended since start (what the benchmark reports per day). */
  bytesWritten = 0;

  constructor(
    readonly root: string,
    private readonly now: () => number = Date.now,
    maxOpenFiles?: number,
  ) {
    this.files = new AppendFiles(maxOpenFiles);
  }

  private entity(key: EntityKey, metrics: readonly string[]): EntitySeries {
    let series = this.entities.get(key);
    if (!series || series.metrics !== metrics) {
      // Checked when the entity is made (a key in the map was checked then): the tick adds a row per
      // entity, and the pattern test per row was a visible part of the fleet tick's CPU profile.
      if (!isEntityKey(key)) throw new Error(`not an entity key: ${key}`);
      series = new EntitySeries(key, join(this.root, key), metrics, this.files);
      this.entities.set(key, series);
    }
    return series;
  }

  /**
   * One sample of an entity: values in the order of `metrics` (NaN where there is none). Once the
   * entity is loaded the row is added at once (no promise per row); before that, when it is.
   */
  add(key: EntityKey, metrics: readonly string[], at: number, values: Float64Array): Promise<void> {
    let series: EntitySeries;
    try {
      series = this.entity(key, metrics);
    } catch (error) {
      return Promise.reject(error);
    }
    if (series.loaded) {
      series.add(at, values);
      return DONE;
    }
    return series.ready.then(() => series.add(at, values));
  }

  /** Appends every buffered row to its segment file (one write per entity and file). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    this.flushing = (async () => {
      // Several entities at once (each entity's files in order): the writes go to libuv's pool in
      // batches instead of one round trip at a time, which costs less CPU per write as well as time.
      this.files.nextRound();
      const queue = [...this.entities.values()];
      let next = 0;
      let sliceStart = performance.now();
      const worker = async () => {
        while (next < queue.length) {
          // The writes are synchronous (see append-files.ts): give the event loop a turn every few ms.
          if (performance.now() - sliceStart > FLUSH_SLICE_MS) {
            await new Promise((resolve) => setImmediate(resolve));
            sliceStart = performance.now();
            if (next >= queue.length) break;
          }
          const series = queue[next++] as EntitySeries;
          try {
            const bytes = await series.flush();
            this.bytesWritten += bytes;
          } catch (error) {
            console.warn(`[metrics-history] writing ${series.key} failed: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(FLUSH_CONCURRENCY, queue.length) }, worker));
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Forgets an entity's in-memory state (its files stay until they expire). */
  forget(key: EntityKey): void {
    this.entities.delete(key);
    void this.files.closeIn(join(this.root, key));
  }

  /** Appends what is buffered and closes every open segment file (the app is stopping). */
  async close(): Promise<void> {
    await this.flush();
    await this.files.closeAll();
  }

  private async metaOf(key: EntityKey): Promise<string[] | null> {
    const live = this.entities.get(key);
    if (live) return [...live.metrics];
    try {
      const meta = JSON.parse(await readFile(join(this.root, key, 'meta.json'), 'utf8')) as EntityMeta;
      return meta.version === FORMAT_VERSION ? meta.metrics : null;
    } catch {
      return null;
    }
  }

  /** One entity's metrics over [from, to] at the tier the span calls for; reads only its own files. */
  async read(key: EntityKey, from: number, to: number, wanted?: readonly string[]): Promise<ReadResult> {
    const tier = tierFor(from, to, this.now());
    const metrics = (await this.metaOf(key)) ?? [];
    // Not sampled since the start: load it, so its buckets still open at the last exit are rebuilt.
    const series = this.entities.get(key) ?? (tier.bucketMs > 0 && metrics.length > 0 ? this.entity(key, metrics) : undefined);
    await series?.ready;
    const pick = metrics.map((name, index) => ({ name, index })).filter((m) => !wanted || wanted.includes(m.name));
    const times: number[] = [];
    const avg = new Map(pick.map((m) => [m.name, [] as number[]]));
    const bucketed = tier.bucketMs > 0;
    const min = bucketed ? new Map(pick.map((m) => [m.name, [] as number[]])) : null;
    const max = bucketed ? new Map(pick.map((m) => [m.name, [] as number[]])) : null;
    let last = -Infinity;
    const push = (t: number, a: ArrayLike<number>, lo?: ArrayLike<number>, hi?: ArrayLike<number>) => {
      if (t <= last || t < from - tier.bucketMs || t > to) return;
      last = t;
      times.push(t);
      for (const m of pick) {
        avg.get(m.name)?.push(a[m.index] ?? NaN);
        if (lo) min?.get(m.name)?.push(lo[m.index] ?? NaN);
        if (hi) max?.get(m.name)?.push(hi[m.index] ?? NaN);
      }
    };
    if (metrics.length > 0) {
      const dir = join(this.root, key);
      const starts = (await segments(dir, tier)).filter((start) => start + tier.periodMs > from && start <= to);
      const rowBytes = bucketed ? bucketRowBytes(metrics.length) : rawRowBytes(metrics.length);
      for (const start of starts) {
        const data = await readSegment(join(dir, segmentName(tier, start)), rowBytes);
        for (let offset = 0; offset < data.length; offset += rowBytes) {
          if (bucketed) {
            const row = decodeBucket(data, offset, metrics.length);
            push(row.t, row.avg, row.min, row.max);
          } else {
            const row = decodeRaw(data, offset, metrics.length);
            push(row.t, row.values);
          }
        }
      }
      if (series) {
        if (bucketed) for (const row of series.unflushedBuckets(tier.name)) push(row.t, row.avg, row.min, row.max);
        else for (const row of series.unflushedRaw()) push(row.t, row.values);
      }
    }
    return { tier: tier.name, times, avg, min, max };
  }

  /**
   * The average of one metric over [from, now] for every stored entity under `prefix` ("vm" or "host"),
   * from the running totals: per entity one lookup of the totals at `from` (binary search over fixed-size
   * rows) and the totals now.
   */
  async averages(prefix: 'vm' | 'host', metric: string, from: number): Promise<Map<EntityKey, number>> {
    const now = this.now();
    const tier = now - from <= TIERS['1m'].retentionMs ? TIERS['1m'] : TIERS['10m'];
    const result = new Map<EntityKey, number>();
    for (const key of await this.keys(prefix)) {
      const metrics = await this.metaOf(key);
      const index = metrics?.indexOf(metric) ?? -1;
      if (!metrics || index < 0) continue;
      // Loaded when not sampled since the start, so its buckets still open at the last exit count too.
      const series = this.entities.get(key) ?? this.entity(key, metrics);
      await series.ready;
      const dir = join(this.root, key);
      let end: { sum: number; count: number } | null = null;
      const downsampler = series?.downsamplers.get(tier.name);
      if (downsampler) end = { sum: downsampler.cumSum[index] ?? 0, count: downsampler.cumCount[index] ?? 0 };
      else {
        const lastRow = await lastBucket(dir, tier, metrics.length);
        if (lastRow) end = { sum: lastRow.cumSum[index] ?? 0, count: lastRow.cumCount[index] ?? 0 };
      }
      if (!end) continue;
      const startTotals = await this.totalsBefore(dir, tier, metrics.length, index, from, series?.unflushedBuckets(tier.name) ?? []);
      const count = end.count - startTotals.count;
      if (count > 0) result.set(key, (end.sum - startTotals.sum) / count);
    }
    return result;
  }

  /** The running totals at the end of the last bucket that ended by `from` (zero when there is none). */
  private async totalsBefore(
    dir: string,
    tier: TierSpec,
    metrics: number,
    index: number,
    from: number,
    unflushed: BucketRow[],
  ): Promise<{ sum: number; count: number }> {
    let best: { t: number; sum: number; count: number } | null = null;
    for (const row of unflushed) {
      if (row.t + tier.bucketMs <= from && (!best || row.t > best.t)) best = { t: row.t, sum: row.cumSum[index] ?? 0, count: row.cumCount[index] ?? 0 };
    }
    if (best) return best;
    const rowBytes = bucketRowBytes(metrics);
    const starts = (await segments(dir, tier)).filter((start) => start <= from);
    for (let s = starts.length - 1; s >= 0; s--) {
      const path = join(dir, segmentName(tier, starts[s] ?? 0));
      const handle = await open(path, 'r').catch(() => null);
      if (!handle) continue;
      try {
        const rows = Math.floor((await handle.stat()).size / rowBytes);
        const buffer = Buffer.alloc(rowBytes);
        const readRow = async (i: number) => {
          await handle.read(buffer, 0, rowBytes, i * rowBytes);
          return decodeCumulative(buffer, 0, index);
        };
        // The last row whose bucket ended by `from`.
        let lo = 0;
        let hi = rows - 1;
        let found: { t: number; sum: number; count: number } | null = null;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const row = await readRow(mid);
          if (row.t + tier.bucketMs <= from) {
            found = row;
            lo = mid + 1;
          } else hi = mid - 1;
        }
        if (found) return found;
      } finally {
        await handle.close();
      }
    }
    // History starts after `from`: the totals before its first stored bucket are unknown, so the average
    // begins with the first bucket still kept (whose own ticks are then left out).
    const first = (await segments(dir, tier))[0];
    if (first === undefined) return { sum: 0, count: 0 };
    const data = await readSegment(join(dir, segmentName(tier, first)), rowBytes);
    if (data.length < rowBytes || tierFirstEver(data, rowBytes, index)) return { sum: 0, count: 0 };
    return decodeCumulative(data, 0, index);
  }

  /** Every stored entity under `prefix` (directories with a meta.json), plus those in memory. */
  async keys(prefix: 'vm' | 'host'): Promise<EntityKey[]> {
    const found = new Set<EntityKey>();
    for (const key of this.entities.keys()) if (key.startsWith(`${prefix}/`)) found.add(key);
    const base = join(this.root, prefix);
    const level1 = await readdir(base).catch(() => [] as string[]);
    for (const first of level1) {
      if (prefix === 'host') found.add(`host/${first}`);
      else for (const second of await readdir(join(base, first)).catch(() => [] as string[])) found.add(`vm/${first}/${second}`);
    }
    return [...found].filter(isEntityKey).sort();
  }

  /** Deletes segments past their tier's retention, and entity directories left empty. */
  async prune(): Promise<{ removedFiles: number; removedEntities: number }> {
    const now = this.now();
    let removedFiles = 0;
    let removedEntities = 0;
    for (const key of [...(await this.keys('host')), ...(await this.keys('vm'))]) {
      const dir = join(this.root, key);
      const names = await readdir(dir).catch(() => [] as string[]);
      let kept = 0;
      for (const name of names) {
        const parsed = parseSegmentName(name);
        if (!parsed) continue;
        const tier = TIERS[parsed.tier];
        if (parsed.start + tier.periodMs < now - tier.retentionMs) {
          await this.files.close(join(dir, name));
          await rm(join(dir, name), { force: true });
          removedFiles++;
        } else kept++;
      }
      if (kept === 0 && !this.entities.has(key)) {
        await this.files.closeIn(dir);
        await rm(dir, { recursive: true, force: true });
        removedEntities++;
      }
    }
    return { removedFiles, removedEntities };
  }

  /** Bytes of every segment on disk and the number of entities (for the settings and the benchmark). */
  async usage(): Promise<{ entities: number; bytes: number }> {
    let bytes = 0;
    const keys = [...(await this.keys('host')), ...(await this.keys('vm'))];
    for (const key of keys) {
      for (const name of await readdir(join(this.root, key)).catch(() => [] as string[])) {
        bytes += (await stat(join(this.root, key, name)).catch(() => ({ size: 0 }))).size;
      }
    }
    return { entities: keys.length, bytes };
  }
}

/** Whether a tier file's first row is the entity's first bucket ever (its totals equal its own ticks). */
function tierFirstEver(data: Buffer, rowBytes: number, index: number): boolean {
  const first = decodeBucket(data, 0, Math.round((rowBytes - 8) / 28));
  const avg = first.avg[index] ?? NaN;
  const sum = first.cumSum[index] ?? 0;
  const count = first.cumCount[index] ?? 0;
  if (!Number.isFinite(avg)) return count === 0;
  // cumSum == avg × ticks of this bucket ⇔ nothing came before it.
  return Math.abs(sum - avg * count) <= Math.max(1e-3, Math.abs(sum) * 1e-5);
}
