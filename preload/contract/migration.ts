/**
 * Live migration between two connected hosts: checks before starting, the options libvirt offers, the
 * route the data takes (host to host, relayed through VirtDeck's two SSH connections, or peer to peer),
 * and a job with progress, cancel and a switch to post-copy.
 */

import type { DomainRef } from './domains';
import type { ApiError } from './errors';
import type { AssertNever } from './channel-names';

/** A message the renderer translates: `migration.messages.<key>` with `values`. */
export interface MigrationMessage {
  key: string;
  values?: Record<string, string | number>;
}

/**
 * How the migration data travels: `direct` = the source's QEMU connects to the destination's (VirtDeck
 * drives libvirt's five phases through its two connections, like virsh without --p2p); `relayed` = the
 * destination listens on its loopback and VirtDeck carries the stream from the source's loopback through
 * its SSH connections (the hosts need not reach each other); `peer2peer` = the source's libvirtd logs in
 * to the destination itself (given a URI it can use).
 */
export type MigrationRoute = 'direct' | 'relayed' | 'peer2peer';
export type MigrationRouteChoice = 'auto' | MigrationRoute;

export interface MigrationOptions {
  /** live = the guest keeps running while its memory is copied; offline = only the definition moves (shut-off guests). */
  mode: 'live' | 'offline';
  /** Copy disks over (NBD): full (VIR_MIGRATE_NON_SHARED_DISK) or only the top image (NON_SHARED_INC). */
  copyStorage: 'none' | 'full' | 'incremental';
  /** Disk targets to copy (VIR_MIGRATE_PARAM_MIGRATE_DISKS); empty with copyStorage = every non-shared disk. */
  disks: string[];
  /** Define the guest on the destination (VIR_MIGRATE_PERSIST_DEST). */
  persistDest: boolean;
  /** Undefine it on the source afterwards (VIR_MIGRATE_UNDEFINE_SOURCE). */
  undefineSource: boolean;
  /** Compress memory pages (VIR_MIGRATE_COMPRESSED, xbzrle). */
  compression: boolean;
  /** MiB/s, null = unlimited (VIR_MIGRATE_PARAM_BANDWIDTH). */
  bandwidthMiBs: number | null;
  /** Longest pause at the switch-over in ms, null = libvirt's default (virDomainMigrateSetMaxDowntime). */
  maxDowntimeMs: number | null;
  /** Slow the guest's vCPUs down when its memory changes faster than it can be copied. */
  autoConverge: boolean;
  /** Allow switching to post-copy while it runs (VIR_MIGRATE_POSTCOPY). */
  postCopy: boolean;
  route: MigrationRouteChoice;
  /** For peer2peer: the URI the SOURCE host's libvirtd uses to log in to the destination. */
  peerUri: string | null;
}

export type MigrationCheckStatus = 'ok' | 'warning' | 'blocker';

export interface MigrationCheck {
  id: 'state' | 'name' | 'cpu' | 'machine' | 'networks' | 'storage' | 'memory' | 'route' | 'options';
  status: MigrationCheckStatus;
  message: MigrationMessage;
}

export interface MigrationDisk {
  target: string;
  device: string;
  source: string | null;
  format: string | null;
  /** The same file is there on the destination (a shared pool such as NFS, or the lab's vd-shared). */
  shared: boolean;
  /** The pool it is in on the source, when it is a pool volume. */
  pool: string | null;
  /** Allocated bytes, when known. */
  sizeBytes: number | null;
  /** May be copied (a writable disk with media). */
  copyable: boolean;
}

export interface MigrationDestination {
  hostId: string;
  name: string;
}

export interface MigrationPlanRequest extends DomainRef {
  destinationHostId: string | null;
  options: MigrationOptions | null;
}

export interface MigrationPlan {
  hostId: string;
  uuid: string;
  name: string;
  running: boolean;
  memoryBytes: number;
  /** Connected hosts other than the source. */
  destinations: MigrationDestination[];
  destinationHostId: string | null;
  disks: MigrationDisk[];
  checks: MigrationCheck[];
  /** Options filled in with what suits this guest (live when running, copy when storage is not shared…). */
  options: MigrationOptions;
}

export type MigrationJobState =
  | 'preparing'
  | 'running'
  | 'postcopy'
  | 'finishing'
  | 'cancelling'
  | 'done'
  | 'failed'
  | 'cancelled'
  /** A connection to one of the hosts was lost: VirtDeck looks for the guest on both when they are back. */
  | 'interrupted';

/** What libvirt's job statistics said last (bytes and ms; null = not reported). */
export interface MigrationStats {
  /** libvirt's job phase as VirtDeck sees it: storage copy, memory (iteration), post-copy, switch-over. */
  phase: 'setup' | 'storage' | 'memory' | 'postcopy' | 'switchover';
  dataProcessed: number | null;
  dataRemaining: number | null;
  dataTotal: number | null;
  memoryProcessed: number | null;
  memoryTotal: number | null;
  diskProcessed: number | null;
  diskTotal: number | null;
  /** Bytes per second (memory plus disk). */
  bytesPerSecond: number | null;
  /** Pages dirtied per second, and the page size. */
  dirtyPagesPerSecond: number | null;
  pageSize: number | null;
  expectedDowntimeMs: number | null;
  elapsedMs: number | null;
  iteration: number | null;
}

export interface MigrationJob {
  jobId: string;
  sourceHostId: string;
  destinationHostId: string;
  uuid: string;
  name: string;
  options: MigrationOptions;
  route: MigrationRoute | null;
  /** Why this route (auto: what the probe found; or chosen by the user). */
  routeReason: MigrationMessage | null;
  state: MigrationJobState;
  /** libvirt's migration phase being run: begin, prepare, probe, perform, finish, confirm. */
  step: 'begin' | 'prepare' | 'probe' | 'perform' | 'finish' | 'confirm' | null;
  stats: MigrationStats | null;
  secondsLeft: number | null;
  /** Bytes VirtDeck relayed (relayed route). */
  relayedBytes: number;
  /** The same per direction: source → destination (migration stream, disk writes) and back (replies). */
  relayedToDestination: number;
  relayedToSource: number;
  startedAt: number;
  finishedAt: number | null;
  /** The guest's actual pause at the switch-over (from the completed job's statistics). */
  downtimeMs: number | null;
  /** Where the guest is now, as last seen: which host and its state there. */
  location: { hostId: string; state: string } | null;
  /** A sentence for the outcome (where it runs, what happened after an interruption). */
  outcome: MigrationMessage | null;
  error: ApiError | null;
}

export interface MigrationStartRequest extends DomainRef {
  jobId: string;
  destinationHostId: string;
  options: MigrationOptions;
}

export interface MigrationCalls {
  /** Destinations, disks, checks with reasons, and suitable options for a guest (and a chosen destination). */
  'migration.plan': { request: MigrationPlanRequest; response: MigrationPlan };
  /** Starts and returns at once (refused when a check blocks); progress comes as `migration.progress`. */
  'migration.start': { request: MigrationStartRequest; response: MigrationJob };
  /** Aborts the job (virDomainAbortJob): before the switch-over the guest keeps running on the source. */
  'migration.cancel': { request: { jobId: string }; response: MigrationJob };
  /** Switches a running migration started with postCopy to post-copy. */
  'migration.postCopy': { request: { jobId: string }; response: MigrationJob };
  'migration.jobs': { request: null; response: MigrationJob[] };
}

export const MIGRATION_CALLS = [
  'migration.plan',
  'migration.start',
  'migration.cancel',
  'migration.postCopy',
  'migration.jobs',
] as const satisfies readonly (keyof MigrationCalls)[];
export type _MigrationCallsListed = AssertNever<Exclude<keyof MigrationCalls, (typeof MIGRATION_CALLS)[number]>>;

export interface MigrationEvents {
  'migration.progress': MigrationJob;
}

export const MIGRATION_EVENTS = ['migration.progress'] as const satisfies readonly (keyof MigrationEvents)[];
export type _MigrationEventsListed = AssertNever<Exclude<keyof MigrationEvents, (typeof MIGRATION_EVENTS)[number]>>;
