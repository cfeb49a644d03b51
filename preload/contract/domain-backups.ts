/**
 * Backups of a guest's disks on its host with libvirt's backup API (push mode: libvirt's QEMU driver
 * writes each disk to a qcow2 file in a directory on the host), full or incremental through checkpoints;
 * the backups VirtDeck made (a manifest beside each), the guest's checkpoints, deleting a backup, and
 * restoring one into new volumes with a new guest defined on them.
 */

import type { DomainRef } from './domains';
import type { LongJobProgress, LongJobStateName } from './long-jobs';
import type { AssertNever } from './channel-names';

/** A message the renderer translates: `domainBackups.messages.<key>` with `values`. */
export interface BackupMessage {
  key: string;
  values?: Record<string, string | number>;
}

/** Whether the host can back up this guest, and why not. */
export interface BackupSupport {
  /** False: nothing is offered (`reason` says why). */
  supported: boolean;
  reason: BackupMessage | null;
  libvirtVersion: string;
  /** qemu-img on the host: needed to chain incremental backups for a restore. */
  qemuImg: boolean;
}

export interface BackupDiskPlan {
  target: string;
  /** The file or volume path the guest uses. */
  source: string | null;
  format: string | null;
  /** Backed up (a disk with storage; CD-ROMs and floppies are not). */
  included: boolean;
  /** Can carry a checkpoint bitmap (qcow2 v3). */
  checkpoints: boolean;
  /** Why it is left out or cannot take part in incremental backups. */
  note: BackupMessage | null;
}

export interface BackupDisk {
  target: string;
  /** The backup file (qcow2) on the host. */
  file: string;
  /** Bytes the file takes on the host. */
  sizeBytes: number;
  /** The disk's virtual size. */
  virtualBytes: number;
}

/** One backup VirtDeck made, as its manifest (virtdeck-backup.json beside the files) tells. */
export interface BackupEntry {
  /** Its directory on the host: identifies it. */
  directory: string;
  kind: 'full' | 'incremental';
  vmName: string;
  vmUuid: string;
  createdAt: number;
  completedAt: number;
  /** The checkpoint made with it (the start of the next incremental), null when none was made. */
  checkpoint: string | null;
  /** Whether that checkpoint still exists on the guest. */
  checkpointExists: boolean;
  /** The backup this incremental is based on (its directory); null for a full one. */
  parent: string | null;
  disks: BackupDisk[];
  totalBytes: number;
  /** The guest was shut off and was started paused for the backup. */
  startedPaused: boolean;
  /** Restorable: its chain of parents is all there (and qemu-img chained the files). */
  restorable: boolean;
}

export interface CheckpointEntry {
  name: string;
  createdAt: number | null;
  parent: string | null;
  disks: string[];
  /** The backup made with it, when VirtDeck made one and its manifest was found. */
  backup: string | null;
}

export interface BackupOverview {
  hostId: string;
  uuid: string;
  name: string;
  running: boolean;
  support: BackupSupport;
  disks: BackupDiskPlan[];
  /** Where backups go by default: `<directory of a dir pool>/backups`; null when the host has no dir pool. */
  defaultDirectory: string | null;
  /** Base directories scanned for this guest's backups (each holds `<guest name>/<time>-<kind>/`). */
  directories: string[];
  backups: BackupEntry[];
  checkpoints: CheckpointEntry[];
  /** Which kinds can start now; incremental needs a backup whose checkpoint still exists. */
  canFull: boolean;
  canIncremental: boolean;
  /** The backup an incremental would build on. */
  incrementalParent: string | null;
  /** Storage pools a restore can write to. */
  pools: Array<{ name: string; type: string; path: string | null }>;
}

export interface BackupRequest extends DomainRef {
  kind: 'full' | 'incremental';
  /** Base directory on the host; the backup goes to `<directory>/<guest name>/<time>-<kind>/`. */
  directory: string;
}

export interface BackupPreview {
  /** The backup's own directory. */
  directory: string;
  backupXml: string;
  checkpointXml: string | null;
  /** The incremental's parent backup (directory). */
  parent: string | null;
  /** The guest is shut off: it is started paused for the backup and stopped again afterwards. */
  startsPaused: boolean;
}

export interface RestoreRequest extends DomainRef {
  /** The backup to restore (its directory). */
  backup: string;
  /** The new guest's name. */
  name: string;
  /** The pool the new volumes go to. */
  pool: string;
}

export interface RestorePreview {
  /** The new guest's definition (libvirt adds a UUID and MAC addresses). */
  xml: string;
  /** The chain the disks are read from, full backup first. */
  chain: string[];
  volumes: Array<{ target: string; name: string; fromFile: string; virtualBytes: number }>;
  notes: BackupMessage[];
}

export type BackupJobState = LongJobStateName;

export type BackupPhase = 'starting' | 'copying' | 'finishing' | 'defining';

/** A backup or restore in progress or finished (kept for a while so a reopened window sees it). */
export interface BackupJob extends LongJobProgress {
  jobId: string;
  hostId: string;
  uuid: string;
  vmName: string;
  operation: 'backup' | 'restore';
  /** backup: full / incremental; restore: the new guest's name. */
  label: string;
  phase: BackupPhase | null;
  /** The guest was started paused for it. */
  startedPaused: boolean;
  /** backup: its directory; restore: the new guest. */
  result: { directory?: string; uuid?: string; name?: string } | null;
}

export interface DomainBackupsCalls {
  /** Support, disks, backups (from the manifests under `directories` and the default), checkpoints. */
  'domainBackups.overview': { request: DomainRef & { directories?: string[] }; response: BackupOverview };
  'domainBackups.preview': { request: BackupRequest; response: BackupPreview };
  /** Starts and returns at once; progress comes as `domainBackups.progress`. A repeated jobId returns that job. */
  'domainBackups.start': { request: BackupRequest & { jobId: string }; response: BackupJob };
  /** Cancels: the partial files, the checkpoint and the directory are removed. */
  'domainBackups.cancel': { request: { jobId: string }; response: BackupJob };
  'domainBackups.jobs': { request: null; response: BackupJob[] };
  /**
   * Deletes a backup, the backups built on it, and their checkpoints. `confirm` must be the guest's name.
   * Returns the directories removed.
   */
  'domainBackups.delete': { request: DomainRef & { backup: string; confirm: string }; response: { removed: string[] } };
  'domainBackups.restorePreview': { request: RestoreRequest; response: RestorePreview };
  'domainBackups.restore': { request: RestoreRequest & { jobId: string }; response: BackupJob };
}

export const DOMAIN_BACKUPS_CALLS = [
  'domainBackups.overview',
  'domainBackups.preview',
  'domainBackups.start',
  'domainBackups.cancel',
  'domainBackups.jobs',
  'domainBackups.delete',
  'domainBackups.restorePreview',
  'domainBackups.restore',
] as const satisfies readonly (keyof DomainBackupsCalls)[];
export type _DomainBackupsCallsListed = AssertNever<Exclude<keyof DomainBackupsCalls, (typeof DOMAIN_BACKUPS_CALLS)[number]>>;

export interface DomainBackupsEvents {
  'domainBackups.progress': BackupJob;
}

export const DOMAIN_BACKUPS_EVENTS = ['domainBackups.progress'] as const satisfies readonly (keyof DomainBackupsEvents)[];
export type _DomainBackupsEventsListed = AssertNever<Exclude<keyof DomainBackupsEvents, (typeof DOMAIN_BACKUPS_EVENTS)[number]>>;
