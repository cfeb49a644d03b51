/**
 * Cloning a shut-off guest on its host (new name, UUID and MAC addresses; each disk copied, linked as a
 * qcow2 overlay, or shared; NVRAM copied), and renaming a shut-off guest.
 */

import type { DomainRef } from './domains';
import type { LongJobProgress, LongJobStateName } from './long-jobs';
import type { AssertNever } from './channel-names';

/**
 * What the clone does with one disk: `copy` = a new volume with the disk's content (libvirt's
 * volume-from-volume copy); `link` = a new qcow2 volume backed by the original (the original must not
 * be written afterwards); `share` = the clone uses the same source (CD-ROMs, read-only or shareable disks).
 */
export type CloneDiskMode = 'copy' | 'link' | 'share';

/** A message the renderer translates: `domainClone.messages.<key>` with `values`. */
export interface CloneMessage {
  key: string;
  values?: Record<string, string | number>;
}

/** Where a disk's (or the NVRAM's) storage is, as far as copying it goes. */
export type CloneStorage =
  /** A volume of a libvirt storage pool. */
  | { kind: 'volume'; pool: string; poolType: string; volume: string; path: string; format: string | null }
  /**
   * A file in no storage pool: VirtDeck copies it through a temporary storage pool over its directory
   * (created for the clone, removed afterwards), so libvirt copies it on the host.
   */
  | { kind: 'file'; path: string; directory: string }
  /** No media (an empty CD-ROM drive). */
  | { kind: 'none' }
  /** Storage VirtDeck cannot copy (network disks, block devices outside pools, missing files…). */
  | { kind: 'unsupported'; reason: CloneMessage };

export interface CloneDiskPlan {
  /** Target dev (vda, sdb…): identifies the disk. */
  target: string;
  device: string;
  /** As the XML gives it (file path, pool/volume, device). */
  source: string | null;
  /** The driver's format (qcow2, raw…). */
  format: string | null;
  readonly: boolean;
  shareable: boolean;
  storage: CloneStorage;
  /** Bytes allocated on the host (what a copy moves), when known before the clone starts. */
  allocationBytes: number | null;
  /** Virtual size, when known. */
  capacityBytes: number | null;
  /** The modes this disk may use, the default first; empty = this disk blocks the clone. */
  modes: CloneDiskMode[];
  /** Name of the new volume for copy/link (in the same pool or directory); null for share. */
  suggestedName: string | null;
}

export interface ClonePlan {
  hostId: string;
  uuid: string;
  name: string;
  /** Why the guest cannot be cloned now (not shut off, transient, a disk that cannot be cloned…). */
  blockers: CloneMessage[];
  suggestedName: string;
  disks: CloneDiskPlan[];
  /** The UEFI variable store, when the guest has one with a path. */
  nvram: { path: string; storage: CloneStorage; exists: boolean | null; suggestedPath: string } | null;
  /** Things to know (TPM state not copied, fixed display port, PCI devices…). */
  notes: CloneMessage[];
  /** The source's persistent XML the plan was made from; the clone refuses to run if it changed. */
  basedOn: string;
}

export interface CloneRequest extends DomainRef {
  /** The clone's name. */
  name: string;
  /** One entry per disk of the plan that has storage (by target); `volumeName` for copy and link. */
  disks: Array<{ target: string; mode: CloneDiskMode; volumeName: string | null }>;
  basedOn: string;
}

/** One thing the clone does on the host, in order. */
export type CloneStep =
  | { kind: 'temporaryPool'; directory: string }
  | { kind: 'copyVolume'; target: string; from: string; to: string; bytes: number | null }
  | { kind: 'linkVolume'; target: string; backing: string; to: string }
  | { kind: 'copyNvram'; from: string; to: string }
  | { kind: 'define'; name: string };

export interface ClonePreview {
  /** The clone's definition as it will be defined (libvirt then adds a new UUID and MAC addresses). */
  xml: string;
  /** Against the source's definition. */
  diff: string;
  steps: CloneStep[];
  warnings: CloneMessage[];
  /** Bytes to copy, when known (files outside pools are measured when the clone starts). */
  bytesTotal: number | null;
}

export type CloneJobState = LongJobStateName;

/** A clone in progress or finished (kept for a while so a reopened window sees it). */
export interface CloneJob extends LongJobProgress {
  jobId: string;
  hostId: string;
  sourceUuid: string;
  sourceName: string;
  name: string;
  /** The step running now (index into steps), or null before the first and after the last. */
  stepIndex: number | null;
  steps: CloneStep[];
  /** The clone, when done. */
  result: { uuid: string; name: string } | null;
}

/** Why a rename would be refused (checked before trying). */
export interface RenameCheck {
  hostId: string;
  uuid: string;
  name: string;
  blockers: CloneMessage[];
  /** Disk and NVRAM paths that keep their names (libvirt renames only the definition). */
  keptPaths: string[];
}

export interface DomainCloneCalls {
  'domainClone.plan': { request: DomainRef; response: ClonePlan };
  'domainClone.preview': { request: CloneRequest; response: ClonePreview };
  /** Starts a clone and returns at once; progress comes as `domainClone.progress`. A repeated jobId returns that job. */
  'domainClone.start': { request: CloneRequest & { jobId: string }; response: CloneJob };
  /** Cancels: everything the clone created is removed (a volume copy in libvirt runs to its end first). */
  'domainClone.cancel': { request: { jobId: string }; response: CloneJob };
  'domainClone.jobs': { request: null; response: CloneJob[] };
  'domainClone.renameCheck': { request: DomainRef; response: RenameCheck };
  /** `from` is the name the user saw: nothing happens if the guest has been renamed meanwhile. */
  'domainClone.rename': { request: DomainRef & { from: string; name: string }; response: { name: string } };
}

export const DOMAIN_CLONE_CALLS = [
  'domainClone.plan',
  'domainClone.preview',
  'domainClone.start',
  'domainClone.cancel',
  'domainClone.jobs',
  'domainClone.renameCheck',
  'domainClone.rename',
] as const satisfies readonly (keyof DomainCloneCalls)[];
export type _DomainCloneCallsListed = AssertNever<Exclude<keyof DomainCloneCalls, (typeof DOMAIN_CLONE_CALLS)[number]>>;

export interface DomainCloneEvents {
  'domainClone.progress': CloneJob;
}

export const DOMAIN_CLONE_EVENTS = ['domainClone.progress'] as const satisfies readonly (keyof DomainCloneEvents)[];
export type _DomainCloneEventsListed = AssertNever<Exclude<keyof DomainCloneEvents, (typeof DOMAIN_CLONE_EVENTS)[number]>>;
