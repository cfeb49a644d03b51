/**
 * The QEMU guest agent, through libvirt (virDomainGetGuestInfo, InterfaceAddresses with the AGENT
 * source, GetHostname, FSFreeze/FSThaw, SetTime).
 */

import type { AssertNever } from './channel-names';

/** The agent's virtio-serial channel in the live domain XML. */
export type GuestAgentChannel = 'connected' | 'disconnected' | 'absent';

export interface GuestAgentInfo {
  hostId: string;
  uuid: string;
  /** The agent answered. */
  available: boolean;
  channel: GuestAgentChannel;
  /** Why there is nothing to show (guest not running, no channel, agent not answering: libvirt's words). */
  reason: string | null;
  os: { id: string | null; name: string | null; prettyName: string | null; version: string | null; kernelRelease: string | null; machine: string | null } | null;
  hostname: string | null;
  timezone: { name: string | null; offsetSec: number | null } | null;
  users: Array<{ name: string; domain: string | null; loginTime: number | null }>;
  filesystems: Array<{ mountpoint: string; name: string; fstype: string; totalBytes: number | null; usedBytes: number | null; disks: string[] }>;
  interfaces: Array<{ name: string; hwaddr: string | null; addresses: Array<{ type: 'ipv4' | 'ipv6'; addr: string; prefix: number }> }>;
  /** The file systems' freeze state as the agent reports it (guest-fsfreeze-status); null when it did not say. */
  freeze: GuestFreezeState | null;
  /** The guest's clock (guest-get-time) and this side's clock when it was read, both ms since the epoch. */
  clock: { guestMs: number; readAtMs: number } | null;
  /**
   * The agent answered but could not report everything: its own words (for instance, while the file
   * systems are frozen it refuses every command but status and thaw).
   */
  partial: string | null;
}

export type GuestFreezeState = 'frozen' | 'thawed';

export interface GuestAgentCalls {
  'guestAgent.info': { request: { hostId: string; uuid: string }; response: GuestAgentInfo };
  /** Freezes the guest's file systems (all, or the mount points given); returns how many. */
  'guestAgent.freeze': { request: { hostId: string; uuid: string; mountpoints: string[] }; response: { filesystems: number } };
  'guestAgent.thaw': { request: { hostId: string; uuid: string; mountpoints: string[] }; response: { filesystems: number } };
  /** Sets the guest's clock to this computer's time (or, with `sync`, from the guest's RTC). */
  'guestAgent.setTime': { request: { hostId: string; uuid: string; sync: boolean }; response: null };
}

export const GUEST_AGENT_CALLS = [
  'guestAgent.info',
  'guestAgent.freeze',
  'guestAgent.thaw',
  'guestAgent.setTime',
] as const satisfies readonly (keyof GuestAgentCalls)[];
export type _GuestAgentCallsListed = AssertNever<Exclude<keyof GuestAgentCalls, (typeof GUEST_AGENT_CALLS)[number]>>;
