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
  // Read field by field, without splitting every line into an array of strings (each host's file is
  // read on every tick).
  const out: DiskCounters[] = [];
  const f: string[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    let end = text.indexOf('\n', i);
    if (end < 0) end = length;
    f.length = 0;
    let j = i;
    while (j < end && f.length < 14) {
      while (j < end && isBlank(text.charCodeAt(j))) j++;
      if (j >= end) break;
      const start = j;
      while (j < end && !isBlank(text.charCodeAt(j))) j++;
      f.push(text.slice(start, j));
    }
    i = end + 1;
    if (f.length < 14) continue;
    out.push({
      major: Number(f[0]),
      minor: Number(f[1]),
      name: f[2] ?? '',
      rdIos: Number(f[3]),
      rdMerges: Number(f[4]),
      rdSectors: Number(f[5]),
      rdTicks: Number(f[6]),
      wrIos: Number(f[7]),
      wrMerges: Number(f[8]),
      wrSectors: Number(f[9]),
      wrTicks: Number(f[10]),
      inFlight: Number(f[11]),
      ioTicks: Number(f[12]),
      rqTicks: Number(f[13]),
    });
  }
  return out;
}

/** Space, tab, CR, vertical tab, form feed (the white space `\s` matched in these files). */
function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 11 || code === 12;
}

/** A device new in the current reading is compared with zero (boot). */
const NEVER_READ: DiskCounters = {
  major: 0,
  minor: 0,
  name: '',
  rdIos: 0,
  rdMerges: 0,
  rdSectors: 0,
  rdTicks: 0,
  wrIos: 0,
  wrMerges: 0,
  wrSectors: 0,
  wrTicks: 0,
  inFlight: 0,
  ioTicks: 0,
  rqTicks: 0,
};

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
    const old = before.get(disk.name) ?? NEVER_READ;
    const reads = delta(disk.rdIos, old.rdIos);
    const writes = delta(disk.wrIos, old.wrIos);
    const rAwaitMs = reads > 0 ? delta(disk.rdTicks, old.rdTicks) / reads : 0;
    const wAwaitMs = writes > 0 ? delta(disk.wrTicks, old.wrTicks) / writes : 0;
    out.push({
      device: disk.name,
      readsPerSec: reads / seconds,
      writesPerSec: writes / seconds,
      readKBps: delta(disk.rdSectors, old.rdSectors) / 2 / seconds,
      writeKBps: delta(disk.wrSectors, old.wrSectors) / 2 / seconds,
      rAwaitMs,
      wAwaitMs,
      queueSize: delta(disk.rqTicks, old.rqTicks) / (seconds * 1000),
      utilPercent: Math.min(100, delta(disk.ioTicks, old.ioTicks) / (seconds * 10)),
      overLimit: rAwaitMs > HOST_IO_AWAIT_LIMIT_MS || wAwaitMs > HOST_IO_AWAIT_LIMIT_MS,
    });
  }
  return out.sort((a, b) => a.device.localeCompare(b.device));
}
