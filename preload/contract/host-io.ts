/**
 * Host I/O diagnosis: per block device of the host what `iostat -xk` shows (from /proc/diskstats read
 * over the host's SSH connection on the stats tick), and per-VM disk latency from libvirt's block stats.
 */

import type { AssertNever } from './channel-names';

/** The wait above which a device is flagged (the common "over 2 ms is trouble" rule). */
export const HOST_IO_AWAIT_LIMIT_MS = 2;

/** One block device over one interval, as `iostat -xk` computes it. */
export interface HostDiskIo {
  device: string;
  readsPerSec: number;
  writesPerSec: number;
  readKBps: number;
  writeKBps: number;
  /** Average time of a read / write request (queue + service), ms; 0 when none completed. */
  rAwaitMs: number;
  wAwaitMs: number;
  /** Average queue length (aqu-sz). */
  queueSize: number;
  /** Share of the interval the device was busy, 0–100. */
  utilPercent: number;
  /** r_await or w_await above {@link HOST_IO_AWAIT_LIMIT_MS}. */
  overLimit: boolean;
}

/** One guest disk over one tick, from the bulk stats (rd/wr .reqs, .bytes, .times). */
export interface VmDiskLatency {
  uuid: string;
  name: string;
  /** Target device in the guest (vda) and the host path behind it. */
  target: string;
  path: string | null;
  readsPerSec: number;
  writesPerSec: number;
  readBps: number;
  writeBps: number;
  /** Δtotal_times / Δreqs in ms; null when no request completed in the interval. */
  rAwaitMs: number | null;
  wAwaitMs: number | null;
  overLimit: boolean;
}

/** A host's I/O over the latest interval. */
export interface HostIoSample {
  hostId: string;
  /** Epoch ms of the sample's end, and the interval length. */
  at: number;
  intervalMs: number;
  devices: HostDiskIo[];
  vmDisks: VmDiskLatency[];
  /**
   * Figures for other consumers (alert rules), by metric name: `host.disk.await_ms` is the highest
   * r_await/w_await of the host's devices over the interval.
   */
  metrics: Record<string, number>;
  /** Why the host's devices could not be read (the per-VM figures may still be there). */
  error: string | null;
}

export interface HostIoCalls {
  /** The latest sample of a host (null before two readings exist). */
  'hostIo.latest': { request: { hostId: string }; response: HostIoSample | null };
}

export const HOST_IO_CALLS = ['hostIo.latest'] as const satisfies readonly (keyof HostIoCalls)[];
export type _HostIoCallsListed = AssertNever<Exclude<keyof HostIoCalls, (typeof HOST_IO_CALLS)[number]>>;

export interface HostIoEvents {
  /** Every host's I/O on every stats tick. */
  'hostIo.sample': HostIoSample;
}

export const HOST_IO_EVENTS = ['hostIo.sample'] as const satisfies readonly (keyof HostIoEvents)[];
export type _HostIoEventsListed = AssertNever<Exclude<keyof HostIoEvents, (typeof HOST_IO_EVENTS)[number]>>;
