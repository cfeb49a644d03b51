/**
 * Guests: identity across hosts, lifecycle actions, and what the VM page shows from the domain XML.
 */

import type { ApiError } from './errors';
import type { AssertNever } from './channel-names';

/** libvirt's domain states (virDomainState). */
export type DomainState =
  | 'nostate'
  | 'running'
  | 'blocked'
  | 'paused'
  | 'shutdown'
  | 'shutoff'
  | 'crashed'
  | 'pmsuspended';

/** A guest, identified across hosts. */
export interface DomainRef {
  hostId: string;
  uuid: string;
}

/** Where a graphics console listens on its host. */
export type GraphicsListen =
  | { type: 'address'; address: string; port: number | null; tlsPort: number | null }
  | { type: 'socket'; path: string }
  | { type: 'none' };

/** Lifecycle and housekeeping actions on one guest or many (across hosts). */
export type DomainAction =
  | 'start'
  | 'shutdown'
  | 'reboot'
  | 'destroy'
  | 'reset'
  | 'suspend'
  | 'resume'
  | 'managedSave'
  | 'autostartOn'
  | 'autostartOff'
  | 'delete';

/** Actions that lose guest state or data: the UI confirms them with the names. */
export const DESTRUCTIVE_ACTIONS = ['destroy', 'reset', 'delete'] as const satisfies readonly DomainAction[];

export interface DomainActionRequest {
  /** Made by the client; a request with an id already seen is not run again. */
  actionId: string;
  action: DomainAction;
  targets: DomainRef[];
  /** For delete: storage volumes (by path) the user confirmed to remove with the guest. */
  removeStoragePaths?: string[];
}

export type DomainActionItemResult = DomainRef & { name: string } & ({ ok: true } | { ok: false; error: ApiError });

export interface DomainActionProgress {
  actionId: string;
  item: DomainRef & { name: string };
  status: 'running' | 'done' | 'failed';
  error?: ApiError;
}

/** What deleting a guest involves, shown before the user confirms. */
export interface DomainDeletionPlan {
  ref: DomainRef;
  name: string;
  running: boolean;
  hasManagedSave: boolean;
  snapshots: number;
  hasNvram: boolean;
  hasTpm: boolean;
  /** Disks whose storage could be removed with the guest (file/block/volume), by path. */
  volumes: Array<{ path: string; target: string; device: string }>;
}

/** What the VM page shows about a guest, parsed from its domain XML (secrets reduced to flags). */
export interface DomainDetails {
  hostId: string;
  uuid: string;
  name: string;
  title: string | null;
  description: string | null;
  /** Hypervisor type: kvm, qemu, … */
  virtType: string;
  arch: string | null;
  machine: string | null;
  firmware: string | null;
  cpuMode: string | null;
  vcpus: { current: number; max: number };
  memoryKiB: { current: number; max: number };
  disks: Array<{
    device: string;
    target: string;
    bus: string | null;
    /** File path, block device, pool/volume or network name, as the XML gives it. */
    source: string | null;
    sourceType: string;
    format: string | null;
    cache: string | null;
    io: string | null;
    readonly: boolean;
  }>;
  interfaces: Array<{ type: string; mac: string | null; source: string | null; model: string | null; target: string | null }>;
  graphics: Array<{ type: string; listen: GraphicsListen; autoport: boolean; hasPassword: boolean }>;
  consoles: Array<{ kind: 'serial' | 'console'; type: string; targetType: string | null; port: number | null; alias: string | null }>;
  guestAgentChannel: boolean;
  balloonModel: string | null;
  tpm: boolean;
}

export interface DomainsCalls {
  'domains.act': { request: DomainActionRequest; response: DomainActionItemResult[] };
  'domains.deletionPlan': { request: { targets: DomainRef[] }; response: DomainDeletionPlan[] };
  'domain.details': { request: DomainRef & { inactive: boolean }; response: DomainDetails };
}

export const DOMAINS_CALLS = [
  'domains.act',
  'domains.deletionPlan',
  'domain.details',
] as const satisfies readonly (keyof DomainsCalls)[];
export type _DomainsCallsListed = AssertNever<Exclude<keyof DomainsCalls, (typeof DOMAINS_CALLS)[number]>>;

export interface DomainsEvents {
  'domains.actionProgress': DomainActionProgress;
}

export const DOMAINS_EVENTS = [
  'domains.actionProgress',
] as const satisfies readonly (keyof DomainsEvents)[];
export type _DomainsEventsListed = AssertNever<Exclude<keyof DomainsEvents, (typeof DOMAINS_EVENTS)[number]>>;
