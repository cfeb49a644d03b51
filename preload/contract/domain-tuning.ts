/**
 * Domain tuning (forms that each transform the domain XML) and the sizing advisor.
 */

import type { DomainRef } from './domains';
import type { AssertNever } from './channel-names';

export type CpuMode = 'host-passthrough' | 'host-model' | 'custom';
export type BalloonModel = 'virtio' | 'virtio-transitional' | 'virtio-non-transitional' | 'none';
export type NumaMode = 'strict' | 'preferred' | 'interleave' | 'restrictive';
export type DiskBus = 'virtio' | 'scsi' | 'sata' | 'ide' | 'usb';
export type DiskCache = 'none' | 'writethrough' | 'writeback' | 'directsync' | 'unsafe';
export type DiskIo = 'native' | 'threads' | 'io_uring';
export type BootDevice = 'hd' | 'cdrom' | 'network' | 'fd';

/** One change a tuning form makes; the persistent definition always gets it, running guests may too. */
export type TuningChange =
  | {
      form: 'cpu';
      vcpus: number;
      maxVcpus: number;
      mode: CpuMode;
      /** CPU model name, only for mode custom. */
      model: string | null;
      topology: { sockets: number; cores: number; threads: number } | null;
    }
  | {
      form: 'pinning';
      /** cpuset per vCPU (libvirt syntax "0-3,^2"); null = not pinned. */
      vcpus: Array<{ vcpu: number; cpuset: string | null }>;
      emulator: string | null;
      iothreads: Array<{ iothread: number; cpuset: string | null }>;
    }
  | {
      form: 'memory';
      currentKiB: number;
      maxKiB: number;
      balloonModel: BalloonModel;
      /** Balloon statistics period in seconds; null = none. */
      statsPeriod: number | null;
      /** Hugepages backing; sizeKiB null = the host's default hugepage size. */
      hugepages: { sizeKiB: number | null } | null;
      locked: boolean;
      nosharepages: boolean;
      source: 'anonymous' | 'file' | 'memfd' | null;
      access: 'shared' | 'private' | null;
    }
  | {
      form: 'numa';
      numatune: { mode: NumaMode; nodeset: string } | null;
      /** Guest NUMA cells. */
      cells: Array<{ id: number; cpus: string; memoryKiB: number }>;
    }
  | {
      form: 'disk';
      /** Target dev of the disk to change (vda, sda…). */
      target: string;
      bus: DiskBus;
      cache: DiskCache | null;
      io: DiskIo | null;
      discard: 'unmap' | 'ignore' | null;
      detectZeroes: 'off' | 'on' | 'unmap' | null;
      iothread: number | null;
    }
  | { form: 'nic'; mac: string; model: string; queues: number | null }
  | { form: 'boot'; order: BootDevice[] }
  | {
      form: 'graphics';
      index: number;
      type: 'vnc' | 'spice';
      listen: { type: 'address'; address: string } | { type: 'none' } | { type: 'socket' };
    }
  | { form: 'tpm'; tpm: { model: 'tpm-tis' | 'tpm-crb'; version: '1.2' | '2.0' } | null };

export type TuningForm = TuningChange['form'];

/** What the forms start from: every form's values read from the persistent definition. */
export interface TuningState {
  cpu: Extract<TuningChange, { form: 'cpu' }>;
  pinning: Extract<TuningChange, { form: 'pinning' }>;
  memory: Extract<TuningChange, { form: 'memory' }>;
  numa: Extract<TuningChange, { form: 'numa' }>;
  disks: Array<Extract<TuningChange, { form: 'disk' }> & { device: string; source: string | null; sourceType: string; format: string | null }>;
  nics: Array<Extract<TuningChange, { form: 'nic' }> & { source: string | null }>;
  boot: Extract<TuningChange, { form: 'boot' }> & { perDevice: boolean };
  graphics: Array<Extract<TuningChange, { form: 'graphics' }>>;
  tpm: Extract<TuningChange, { form: 'tpm' }>;
  iothreads: number;
}

/** The host's CPUs and memory, from its capabilities. */
export interface HostTopology {
  cells: Array<{
    id: number;
    memoryKiB: number;
    cpus: Array<{ id: number; socket: number; die: number; core: number; siblings: string }>;
    /** Pages by size: total from capabilities; free from the host (NODE_GET_FREE_PAGES) when it answered. */
    pages: Array<{ sizeKiB: number; total: number; free: number | null }>;
  }>;
  /** Logical CPUs (threads) of the host. */
  threads: number;
  memoryKiB: number;
  /** Supported page sizes (KiB); the smallest one is the normal page. */
  pageSizesKiB: number[];
}

export interface TuningContext {
  uuid: string;
  name: string;
  running: boolean;
  /** The persistent definition the forms edit (send it back as basedOn). */
  inactiveXml: string;
  state: TuningState;
  /** What the running guest uses now; null when it is off. */
  live: { vcpus: number; maxVcpus: number; memoryKiB: number; balloonModel: BalloonModel | null; vcpuPins: string[] } | null;
  host: HostTopology;
}

/** A libvirt call that makes (part of) a change on the running guest. */
export type TuningLiveCall =
  | { call: 'setVcpus'; count: number }
  | { call: 'setMemory'; kib: number }
  | { call: 'pinVcpu'; vcpu: number; cpus: number[] }
  | { call: 'pinEmulator'; cpus: number[] }
  | { call: 'pinIothread'; iothread: number; cpus: number[] };

export interface TuningPlan {
  /** both = takes effect now and persists; next-boot = persisted, used from the next boot; mixed = some of each. */
  applies: 'both' | 'next-boot' | 'mixed' | 'nothing';
  /** Changed settings (keys of domainTuning.fields) and when each takes effect. */
  fields: Array<{ field: string; when: 'both' | 'next-boot'; reason: string | null }>;
  liveCalls: TuningLiveCall[];
}

/** A message for the user: key under domainTuning.messages and its values. */
export interface TuningMessage {
  key: string;
  values: Record<string, string | number>;
}

export interface TuningPreview {
  basedOn: string;
  xml: string;
  /** Unified diff of the persistent definition. */
  diff: string;
  plan: TuningPlan;
  warnings: TuningMessage[];
}

export interface TuningApplyResult {
  /** The definition as libvirt stored it. */
  xml: string;
  live: Array<{ call: TuningLiveCall; ok: boolean; error?: string }>;
}

export interface AdvisorFinding {
  rule:
    | 'vcpu-overcommit'
    | 'memory-overcommit'
    | 'pinning-across-numa'
    | 'hugepages-no-pool'
    | 'disk-cache'
    | 'disk-format'
    | 'no-virtio-disk'
    | 'no-virtio-nic'
    | 'no-balloon'
    | 'emulated-nic';
  severity: 'warning' | 'info';
  /** Values for the translated reason (domainTuning.advisor.<rule>.reason). */
  values: Record<string, string | number>;
  /** The change that fixes it, opened in its form; null when there is nothing to apply. */
  fix: TuningChange | null;
}

export interface DomainTuningCalls {
  /** The persistent definition, every tuning form's values, the live values and the host topology. */
  'domainTuning.context': { request: DomainRef; response: TuningContext };
  /** What a change would do: the diff of the persistent definition and when it takes effect. */
  'domainTuning.preview': { request: DomainRef & { change: TuningChange; basedOn: string }; response: TuningPreview };
  /** Defines the changed definition (conflict-checked, VALIDATE) and makes the live calls on a running guest. */
  'domainTuning.apply': { request: DomainRef & { change: TuningChange; basedOn: string }; response: TuningApplyResult };
  'domainTuning.advice': { request: DomainRef; response: AdvisorFinding[] };
}

export const DOMAIN_TUNING_CALLS = [
  'domainTuning.context',
  'domainTuning.preview',
  'domainTuning.apply',
  'domainTuning.advice',
] as const satisfies readonly (keyof DomainTuningCalls)[];
export type _DomainTuningCallsListed = AssertNever<Exclude<keyof DomainTuningCalls, (typeof DOMAIN_TUNING_CALLS)[number]>>;
