/**
 * Snapshots of a guest (VM page → Snapshots): the tree with what each snapshot holds, create (internal
 * or external, with memory or disk-only, quiesced through the guest agent), revert, delete (one, with
 * children, metadata only), edit the description; and "Snapshot selected VMs" from the fleet table.
 * Every action the host's libvirt would refuse comes with the reason instead (and, where a newer libvirt
 * adds it, that version).
 */

import type { ApiError } from './errors';
import type { DomainRef, DomainState } from './domains';
import type { AssertNever } from './channel-names';

/** A message the renderer translates: `domainSnapshots.reasons.<key>` with `values`. */
export interface SnapshotMessage {
  key: string;
  values?: Record<string, string | number>;
}

/** Whether the host will do something; when not, why (and from which libvirt version it would). */
export type SnapshotAbility = { allowed: true } | { allowed: false; reason: SnapshotMessage };

/** The guest's state when the snapshot was taken (the snapshot XML's <state>). */
export type SnapshotState =
  | 'running'
  | 'paused'
  | 'shutoff'
  | 'shutdown'
  | 'crashed'
  | 'disk-snapshot'
  | 'pmsuspended'
  | 'blocked'
  | 'nostate';

/** Where a disk's (or the memory's) snapshot lives. */
export type SnapshotLocation = 'internal' | 'external' | 'no' | 'manual';

export interface SnapshotDisk {
  /** Target dev (vda…). */
  target: string;
  snapshot: SnapshotLocation;
  /** The overlay file an external snapshot created (null for internal ones). */
  file: string | null;
}

/** What the guest is after a revert: its state at the snapshot, or run / pause forced. */
export type SnapshotRevertAfter = 'default' | 'running' | 'paused';

export interface SnapshotEntry {
  name: string;
  /** The parent snapshot's name; null for a root. */
  parent: string | null;
  /** Names of the direct children. */
  children: string[];
  /** The domain's current snapshot. */
  current: boolean;
  /** Creation time, seconds since the epoch (the XML's <creationTime>). */
  createdAt: number | null;
  state: SnapshotState;
  description: string;
  /** External when the memory or any disk is external (libvirt's own rule). */
  location: 'internal' | 'external';
  memory: SnapshotLocation;
  /** Whether it holds the guest's memory (a revert resumes where it was). */
  withMemory: boolean;
  disks: SnapshotDisk[];
  /** What the guest is after a revert without RUNNING/PAUSED. */
  revertsTo: 'running' | 'paused' | 'shutoff';
  revert: SnapshotAbility;
  /** Whether RUNNING/PAUSED may be left out (a transient guest must choose one for a shut-off snapshot). */
  revertDefaultAllowed: boolean;
  deleteOne: SnapshotAbility;
  deleteWithChildren: SnapshotAbility;
  deleteMetadataOnly: SnapshotAbility;
}

/** The kinds of snapshot a create form offers. */
export type SnapshotKind = 'internal' | 'external';

export interface SnapshotsState {
  hostId: string;
  uuid: string;
  name: string;
  state: DomainState;
  running: boolean;
  persistent: boolean;
  /** libvirt on the host, e.g. "9.0.0" (the decisions below depend on it). */
  libvirtVersion: string;
  /** Parents before children (libvirt's topological order). */
  snapshots: SnapshotEntry[];
  create: {
    internal: SnapshotAbility;
    external: SnapshotAbility;
    /** With the guest's memory (running or paused guests). */
    memory: SnapshotAbility;
    /** Disk-only while running (external). */
    diskOnly: SnapshotAbility;
    /** Quiesced through the guest agent (external disk-only of a running guest whose agent answers). */
    quiesce: SnapshotAbility;
  };
}

export interface SnapshotCreateRequest extends DomainRef {
  name: string;
  description: string;
  kind: SnapshotKind;
  /** With the guest's memory (running/paused guests; false = disk-only). */
  memory: boolean;
  quiesce: boolean;
}

export interface SnapshotCreatePreview {
  /** The <domainsnapshot> XML that will be sent. */
  xml: string;
  /** libvirt's flags, by name (VIR_DOMAIN_SNAPSHOT_CREATE_…). */
  flags: string[];
}

export interface SnapshotRevertRequest extends DomainRef {
  snapshot: string;
  /** The name typed or clicked to confirm; must equal `snapshot`. */
  confirmName: string;
  after: SnapshotRevertAfter;
}

export type SnapshotDeleteMode = 'one' | 'children' | 'metadata';

export interface SnapshotDeleteRequest extends DomainRef {
  snapshot: string;
  confirmName: string;
  mode: SnapshotDeleteMode;
}

export interface SnapshotDescriptionRequest extends DomainRef {
  snapshot: string;
  description: string;
}

/** "Snapshot selected VMs": one name for all. */
export interface BulkSnapshotRequest {
  targets: DomainRef[];
  name: string;
  description: string;
}

export type BulkSnapshotItem = DomainRef & { vmName: string } & (
    | { ok: true; kind: SnapshotKind; withMemory: boolean }
    | { ok: false; error: ApiError }
  );

export interface BulkSnapshotResult {
  items: BulkSnapshotItem[];
}

export interface DomainSnapshotsCalls {
  'domainSnapshots.state': { request: DomainRef; response: SnapshotsState };
  'domainSnapshots.xml': { request: DomainRef & { snapshot: string }; response: string };
  'domainSnapshots.previewCreate': { request: SnapshotCreateRequest; response: SnapshotCreatePreview };
  'domainSnapshots.create': { request: SnapshotCreateRequest; response: SnapshotsState };
  'domainSnapshots.revert': { request: SnapshotRevertRequest; response: SnapshotsState };
  'domainSnapshots.delete': { request: SnapshotDeleteRequest; response: SnapshotsState };
  'domainSnapshots.setDescription': { request: SnapshotDescriptionRequest; response: SnapshotsState };
  'domainSnapshots.bulkCreate': { request: BulkSnapshotRequest; response: BulkSnapshotResult };
}

export const DOMAIN_SNAPSHOTS_CALLS = [
  'domainSnapshots.state',
  'domainSnapshots.xml',
  'domainSnapshots.previewCreate',
  'domainSnapshots.create',
  'domainSnapshots.revert',
  'domainSnapshots.delete',
  'domainSnapshots.setDescription',
  'domainSnapshots.bulkCreate',
] as const satisfies readonly (keyof DomainSnapshotsCalls)[];
export type _DomainSnapshotsCallsListed = AssertNever<
  Exclude<keyof DomainSnapshotsCalls, (typeof DOMAIN_SNAPSHOTS_CALLS)[number]>
>;
