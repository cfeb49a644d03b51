import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeIostat, parseDiskstats, parseUptime, type DiskReading } from '../../../main/services/host-io/iostat';

const fixtures = join(__dirname, '../../fixtures/host-io');

/** A recorded reading: /proc/uptime, a `---` line, then /proc/diskstats (taken on the lab machine). */
function reading(file: string): { reading: DiskReading; uptimeText: string; diskstatsText: string } {
  const [uptimeText = '', diskstatsText = ''] = readFileSync(join(fixtures, file), 'utf8').split('---\n');
  return { reading: { uptimeSec: parseUptime(uptimeText), disks: parseDiskstats(diskstatsText) }, uptimeText, diskstatsText };
}

/**
 * What sysstat's iostat prints for the interval between two readings. iostat's first report covers
 * "since boot": counters against zero over the uptime. Bind-mounting a /proc/diskstats holding the
 * counters' differences and a /proc/uptime holding the interval (in a private mount namespace) makes
 * that first report exactly the interval's.
 */
function iostatOver(before: ReturnType<typeof reading>, after: ReturnType<typeof reading>): Map<string, Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'vd-iostat-'));
  const old = new Map(before.diskstatsText.trim().split('\n').map((line) => [line.trim().split(/\s+/)[2], line.trim().split(/\s+/)]));
  const diff = after.diskstatsText
    .trim()
    .split('\n')
    .map((line) => {
      const f = line.trim().split(/\s+/);
      const o = old.get(f[2]) ?? [];
      // Field 11 (index 11) is "in flight", a level rather than a counter: kept as is.
      return f.map((v, i) => (i < 3 || i === 11 ? v : String(Number(v) - Number(o[i] ?? 0)))).join(' ');
    })
    .join('\n');
  writeFileSync(join(dir, 'diskstats'), `${diff}\n`);
  const interval = (Math.round(after.reading.uptimeSec * 100) - Math.round(before.reading.uptimeSec * 100)) / 100;
  writeFileSync(join(dir, 'uptime'), `${interval.toFixed(2)} 0.00\n`);
  const script = `mount --bind ${dir}/diskstats /proc/diskstats && mount --bind ${dir}/uptime /proc/uptime && LC_ALL=C S_COLORS=never iostat -xk -p ALL`;
  const run = spawnSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8' });
  if (run.error || run.status !== 0) throw new Error(`iostat (package sysstat) under unshare failed: ${run.error?.message ?? run.stderr}`);
  const lines = run.stdout.split('\n');
  const headerAt = lines.findIndex((line) => line.startsWith('Device'));
  const header = (lines[headerAt] ?? '').trim().split(/\s+/);
  const rows = new Map<string, Record<string, number>>();
  for (const line of lines.slice(headerAt + 1)) {
    const f = line.trim().split(/\s+/);
    if (f.length !== header.length) continue;
    rows.set(f[0] ?? '', Object.fromEntries(header.slice(1).map((h, i) => [h, Number(f[i + 1])])));
  }
  return rows;
}

describe('iostat -xk from /proc/diskstats', () => {
  for (const pair of ['pair1', 'pair2']) {
    it(`${pair}: every figure matches what sysstat's iostat prints for the same interval`, () => {
      const before = reading(`${pair}-before.txt`);
      const after = reading(`${pair}-after.txt`);
      const ours = computeIostat(before.reading, after.reading, null);
      const theirs = iostatOver(before, after);
      expect(ours.map((d) => d.device)).toContain('vda');
      for (const device of ours) {
        const row = theirs.get(device.device);
        expect(row, device.device).toBeDefined();
        const close = (value: number, printed: number | undefined, what: string) =>
          expect(Math.abs(value - (printed ?? NaN)), `${device.device} ${what}: ours ${value}, iostat ${printed}`).toBeLessThanOrEqual(0.005 + 1e-9);
        close(device.readsPerSec, row?.['r/s'], 'r/s');
        close(device.writesPerSec, row?.['w/s'], 'w/s');
        close(device.readKBps, row?.['rkB/s'], 'rkB/s');
        close(device.writeKBps, row?.['wkB/s'], 'wkB/s');
        close(device.rAwaitMs, row?.['r_await'], 'r_await');
        close(device.wAwaitMs, row?.['w_await'], 'w_await');
        close(device.queueSize, row?.['aqu-sz'], 'aqu-sz');
        close(device.utilPercent, row?.['%util'], '%util');
      }
    });
  }

  it('pair1 had real I/O (so the comparison is not of zeros), and the 2 ms rule flags a slow device', () => {
    const ours = computeIostat(reading('pair1-before.txt').reading, reading('pair1-after.txt').reading, null);
    const vda = ours.find((d) => d.device === 'vda');
    expect(vda?.readsPerSec).toBeGreaterThan(100);
    expect(vda?.overLimit).toBe(false);
    const slow: DiskReading = {
      uptimeSec: 11,
      disks: [{ major: 8, minor: 0, name: 'sda', rdIos: 110, rdMerges: 0, rdSectors: 800, rdTicks: 350, wrIos: 10, wrMerges: 0, wrSectors: 80, wrTicks: 10, inFlight: 0, ioTicks: 500, rqTicks: 360 }],
    };
    const base: DiskReading = { uptimeSec: 10, disks: [{ ...slow.disks[0]!, rdIos: 10, rdTicks: 50, wrIos: 0, wrTicks: 0, ioTicks: 0, rqTicks: 0 }] };
    const [sda] = computeIostat(base, slow, new Set(['sda']));
    expect(sda).toMatchObject({ readsPerSec: 100, rAwaitMs: 3, wAwaitMs: 1, utilPercent: 50, queueSize: 0.36, overLimit: true });
  });

  it('leaves partitions out using /sys/block, and devices never used since boot', () => {
    const text = '8 0 sda 5 0 8 1 0 0 0 0 0 1 1\n8 1 sda1 5 0 8 1 0 0 0 0 0 1 1\n7 1 loop1 0 0 0 0 0 0 0 0 0 0 0\n';
    const r0 = { uptimeSec: 1, disks: parseDiskstats(text) };
    const r1 = { uptimeSec: 2, disks: parseDiskstats(text) };
    expect(computeIostat(r0, r1, new Set(['sda', 'loop1'])).map((d) => d.device)).toEqual(['sda']);
    expect(computeIostat(r0, r1, null).map((d) => d.device)).toEqual(['sda']);
  });
});

describe('parseDiskstats, field by field', () => {
  it('reads lines with runs of spaces and tabs, skips short lines, and needs no final newline', () => {
    const text = [
      '   8       0 sda 10 1 200 30 5 2 80 40 0 60 70 0 0 0 0 0 0',
      ' 253\t1 dm-1\t1 2 3 4 5 6 7 8 9 10 11',
      '',
      '  7 0 loop0 1 2 3',
      '259 0 nvme0n1 9 8 7 6 5 4 3 2 1 0 11\r',
    ].join('\n');
    const disks = parseDiskstats(text);
    expect(disks.map((d) => d.name)).toEqual(['sda', 'dm-1', 'nvme0n1']);
    expect(disks[0]).toEqual({ major: 8, minor: 0, name: 'sda', rdIos: 10, rdMerges: 1, rdSectors: 200, rdTicks: 30, wrIos: 5, wrMerges: 2, wrSectors: 80, wrTicks: 40, inFlight: 0, ioTicks: 60, rqTicks: 70 });
    expect(disks[1]?.rqTicks).toBe(11);
    expect(disks[2]).toMatchObject({ major: 259, rdIos: 9, rqTicks: 11 });
  });
});
