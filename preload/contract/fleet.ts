/**
 * Fleet: every guest of every connected host, live.
 */

import type { DomainState } from './domains';
import type { AssertNever } from './channel-names';

/** One guest as the fleet table shows it. Identity is (hostId, uuid). */
export interface FleetDomain {
  hostId: string;
  uuid: string;
  name: string;
  state: DomainState;
  persistent: boolean;
  autostart: boolean;
  vcpus: number;
  /** Current memory (balloon) in KiB. */
  memoryKiB: number;
  maxMemoryKiB: number;
  /** Guest CPU use over the last tick as a share of all its vCPUs, 0–100; null until two samples exist. */
  cpuPercent: number | null;
  /** Guest addresses from the agent or DHCP leases, when known. */
  addresses: string[];
}

/** One host's guests, as published on every change and every stats tick. */
export interface FleetHostDomains {
  hostId: string;
  domains: FleetDomain[];
  /** Epoch ms of the sample the CPU figures come from. */
  sampledAt: number;
}

/**
 * A host's update that carries only the rows that changed: the host has the same guests in the same
 * order as in its update at `since` (the one sent before in a batch), with `changed` replacing the rows
 * of the same UUID. A stats tick changes the running guests' CPU figures only, so this is a few rows of
 * a host's hundred.
 */
export interface FleetHostDelta {
  hostId: string;
  /** Epoch ms of the sample the CPU figures come from. */
  sampledAt: number;
  /** The `sampledAt` of the update this one applies to. */
  since: number;
  changed: FleetDomain[];
}

/**
 * Several hosts' updates at once (gathered over ~100 ms): what the UI listens to with many hosts. A host
 * comes in full the first time and whenever its guests or their order changed, otherwise as a delta
 * on the update before; a listener that lacks that update (it subscribed later) gets the state with
 * `fleet.snapshot`.
 */
export interface FleetHostsBatch {
  updates: (FleetHostDomains | FleetHostDelta)[];
}

/** True when a batch's update is a delta (FleetHostDelta), not a host in full. */
export function isFleetHostDelta(update: FleetHostDomains | FleetHostDelta): update is FleetHostDelta {
  return 'changed' in update;
}

/** Every field of a row but its address list; a field added to FleetDomain fails to type-check here until listed. */
const FLEET_ROW_SCALAR_FIELDS = Object.keys({
  hostId: true,
  uuid: true,
  name: true,
  state: true,
  persistent: true,
  autostart: true,
  vcpus: true,
  memoryKiB: true,
  maxMemoryKiB: true,
  cpuPercent: true,
} satisfies Record<Exclude<keyof FleetDomain, 'addresses'>, true>) as Exclude<keyof FleetDomain, 'addresses'>[];

/**
 * True when two rows show the same: main sends a row in a delta only when this is false, and the
 * window keeps its previous row object (and what is cached for it) when this is true.
 */
export function sameFleetRow(a: FleetDomain, b: FleetDomain): boolean {
  if (a === b) return true;
  for (const field of FLEET_ROW_SCALAR_FIELDS) if (a[field] !== b[field]) return false;
  const x = a.addresses;
  const y = b.addresses;
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export interface FleetCalls {
  'fleet.snapshot': { request: null; response: FleetHostDomains[] };
}

export const FLEET_CALLS = [
  'fleet.snapshot',
] as const satisfies readonly (keyof FleetCalls)[];
export type _FleetCallsListed = AssertNever<Exclude<keyof FleetCalls, (typeof FLEET_CALLS)[number]>>;

export interface FleetEvents {
  /** One host's guests changed (lifecycle event or stats tick). */
  'fleet.host': FleetHostDomains;
  /** The same updates, batched: one message per ~100 ms instead of one per host (1000 hosts). */
  'fleet.hosts': FleetHostsBatch;
}

export const FLEET_EVENTS = [
  'fleet.host',
  'fleet.hosts',
] as const satisfies readonly (keyof FleetEvents)[];
export type _FleetEventsListed = AssertNever<Exclude<keyof FleetEvents, (typeof FLEET_EVENTS)[number]>>;
