/**
 * Host I/O on the stats tick: every connected host's block devices (/proc/diskstats and /proc/uptime
 * read over the host's SFTP session — no process started on the host — or locally for "this
 * computer"), and every running guest's disk latency from the same tick's bulk stats
 * (Δrd.times / Δrd.reqs). Each host's sample is published as the `hostIo.sample` event and to
 * {@link HostIoService.onSample} listeners (alert rules read `metrics['host.disk.await_ms']`).
 */
import { readFile, readdir } from 'node:fs/promises';
import type { SFTPWrapper } from 'ssh2';
import { HOST_IO_AWAIT_LIMIT_MS, type HostIoSample, type VmDiskLatency } from '../../../preload/api-contract';
import type { DomainSample } from '../fleet/fleet-port';
import { deviceStats, type DiskStats } from '../metrics-export/domain-device-stats';
import { computeIostat, parseDiskstats, parseUptime, type DiskReading } from './iostat';

/** The metric name alert rules use for a host's worst device wait over the interval (ms). */
export const HOST_DISK_AWAIT_METRIC = 'host.disk.await_ms';

/** How a host's files are read: its SSH connection's SFTP session, or this computer's. */
export interface HostFiles {
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
}

/** The SFTP calls a kept-open /proc file needs (a subset of ssh2's SFTPWrapper). */
export type ProcFileSftp = Pick<SFTPWrapper, 'open' | 'read' | 'close' | 'readFile' | 'readdir'>;

interface OpenProcFile {
  handle: Promise<Buffer>;
  /** Bytes to ask for: the file's last size, rounded up, so one READ gets it whole. */
  size: number;
  /** The read buffer, kept for the next reading (a new 4 KiB+ buffer per file per tick was a visible cost). */
  buffer: Buffer | null;
  /** A reading is using `buffer` (a second one at the same time gets its own). */
  busy: boolean;
}

/** Per SFTP session, the /proc files kept open; a new session (after a reconnect) starts with none. */
const openProcFiles = new WeakMap<object, Map<string, OpenProcFile>>();

const PROC_FIRST_READ = 4_096;

/**
 * A /proc file over SFTP, read the way `top` reads it: opened once, then one READ at offset 0 per reading
 * (OpenSSH's sftp-server seeks to the request's offset, and a seek to 0 makes the kernel generate the
 * file afresh). ssh2's `readFile` sends OPEN, FSTAT, READ until an empty one (a /proc file's size says
 * 0), CLOSE: five requests, each an SSH packet to encrypt and send, for sshd to decrypt and pass on, per
 * file per tick — with 300 hosts most of this process's CPU between ticks (profile of the fleet bench).
 * A read that fills the whole buffer may have been cut short: it is read again with twice the room. A
 * read that fails (stale handle) drops the handle and opens the file once more.
 */
export async function readProcFile(sftp: ProcFileSftp, path: string): Promise<string> {
  let files = openProcFiles.get(sftp);
  if (!files) {
    files = new Map();
    openProcFiles.set(sftp, files);
  }
  for (let attempt = 0; ; attempt++) {
    let file = files.get(path);
    if (!file) {
      const handle = new Promise<Buffer>((resolve, reject) =>
        sftp.open(path, 'r', (error, opened) => (error ? reject(error) : resolve(opened))),
      );
      file = { handle, size: PROC_FIRST_READ, buffer: null, busy: false };
      files.set(path, file);
    }
    const current = file;
    try {
      const handle = await current.handle;
      for (;;) {
        const own = !current.busy;
        const buffer = own && current.buffer?.length === current.size ? current.buffer : Buffer.allocUnsafe(current.size);
        if (own) {
          current.busy = true;
          current.buffer = buffer;
        }
        try {
          const bytes = await new Promise<number>((resolve, reject) =>
            sftp.read(handle, buffer, 0, buffer.length, 0, (error, read) => (error ? reject(error) : resolve(read))),
          );
          if (bytes < buffer.length) return buffer.toString('utf8', 0, bytes);
        } finally {
          if (own) current.busy = false;
        }
        current.size *= 2;
      }
    } catch (error) {
      if (files.get(path) === current) files.delete(path);
      current.handle.then(
        (handle) => sftp.close(handle, () => undefined),
        () => undefined,
      );
      // An open that failed is the answer (no such file); a read on a handle that went stale gets one more try.
      if (attempt > 0 || !(await current.handle.then(() => true, () => false))) throw error;
    }
  }
}

export function sftpHostFiles(sftp: () => Promise<ProcFileSftp>): HostFiles {
  return {
    readFile: async (path) => {
      const session = await sftp();
      if (path.startsWith('/proc/')) return readProcFile(session, path);
      return new Promise((resolve, reject) =>
        session.readFile(path, (error, data) => (error ? reject(error) : resolve(data.toString('utf8')))),
      );
    },
    readdir: async (path) => {
      const session = await sftp();
      return new Promise((resolve, reject) =>
        session.readdir(path, (error, list) => (error ? reject(error) : resolve(list.map((entry) => entry.filename)))),
      );
    },
  };
}

export const localHostFiles: HostFiles = {
  readFile: (path) => readFile(path, 'utf8'),
  readdir: (path) => readdir(path),
};

export type HostIoListener = (sample: HostIoSample) => void;

/** One reading of a host's disks, compared with the one before it. */
interface DisksRead {
  devices: HostIoSample['devices'];
  intervalMs: number;
  error: string | null;
}

interface HostState {
  reading: DiskReading | null;
  wholeDevices: { names: Set<string>; at: number } | null;
  /** A read of the disks is running. */
  reading$: boolean;
  /** The read begun with this tick's sample (see {@link HostIoService.begin}), not yet taken by `tick`. */
  begun: Promise<DisksRead | null> | null;
  guests: Map<string, { at: number; disks: DiskStats[] }>;
  latest: HostIoSample | null;
}

const WHOLE_DEVICES_REFRESH_MS = 5 * 60_000;

/** A counter's growth between two ticks; null when either is missing or it began again. */
function grown(current: bigint | null, previous: bigint | null): number | null {
  if (current === null || previous === null || current < previous) return null;
  return Number(current - previous);
}

/** Per-guest disk latency between two ticks of the same guest. */
export function vmDiskLatency(
  domain: Pick<DomainSample, 'uuid' | 'name'>,
  previous: { at: number; disks: DiskStats[] },
  current: { at: number; disks: DiskStats[] },
): VmDiskLatency[] {
  const seconds = (current.at - previous.at) / 1000;
  if (seconds <= 0) return [];
  const out: VmDiskLatency[] = [];
  for (const disk of current.disks) {
    // A guest has a few disks: a search per disk, no map per guest per tick.
    const old = previous.disks.find((d) => d.name === disk.name);
    if (!old) continue;
    const reads = grown(disk.rdReqs, old.rdReqs);
    const writes = grown(disk.wrReqs, old.wrReqs);
    if (reads === null && writes === null) continue; // a CD-ROM without media has no counters
    const rTimes = grown(disk.rdTimesNs, old.rdTimesNs);
    const wTimes = grown(disk.wrTimesNs, old.wrTimesNs);
    const rAwaitMs = reads && rTimes !== null ? rTimes / reads / 1e6 : null;
    const wAwaitMs = writes && wTimes !== null ? wTimes / writes / 1e6 : null;
    out.push({
      uuid: domain.uuid,
      name: domain.name,
      target: disk.name,
      path: disk.path,
      readsPerSec: (reads ?? 0) / seconds,
      writesPerSec: (writes ?? 0) / seconds,
      readBps: (grown(disk.rdBytes, old.rdBytes) ?? 0) / seconds,
      writeBps: (grown(disk.wrBytes, old.wrBytes) ?? 0) / seconds,
      rAwaitMs,
      wAwaitMs,
      overLimit: (rAwaitMs ?? 0) > HOST_IO_AWAIT_LIMIT_MS || (wAwaitMs ?? 0) > HOST_IO_AWAIT_LIMIT_MS,
    });
  }
  return out;
}

export class HostIoService {
  private readonly hosts = new Map<string, HostState>();
  private readonly listeners = new Set<HostIoListener>();

  constructor(
    /** The host's files (null when it is not connected). */
    private readonly files: (hostId: string) => HostFiles | null,
    private readonly publish: (sample: HostIoSample) => void,
  ) {}

  /** Every host's sample as it is made; returns the unsubscribe function. For main's own consumers (alerts). */
  onSample(listener: HostIoListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  latest(hostId: string): HostIoSample | null {
    return this.hosts.get(hostId)?.latest ?? null;
  }

  /** Drops the hosts no longer saved. */
  retain(hostIds: ReadonlySet<string>): void {
    for (const id of [...this.hosts.keys()]) if (!hostIds.has(id)) this.forget(id);
  }

  forget(hostId: string): void {
    this.hosts.delete(hostId);
  }

  private state(hostId: string): HostState {
    let state = this.hosts.get(hostId);
    if (!state) {
      state = { reading: null, wholeDevices: null, reading$: false, begun: null, guests: new Map(), latest: null };
      this.hosts.set(hostId, state);
    }
    return state;
  }

  /**
   * A fleet tick of the host begins (FleetService.onSampleStart): its disks are read now, so that the two
   * SFTP reads leave in the same write as the tick's libvirt requests; `tick` takes the reading. A read
   * still running (a slow host) is not stacked.
   */
  begin(hostId: string): void {
    const state = this.state(hostId);
    if (state.reading$) return;
    state.begun = this.readDisks(hostId, state);
  }

  /** One fleet tick of a host (FleetService.onSamples): its disks (as begun, or read now) and the guests' latency, published. */
  async tick(hostId: string, samples: DomainSample[], at: number): Promise<void> {
    const state = this.state(hostId);
    const vmDisks: VmDiskLatency[] = [];
    const seen = new Set<string>();
    for (const domain of samples) {
      if (domain.state !== 'running') continue;
      seen.add(domain.uuid);
      const current = { at, disks: deviceStats(domain.params).disks };
      const previous = state.guests.get(domain.uuid);
      state.guests.set(domain.uuid, current);
      if (previous) for (const latency of vmDiskLatency(domain, previous, current)) vmDisks.push(latency);
    }
    for (const uuid of [...state.guests.keys()]) if (!seen.has(uuid)) state.guests.delete(uuid);

    // A slow host never stacks reads: a tick that finds the previous read still running skips its own.
    const begun = state.begun;
    state.begun = null;
    if (!begun && state.reading$) return;
    const read = await (begun ?? this.readDisks(hostId, state));
    if (!read) return; // no way to read this host's files
    const { devices, intervalMs, error } = read;
    if (!this.hosts.has(hostId)) return; // forgotten meanwhile
    if (intervalMs <= 0 && error === null && vmDisks.length === 0) return; // first reading: nothing to compare yet
    const worst = devices.reduce((max, d) => Math.max(max, d.rAwaitMs, d.wAwaitMs), 0);
    const sample: HostIoSample = {
      hostId,
      at,
      intervalMs,
      devices,
      vmDisks,
      metrics: devices.length > 0 ? { [HOST_DISK_AWAIT_METRIC]: worst } : {},
      error,
    };
    state.latest = sample;
    this.publish(sample);
    for (const listener of this.listeners) listener(sample);
  }

  /** Reads the host's /proc/uptime and /proc/diskstats and compares them with its previous reading. */
  private async readDisks(hostId: string, state: HostState): Promise<DisksRead | null> {
    state.reading$ = true;
    let error: string | null = null;
    let devices: HostIoSample['devices'] = [];
    let intervalMs = 0;
    try {
      const files = this.files(hostId);
      if (!files) return null;
      const at = Date.now();
      if (!state.wholeDevices || at - state.wholeDevices.at > WHOLE_DEVICES_REFRESH_MS) {
        const names = await files.readdir('/sys/block').catch(() => null);
        state.wholeDevices = names ? { names: new Set(names), at } : null;
      }
      const [uptime, diskstats] = await Promise.all([files.readFile('/proc/uptime'), files.readFile('/proc/diskstats')]);
      const reading: DiskReading = { uptimeSec: parseUptime(uptime), disks: parseDiskstats(diskstats) };
      const previous = state.reading;
      state.reading = reading;
      if (previous) {
        devices = computeIostat(previous, reading, state.wholeDevices?.names ?? null);
        intervalMs = Math.round((reading.uptimeSec - previous.uptimeSec) * 1000);
      }
    } catch (failure) {
      error = `Reading /proc/diskstats failed: ${failure instanceof Error ? failure.message : String(failure)}`;
    } finally {
      state.reading$ = false;
    }
    return { devices, intervalMs, error };
  }
}
