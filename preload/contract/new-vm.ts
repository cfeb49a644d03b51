/**
 * The new-VM wizard: what a host offers a new guest (capabilities, pools, networks, operating systems),
 * OS detection from an ISO's volume label, the defaults an OS and a host decide, the domain XML and the
 * steps the wizard would take, and Create (volumes, define, start; everything undone on failure).
 */

import type { AssertNever } from './channel-names';

/** Where the guest's system comes from. */
export type NewVmSourceKind = 'iso' | 'import' | 'cloud-image';

export type NewVmDiskBus = 'virtio' | 'sata' | 'scsi' | 'ide';
export type NewVmNicModel = 'virtio' | 'e1000e' | 'e1000' | 'rtl8139';
export type NewVmGraphics = 'vnc' | 'spice' | 'none';

/** An operating system the wizard can pick (from the host's osinfo-db, or VirtDeck's built-in list). */
export interface NewVmOs {
  /** osinfo id, e.g. http://debian.org/debian/12 (written into the domain's libosinfo metadata). */
  id: string;
  shortId: string | null;
  name: string;
  /** osinfo family: linux, winnt, freebsd, … */
  family: string | null;
  vendor: string | null;
  releaseDate: string | null;
  /** Past its end of life (osinfo eol-date): listed after the others. */
  eol: boolean;
}

/** A volume of an active pool the wizard can use as install media, a disk to import, or a cloud image. */
export interface NewVmVolume {
  pool: string;
  name: string;
  path: string;
  /** libvirt's format of the volume (iso, qcow2, raw, …) when it reports one. */
  format: string | null;
  capacityBytes: number;
}

export interface NewVmPool {
  name: string;
  type: string;
  /** Whether the wizard can create a new disk here (file-based pools: dir, fs, netfs). */
  fileBased: boolean;
  targetPath: string | null;
  availableBytes: number;
}

export interface NewVmNetwork {
  name: string;
  active: boolean;
}

/** What the host offers, read from its capabilities and domain capabilities. */
export interface NewVmHostFacts {
  /** The domain type the wizard uses: kvm where the host offers it, else qemu (TCG emulation). */
  domainType: 'kvm' | 'qemu';
  arch: string;
  emulator: string | null;
  machines: string[];
  /** UEFI firmware that libvirt can pick itself (<os firmware='efi'>). */
  efi: boolean;
  secureBoot: boolean;
  /** An emulated TPM (swtpm) is available. */
  tpmEmulator: boolean;
  tpmModels: string[];
  cpuModes: string[];
  graphics: string[];
  diskBuses: string[];
  videoModels: string[];
  threads: number;
  memoryKiB: number;
  /** Running (or paused) guests' current vCPUs and memory, as the sizing rules count them. */
  running: { vcpus: number; memoryKiB: number };
}

export interface NewVmContext {
  hostId: string;
  host: NewVmHostFacts;
  pools: NewVmPool[];
  volumes: NewVmVolume[];
  networks: NewVmNetwork[];
  existingNames: string[];
  /** Where the OS list came from: the host's osinfo-db (its directory), or the built-in list. */
  osSource: { kind: 'host'; path: string; version: string | null; count: number } | { kind: 'built-in'; count: number; reason: string };
  oses: NewVmOs[];
}

/** What the wizard collects; the defaults come from `newVm.defaults`. */
export interface NewVmSpec {
  name: string;
  osId: string;
  source:
    | { kind: 'iso'; isoPath: string }
    | { kind: 'import'; diskPath: string }
    | {
        kind: 'cloud-image';
        imagePath: string;
        cloudInit: {
          user: string;
          /** Plain text from the form; only its SHA-512 crypt hash goes into the seed. */
          password: string | null;
          sshKey: string | null;
          hostname: string;
        };
      };
  vcpus: number;
  memoryMiB: number;
  /** The new disk (iso: empty qcow2; cloud-image: qcow2 on top of the image). Import uses only `bus`. */
  disk: { pool: string; sizeGiB: number; bus: NewVmDiskBus };
  machine: 'q35' | 'pc';
  firmware: 'efi' | 'bios';
  secureBoot: boolean;
  tpm: boolean;
  nic: { kind: 'network' | 'bridge' | 'user' | 'none'; source: string | null; model: NewVmNicModel };
  graphics: NewVmGraphics;
}

/** A note explaining a default or a limit (translated: newVm.notes.<key>). */
export interface NewVmNote {
  key:
    | 'tcg'
    | 'legacyMachine'
    | 'noVirtioDisk'
    | 'noVirtioNic'
    | 'efiMissing'
    | 'noEfiFirmware'
    | 'secureBootMissing'
    | 'tpmMissing'
    | 'noPool'
    | 'noActiveNetwork'
    | 'diskGrownToImage';
  values: Record<string, string | number>;
  severity: 'info' | 'warning';
}

export interface NewVmDefaults {
  spec: Omit<NewVmSpec, 'name' | 'source'>;
  notes: NewVmNote[];
}

/** One thing Create does, in order; each is undone (reverse order) when a later one fails. */
export type NewVmStep =
  | { kind: 'create-volume'; pool: string; name: string; capacityBytes: number; format: 'qcow2'; backingPath: string | null }
  | { kind: 'write-seed'; pool: string; name: string; bytes: number }
  | { kind: 'define' }
  | { kind: 'start' };

/** A sizing warning with the same rule names and values as the advisor's (domainTuning.advisor.<rule>). */
export interface NewVmSizingWarning {
  rule: 'vcpu-overcommit' | 'memory-overcommit';
  values: Record<string, string | number>;
}

export interface NewVmPreview {
  xml: string;
  steps: NewVmStep[];
  warnings: NewVmSizingWarning[];
  notes: NewVmNote[];
  /** The cloud-init seed's user-data and meta-data (password only as its hash). */
  seed: { userData: string; metaData: string } | null;
}

export interface NewVmStepProgress {
  createId: string;
  index: number;
  state: 'running' | 'done' | 'failed' | 'undone' | 'undo-failed';
  detail?: string;
}

export type NewVmCreateResult =
  | { ok: true; uuid: string; name: string; console: 'serial' | 'graphics' }
  | {
      ok: false;
      /** The step that failed (index into the preview's steps) and what it was. */
      failedIndex: number;
      failedStep: NewVmStep;
      message: string;
      /** libvirt's own message when libvirt refused. */
      libvirtMessage: string | null;
      /** What was removed again, and what could not be (with why). */
      undone: string[];
      leftBehind: string[];
    };

export interface NewVmCalls {
  'newVm.context': { request: { hostId: string }; response: NewVmContext };
  /** Reads the ISO 9660 volume label of a volume (its primary volume descriptor) and the OSes it matches. */
  'newVm.detect': { request: { hostId: string; path: string }; response: { label: string | null; matches: NewVmOs[] } };
  'newVm.defaults': { request: { hostId: string; osId: string; sourceKind: NewVmSourceKind }; response: NewVmDefaults };
  /** The domain XML and the steps for a spec; touches nothing on the host. */
  'newVm.preview': { request: { hostId: string; spec: NewVmSpec }; response: NewVmPreview };
  /** Runs the steps with `xml` (the preview's, possibly edited) as the definition. */
  'newVm.create': { request: { hostId: string; spec: NewVmSpec; xml: string; createId: string }; response: NewVmCreateResult };
  /**
   * Removes the ISO volume a wizard uploaded (storage upload `transferId`, finished) when the wizard is
   * cancelled or closed without a guest made from it. Only that transfer's volume, and never while a
   * guest uses it (then `deleted` is false and `reason` says which guests).
   */
  'newVm.discardUpload': { request: { hostId: string; transferId: string }; response: { deleted: boolean; reason: string | null } };
}

export const NEW_VM_CALLS = [
  'newVm.context',
  'newVm.detect',
  'newVm.defaults',
  'newVm.preview',
  'newVm.create',
  'newVm.discardUpload',
] as const satisfies readonly (keyof NewVmCalls)[];
export type _NewVmCallsListed = AssertNever<Exclude<keyof NewVmCalls, (typeof NEW_VM_CALLS)[number]>>;

export interface NewVmEvents {
  /** A step of a running Create changed state. */
  'newVm.progress': NewVmStepProgress;
}

export const NEW_VM_EVENTS = ['newVm.progress'] as const satisfies readonly (keyof NewVmEvents)[];
export type _NewVmEventsListed = AssertNever<Exclude<keyof NewVmEvents, (typeof NEW_VM_EVENTS)[number]>>;
