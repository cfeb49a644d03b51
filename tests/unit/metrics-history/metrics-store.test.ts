import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Downsampler, TIERS, bucketRowBytes, rawRowBytes } from '../../../main/services/metrics-history/series-format';
import { MetricsStore, tierFor } from '../../../main/services/metrics-history/metrics-store';

const METRICS = ['a', 'b'] as const;
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vd-metrics-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('Downsampler', () => {
  it('closes a bucket with min/avg/max when the first tick of the next bucket arrives, and keeps running totals', () => {
    const d = new Downsampler(60_000, 2);
    expect(d.add(0, [1, NaN])).toBeNull();
    expect(d.add(20_000, [3, 5])).toBeNull();
    expect(d.add(40_000, [8, NaN])).toBeNull();
    const closed = d.add(60_000, [10, 1]);
    expect(closed).not.toBeNull();
    expect(closed?.t).toBe(0);
    expect([...(closed?.min ?? [])]).toEqual([1, 5]);
    expect([...(closed?.max ?? [])]).toEqual([8, 5]);
    expect(closed?.avg[0]).toBeCloseTo(4);
    expect(closed?.avg[1]).toBe(5);
    // totals at the end of the closed bucket, not including the tick that closed it
    expect([...(closed?.cumSum ?? [])]).toEqual([12, 5]);
    expect([...(closed?.cumCount ?? [])]).toEqual([3, 1]);
    expect([...d.cumSum]).toEqual([22, 6]);
    expect(d.current()?.t).toBe(60_000);
  });

  it('a metric with no value in a bucket is NaN there, not 0', () => {
    const d = new Downsampler(60_000, 2);
    d.add(0, [1, NaN]);
    const closed = d.add(60_000, [1, NaN]);
    expect(Number.isNaN(closed?.avg[1])).toBe(true);
    expect(Number.isNaN(closed?.min[1])).toBe(true);
  });

  it('drops a tick from before the open bucket (clock stepped back)', () => {
    const d = new Downsampler(60_000, 1);
    d.add(120_000, [1]);
    expect(d.add(30_000, [100])).toBeNull();
    expect(d.current()?.max[0]).toBe(1);
  });
});

describe('MetricsStore', () => {
  it('keeps full resolution for the last hour, minute buckets for 24 h and 10-minute buckets beyond, across a restart', async () => {
    const root = tempDir();
    const t0 = Date.UTC(2026, 11, 1, 0, 0, 0);
    let now = t0;
    const store = new MetricsStore(root, () => now);
    // 2 days at a 2 s tick of one VM: a = i % 100, b = 7
    for (let i = 0; i < 2 * 43_200; i++) {
      now = t0 + i * 2000;
      await store.add('vm/host-1/00000000-0000-0000-0000-000000000001', METRICS, now, Float64Array.of(i % 100, 7));
      if (i % 900 === 0) await store.flush();
    }
    await store.flush();
    const key = 'vm/host-1/00000000-0000-0000-0000-000000000001';
    const raw = await store.read(key, now - 15 * 60_000, now);
    expect(raw.tier).toBe('raw');
    expect(raw.times.length).toBeGreaterThanOrEqual(450);
    expect(raw.times.length).toBeLessThanOrEqual(451);
    const day = await store.read(key, now - 24 * 3600_000, now);
    expect(day.tier).toBe('1m');
    expect(day.times.length).toBeGreaterThanOrEqual(1440);
    expect(day.times.length).toBeLessThanOrEqual(1441);
    // 30 ticks a minute of i % 100: each bucket spans 29 (or wraps round 99 → 0)
    for (let b = 1; b < 20; b++) {
      const lo = day.min?.get('a')?.[b] ?? NaN;
      const hi = day.max?.get('a')?.[b] ?? NaN;
      const avg = day.avg.get('a')?.[b] ?? NaN;
      expect(lo).toBeLessThanOrEqual(avg);
      expect(avg).toBeLessThanOrEqual(hi);
      expect(hi - lo === 29 || (lo === 0 && hi === 99)).toBe(true);
    }
    const week = await store.read(key, now - 7 * 24 * 3600_000, now);
    expect(week.tier).toBe('10m');
    expect(week.avg.get('b')?.every((v) => v === 7)).toBe(true);

    // A restart: a new store over the same directory reads what the first wrote and continues its totals.
    const again = new MetricsStore(root, () => now);
    const reread = await again.read(key, now - 24 * 3600_000, now);
    // The bucket still open at the "exit" is rebuilt from the raw rows on disk: nothing is lost.
    expect(reread.times).toEqual(day.times);
    expect(reread.avg.get('a')?.at(-1)).toBeCloseTo(day.avg.get('a')?.at(-1) ?? NaN, 4);
    const averages = await again.averages('vm', 'b', now - 24 * 3600_000);
    expect(averages.get(key)).toBeCloseTo(7);
    const aAverage = (await again.averages('vm', 'a', now - 6 * 3600_000)).get(key) ?? NaN;
    expect(aAverage).toBeGreaterThan(48);
    expect(aAverage).toBeLessThan(51);
  }, 60_000);

  it('is bounded: prune deletes every period past its retention, and the files stay within the stated sizes', async () => {
    const root = tempDir();
    const t0 = Date.UTC(2026, 10, 1);
    let now = t0;
    const store = new MetricsStore(root, () => now);
    const key = 'host/host-1';
    // 40 days, one sample a minute (enough to fill every tier's periods).
    for (let m = 0; m < 40 * 1440; m++) {
      now = t0 + m * 60_000;
      await store.add(key, METRICS, now, Float64Array.of(m, 1));
      if (m % 1440 === 0) {
        await store.flush();
        await store.prune();
      }
    }
    await store.flush();
    await store.prune();
    const files = readdirSync(join(root, key)).filter((n) => n.endsWith('.seg'));
    const byTier = (tier: string) => files.filter((n) => n.startsWith(`${tier}-`));
    expect(byTier('raw').length).toBeLessThanOrEqual(2);
    expect(byTier('1m').length).toBeLessThanOrEqual(Math.ceil(TIERS['1m'].retentionMs / TIERS['1m'].periodMs) + 1);
    expect(byTier('10m').length).toBeLessThanOrEqual(Math.ceil(TIERS['10m'].retentionMs / TIERS['10m'].periodMs) + 1);
    const size = (n: string) => statSync(join(root, key, n)).size;
    const tenMinute = byTier('10m').reduce((sum, n) => sum + size(n), 0);
    // 30 days of 10-minute buckets plus at most one period of slack
    expect(tenMinute).toBeLessThanOrEqual((35 * 144 + 1) * bucketRowBytes(2));
    const oneMinute = byTier('1m').reduce((sum, n) => sum + size(n), 0);
    expect(oneMinute).toBeLessThanOrEqual((30 * 60 + 1) * bucketRowBytes(2));
    const raw = byTier('raw').reduce((sum, n) => sum + size(n), 0);
    expect(raw).toBeLessThanOrEqual(120 * rawRowBytes(2));
    // the oldest 10-minute bucket kept is no older than retention + one period
    const oldest = Math.min(...byTier('10m').map((n) => Number(/-(\d+)\.seg$/.exec(n)?.[1])));
    expect(oldest).toBeGreaterThanOrEqual(now - TIERS['10m'].retentionMs - TIERS['10m'].periodMs);
  }, 60_000);

  it('reading one VM does not open the files of another', async () => {
    const root = tempDir();
    const now = Date.UTC(2026, 11, 1);
    const store = new MetricsStore(root, () => now);
    await store.add('vm/host-1/00000000-0000-0000-0000-000000000001', METRICS, now - 1000, Float64Array.of(1, 2));
    await store.add('vm/host-1/00000000-0000-0000-0000-000000000002', METRICS, now - 1000, Float64Array.of(5, 6));
    await store.flush();
    // Make the other VM's files unreadable garbage: the read of the first must not care.
    rmSync(join(root, 'vm/host-1/00000000-0000-0000-0000-000000000002'), { recursive: true });
    const read = await store.read('vm/host-1/00000000-0000-0000-0000-000000000001', now - 60_000, now);
    expect(read.avg.get('a')).toEqual([1]);
  });

  it('picks the tier from the span', () => {
    const now = 10 * 24 * 3600_000;
    expect(tierFor(now - 15 * 60_000, now, now).name).toBe('raw');
    expect(tierFor(now - 3600_000, now, now).name).toBe('raw');
    expect(tierFor(now - 6 * 3600_000, now, now).name).toBe('1m');
    expect(tierFor(now - 24 * 3600_000, now, now).name).toBe('1m');
    expect(tierFor(now - 7 * 24 * 3600_000, now, now).name).toBe('10m');
    // a zoomed-in window that is older than an hour: minute buckets
    expect(tierFor(now - 5 * 3600_000, now - 4.5 * 3600_000, now).name).toBe('1m');
  });
});
