/**
 * Consoles: serial and graphics byte streams, screenshots, graphics passwords, SPICE extras.
 */

import type { DomainRef } from './domains';
import type { AssertNever } from './channel-names';

/** A guest screenshot: libvirt's MIME type (QEMU gives image/png) and the bytes in base64. */
export interface DomainScreenshot {
  mime: string;
  dataBase64: string;
}

/** A remote-viewer session: is the viewer running, which SPICE channels its tunnels carried. */
export interface RemoteViewerStatus {
  running: boolean;
  channels: Array<{ channel: string | null; state: 'linking' | 'ready' | 'refused' | 'not-spice' }>;
}

/** Switching a guest's graphics from SPICE to VNC: the proposed change of its persistent definition. */
export interface SpiceToVncPlan {
  /** Identifies the definition the plan was made from (a hash; the XML itself may hold passwords). */
  version: string;
  /** Unified diff, current definition → proposed one, passwords masked. */
  diff: string;
  changes: string[];
  warnings: string[];
}

export interface ConsolesCalls {
  /** A screenshot of a running guest's first screen, as libvirt returns it (QEMU: PNG). */
  'domain.screenshot': { request: DomainRef; response: DomainScreenshot };
  /**
   * The password of graphics device #channel from the live XML (null when it has none). Asked only
   * when the user opens that console; never logged, never in events.
   */
  'domain.graphicsPassword': { request: DomainRef & { channel: number }; response: { password: string | null } };
  /** Whether remote-viewer (virt-viewer) is installed on the computer running VirtDeck's services. */
  'spice.remoteViewerAvailable': { request: null; response: { available: boolean } };
  /**
   * Starts remote-viewer for SPICE graphics device #channel, tunnelled through the host's SSH connection
   * (loopback listener, one tunnel per SPICE channel, connection file on stdin).
   */
  'spice.remoteViewerOpen': { request: DomainRef & { channel: number }; response: { sessionId: string } };
  /** Whether the viewer still runs, and the SPICE channels its tunnels carried. */
  'spice.remoteViewerStatus': { request: { sessionId: string }; response: RemoteViewerStatus };
  /** Ends the viewer and its tunnels. */
  'spice.remoteViewerClose': { request: { sessionId: string }; response: null };
  /** The persistent definition with SPICE graphics replaced by VNC, as a diff; changes nothing. */
  'spice.switchToVncPlan': { request: DomainRef; response: SpiceToVncPlan };
  /** Defines the switch planned from definition `version` (fails with conflict if it changed since). */
  'spice.switchToVncApply': { request: DomainRef & { version: string }; response: null };
}

export const CONSOLES_CALLS = [
  'domain.screenshot',
  'domain.graphicsPassword',
  'spice.remoteViewerAvailable',
  'spice.remoteViewerOpen',
  'spice.remoteViewerStatus',
  'spice.remoteViewerClose',
  'spice.switchToVncPlan',
  'spice.switchToVncApply',
] as const satisfies readonly (keyof ConsolesCalls)[];
export type _ConsolesCallsListed = AssertNever<Exclude<keyof ConsolesCalls, (typeof CONSOLES_CALLS)[number]>>;

export interface ConsolesStreams {
  /**
   * Serial/text console of a guest (libvirt console stream). `device`: the alias of the <serial> or
   * <console> device (e.g. "serial0", "console1"); null = the guest's first console.
   */
  'console.serial': { params: { hostId: string; domainUuid: string; force: boolean; device?: string | null } };
  /** Graphics console bytes (RFB or SPICE) tunnelled from the host's graphics listener. */
  'console.graphics': { params: { hostId: string; domainUuid: string; channel: number } };
}

export const CONSOLES_STREAMS = [
  'console.serial',
  'console.graphics',
] as const satisfies readonly (keyof ConsolesStreams)[];
export type _ConsolesStreamsListed = AssertNever<Exclude<keyof ConsolesStreams, (typeof CONSOLES_STREAMS)[number]>>;
