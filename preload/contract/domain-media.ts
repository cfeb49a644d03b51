/**
 * Removable media: the guest's CD-ROM and floppy drives, changing or ejecting their media (live on a
 * running guest, and in the definition for the next boot), and "Eject install media" after an install.
 */

import type { DomainRef } from './domains';
import type { AssertNever } from './channel-names';

/** What is in a drive, as the domain XML says. */
export type MediaSource =
  | { type: 'file'; path: string }
  | { type: 'block'; path: string }
  | { type: 'volume'; pool: string; volume: string }
  | { type: 'network'; protocol: string; name: string };

export interface MediaDrive {
  /** Target dev (hdc, sda…): identifies the drive. */
  target: string;
  device: 'cdrom' | 'floppy';
  bus: string | null;
  /** The media in the persistent definition (next boot); null = empty; undefined = no persistent definition. */
  persistent?: MediaSource | null;
  /** The media the running guest has now; null = empty; undefined = the guest is not running. */
  live?: MediaSource | null;
  /** Tray state of the running guest's drive, when libvirt reports it. */
  tray: 'open' | 'closed' | null;
  /** Whether the drive is in the boot order of the persistent definition. */
  boots: boolean;
}

export interface MediaState {
  hostId: string;
  uuid: string;
  name: string;
  running: boolean;
  persistent: boolean;
  drives: MediaDrive[];
  /** "Eject install media" has something to do: a CD-ROM has media or boots (persistent definition). */
  installMedia: boolean;
  /** ISO images in the host's active storage pools, to pick from. */
  isoVolumes: Array<{ pool: string; volume: string; path: string }>;
  /** The persistent XML read (the change refuses to run if it changed); null for a transient guest. */
  basedOn: string | null;
}

/** The new media of a drive: a file on the host or a pool's volume. */
export type MediaInsert = { type: 'file'; path: string } | { type: 'volume'; pool: string; volume: string };

export type MediaChange =
  | { kind: 'eject'; target: string }
  | { kind: 'insert'; target: string; source: MediaInsert }
  /** Eject every CD-ROM and take CD-ROMs out of the boot order (after installing from media). */
  | { kind: 'ejectInstallMedia' };

/** A message the renderer translates: `domainMedia.messages.<key>` with `values`. */
export interface MediaMessage {
  key: string;
  values?: Record<string, string | number>;
}

export interface MediaRequest extends DomainRef {
  change: MediaChange;
  basedOn: string | null;
  /** Eject even when the guest keeps the tray locked (libvirt's FORCE). */
  force: boolean;
}

export interface MediaPreview {
  /** Persistent definition: before → after (empty when it does not change or the guest is transient). */
  diff: string;
  /** The running guest's drives: before → after (null when the guest is not running). */
  liveDiff: string | null;
  /** When it takes effect. */
  applies: 'now-and-next-boot' | 'next-boot' | 'now';
  warnings: MediaMessage[];
}

export interface MediaResult {
  state: MediaState;
}

export interface DomainMediaCalls {
  'domainMedia.state': { request: DomainRef; response: MediaState };
  'domainMedia.preview': { request: MediaRequest; response: MediaPreview };
  'domainMedia.apply': { request: MediaRequest; response: MediaResult };
}

export const DOMAIN_MEDIA_CALLS = [
  'domainMedia.state',
  'domainMedia.preview',
  'domainMedia.apply',
] as const satisfies readonly (keyof DomainMediaCalls)[];
export type _DomainMediaCallsListed = AssertNever<Exclude<keyof DomainMediaCalls, (typeof DOMAIN_MEDIA_CALLS)[number]>>;
