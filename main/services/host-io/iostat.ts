/**
 * What `iostat -xk` computes, from two readings of /proc/diskstats and /proc/uptime (sysstat 12's
 * formulas: per device, over the interval, r/s = Δreads / s, rkB/s = Δsectors / 2 / s,
 * r_await = Δread_ticks / Δreads, w_await likewise, aqu-sz = Δweighted_ticks / interval,
 * %util = Δio_ticks / interval). Whole devices only (those in /sys/block), never-used devices left out,
 * as iostat does by default.
 */
import { HOST_IO_AWAIT_LIMIT_MS, type HostDiskIo } from '../../../preload/api-contract';

export interface DiskCounters {
  major: number;
  minor: number;
  name: string;
  rdIos: number;
  rdMerges: number;
  rdSectors: number;
  rdTicks: number;
  wrIos: number;
  wrMerges: number;
  wrSectors: number;
  wrTicks: number;
  inFlight: number;
  ioTicks: number;
  /** Weighted time in queue (ms). */
  rqTicks: number;
}

/** One reading: the host's uptime (seconds, /proc/uptime's first field) and its disks' counters. */
export interface DiskReading {
  uptimeSec: number;
  disks: DiskCounters[];
}

export function parseUptime(text: string): number {
  const value = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(value)) throw new Error(`Unexpected /proc/uptime: ${text.slice(0, 80)}`);
  return value;
}

export function parseDiskstats(text: string): DiskCounters[] {
  const out: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const n = (i: number) => Number(f[i]);
    out.push({
      major: n(0),
      minor: n(1),
      name: f[2] ?? '',
      rdIos: n(3),
      rdMerges: n(4),
      rdSectors: n(5),
      rdTicks: n(6),
      wrIos: n(7),
      wrMerges: n(8),
      wrSectors: n(9),
      wrTicks: n(10),
      inFlight: n(11),
      ioTicks: n(12),
      rqTicks: n(13),
    });
  }
  return out;
}

/** Counters are unsigned and may wrap (32-bit on some kernels): a negative delta counts from the wrap. */
function delta(current: number, previous: number): number {
  const d = current - previous;
  if (d >= 0) return d;
  return d + 2 ** 32 >= 0 ? d + 2 ** 32 : 0;
}

/**
 * Per-device figures between two readings. `wholeDevices` is the host's /sys/block listing (null when
 * unknown: then partitions are guessed by name). A device new in `current` is compared with zero, as
 * iostat's first report compares with boot.
 */
export function computeIostat(previous: DiskReading, current: DiskReading, wholeDevices: ReadonlySet<string> | null): HostDiskIo[] {
  // iostat's interval: uptime in hundredths of a second.
  const itvCs = Math.round(current.uptimeSec * 100) - Math.round(previous.uptimeSec * 100);
  if (itvCs <= 0) return [];
  const seconds = itvCs / 100;
  const before = new Map(previous.disks.map((d) => [d.name, d]));
  const out: HostDiskIo[] = [];
  for (const disk of current.disks) {
    if (wholeDevices ? !wholeDevices.has(disk.name) : /^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+)\d+$|^nvme\d+n\d+p\d+$|^mmcblk\d+p\d+$/.test(disk.name)) continue;
    // Never used since boot: iostat leaves it out.
    if (disk.rdIos === 0 && disk.wrIos === 0) continue;
    const old = before.get(disk.name);
    const d = (key: keyof Omit<DiskCounters, 'name'>) => delta(disk[key], old ? old[key] : 0);
    const reads = d('rdIos');
    const writes = d('wrIos');
    const rAwaitMs = reads > 0 ? d('rdTicks') / reads : 0;
    const wAwaitMs = writes > 0 ? d('wrTicks') / writes : 0;
    out.push({
      device: disk.name,
      readsPerSec: reads / seconds,
      writesPerSec: writes / seconds,
      readKBps: d('rdSectors') / 2 / seconds,
      writeKBps: d('wrSectors') / 2 / seconds,
      rAwaitMs,
      wAwaitMs,
      queueSize: d('rqTicks') / (seconds * 1000),
      utilPercent: Math.min(100, d('ioTicks') / (seconds * 10)),
      overLimit: rAwaitMs > HOST_IO_AWAIT_LIMIT_MS || wAwaitMs > HOST_IO_AWAIT_LIMIT_MS,
    });
  }
  return out.sort((a, b) => a.device.localeCompare(b.device));
}
