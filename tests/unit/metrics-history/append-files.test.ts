import { appendFileSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppendFiles } from '../../../main/services/metrics-history/append-files';
import { MetricsStore } from '../../../main/services/metrics-history/metrics-store';
import { rawRowBytes } from '../../../main/services/metrics-history/series-format';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vd-append-files-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Descriptors this process has open on files under `dir` (Linux: /proc/self/fd). */
function openUnder(dir: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}/`)) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

describe('AppendFiles', () => {
  it('keeps a file open between appends: one open for many writes, rows in order', async () => {
    const dir = tempDir();
    const files = new AppendFiles(8);
    const path = join(dir, 'raw-0.seg');
    for (let i = 0; i < 20; i++) await files.append(path, Buffer.from([i, i, i, i]), 4);
    expect(files.opens).toBe(1);
    expect(files.isOpen(path)).toBe(true);
    const data = readFileSync(path);
    expect(data.length).toBe(80);
    expect(data[4 * 19]).toBe(19);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await files.closeAll();
    expect(files.size).toBe(0);
  });

  it('never keeps more than its bound open: past it, a file is written with open + write + close and the open set stays', async () => {
    const dir = tempDir();
    const files = new AppendFiles(3, 2);
    const path = (i: number) => join(dir, `raw-${i}.seg`);
    // Every round writes the same 5 files in the same order (a cyclic scan: LRU would reopen every one).
    for (let round = 0; round < 4; round++) {
      files.nextRound();
      for (let i = 0; i < 5; i++) {
        await files.append(path(i), Buffer.from([i, round]), 2);
        expect(files.size).toBeLessThanOrEqual(3);
      }
    }
    // Files 0..2 stayed open (3 opens), files 3 and 4 were written on their own every round (8 opens).
    expect(files.opens).toBe(3 + 2 * 4);
    expect(files.transient).toBe(2 * 4);
    expect([0, 1, 2].every((i) => files.isOpen(path(i)))).toBe(true);
    expect(files.isOpen(path(4))).toBe(false);
    expect([...readFileSync(path(4))]).toEqual([4, 0, 4, 1, 4, 2, 4, 3]);
    expect(openUnder(dir)).toBe(3);
    await files.closeAll();
    // The descriptors were really closed, not just forgotten.
    expect(openUnder(dir)).toBe(0);
  });

  it('gives the descriptor of a file not written for staleRounds rounds (a stopped VM) to the least recently written file', async () => {
    const dir = tempDir();
    const files = new AppendFiles(2, 2);
    const path = (i: number) => join(dir, `raw-${i}.seg`);
    files.nextRound();
    await files.append(path(0), Buffer.from([0]), 1);
    await files.append(path(1), Buffer.from([1]), 1);
    for (let round = 0; round < 3; round++) {
      files.nextRound();
      await files.append(path(1), Buffer.from([1]), 1); // file 0 is no longer written
    }
    await files.append(path(2), Buffer.from([2]), 1);
    expect(files.isOpen(path(0))).toBe(false);
    expect(files.isOpen(path(2))).toBe(true);
    expect(files.transient).toBe(0);
    // Written again after it was closed: reopened, appended after what is there.
    files.nextRound();
    await files.append(path(0), Buffer.from([9]), 1);
    expect([...readFileSync(path(0))]).toEqual([0, 9]);
    expect(files.size).toBeLessThanOrEqual(2);
    await files.closeAll();
    expect(openUnder(dir)).toBe(0);
  });

  it('cuts a torn last row when it opens a file, so the next rows stay aligned', async () => {
    const dir = tempDir();
    const path = join(dir, 'raw-0.seg');
    // Two whole rows of 6 bytes and 4 bytes of a third (a crash in the middle of a write).
    appendFileSync(path, Buffer.from([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3]));
    const files = new AppendFiles();
    await files.append(path, Buffer.from([4, 4, 4, 4, 4, 4]), 6);
    expect(files.cuts).toBe(1);
    expect([...readFileSync(path)]).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4]);
    await files.closeAll();
  });

  it('closes a file on request and on closeIn, and appends after a reopen', async () => {
    const dir = tempDir();
    const files = new AppendFiles();
    const a = join(dir, 'raw-0.seg');
    const b = join(dir, '1m-0.seg');
    await files.append(a, Buffer.from([1]), 1);
    await files.append(b, Buffer.from([1]), 1);
    await files.close(a);
    expect(files.isOpen(a)).toBe(false);
    await files.closeIn(dir, (path) => path === b);
    expect(files.isOpen(b)).toBe(true);
    await files.closeIn(dir);
    expect(files.size).toBe(0);
    await files.append(a, Buffer.from([2]), 1);
    expect([...readFileSync(a)]).toEqual([1, 2]);
    await files.closeAll();
    expect(openUnder(dir)).toBe(0);
  });
});

describe('MetricsStore with open segment files', () => {
  const key = 'vm/host-1/00000000-0000-0000-0000-000000000001';
  const metrics = ['a', 'b'] as const;

  it('reopens after a crash that tore the last raw row: the row is cut, later rows read back in order', async () => {
    const root = tempDir();
    const t0 = Date.UTC(2026, 11, 6, 10, 0, 0);
    let now = t0;
    const first = new MetricsStore(root, () => now);
    for (let i = 0; i < 5; i++) {
      now = t0 + i * 2000;
      await first.add(key, metrics, now, Float64Array.of(i, 10 + i));
    }
    await first.flush();
    // The process dies in the middle of appending a row: half a row at the end, descriptors left as they are.
    const segment = join(root, key, `raw-${t0 - (t0 % 3_600_000)}.seg`);
    appendFileSync(segment, Buffer.alloc(rawRowBytes(2) - 5, 0x7f));
    expect(statSync(segment).size % rawRowBytes(2)).not.toBe(0);

    const again = new MetricsStore(root, () => now);
    for (let i = 5; i < 8; i++) {
      now = t0 + i * 2000;
      await again.add(key, metrics, now, Float64Array.of(i, 10 + i));
    }
    await again.flush();
    expect(again.files.cuts).toBe(1);
    expect(statSync(segment).size).toBe(8 * rawRowBytes(2));
    const read = await again.read(key, t0 - 1000, now);
    expect(read.times).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => t0 + i * 2000));
    expect(read.avg.get('a')).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await again.close();
    await first.close();
  });

  it('keeps one open file per entity and tier across flushes, closes the old period on rotation and everything on close', async () => {
    const root = tempDir();
    const t0 = Date.UTC(2026, 11, 6, 10, 0, 0);
    let now = t0;
    const store = new MetricsStore(root, () => now);
    for (let i = 0; i < 30 * 90; i++) {
      // 90 minutes at a 2 s tick: the raw tier rotates to its next hour once.
      now = t0 + i * 2000;
      await store.add(key, metrics, now, Float64Array.of(i, 1));
      if (i % 8 === 7) await store.flush();
    }
    await store.flush();
    // raw (2 periods) + 1m + 10m: one open per file, not one per flush.
    expect(store.files.opens).toBe(4);
    expect(store.files.isOpen(join(root, key, `raw-${t0}.seg`))).toBe(false);
    expect(store.files.isOpen(join(root, key, `raw-${t0 + 3_600_000}.seg`))).toBe(true);
    expect(store.files.size).toBe(3);
    await store.close();
    expect(store.files.size).toBe(0);
    expect(openUnder(root)).toBe(0);
    const reread = await new MetricsStore(root, () => now).read(key, now - 30 * 60_000, now);
    expect(reread.times.length).toBe(901);
  });
});
