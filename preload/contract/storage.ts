/**
 * Storage: a host's pools and volumes, and transfers (volume upload from a local file, download to a
 * local file) with progress and cancel.
 *
 * Uploads are a stream (`storage.upload`): the renderer sends the file's bytes in order; main answers
 * with 8-byte big-endian counters of the bytes it has handed to libvirt so far (UPLOAD_ACK_BYTES each).
 * The renderer keeps at most UPLOAD_WINDOW_BYTES sent and not yet acknowledged, so a 1 GiB file never
 * sits in memory and the transfer goes at the speed of the host link. Main closes the stream when the
 * volume is complete (no error) or failed (error); a failed or cancelled upload deletes the volume it
 * created. Downloads are plain HTTP responses from main (`storage.downloadStart` gives the URL), which
 * the browser's (or Electron's) download manager saves.
 */

import type { AssertNever } from './channel-names';

export type StoragePoolState = 'inactive' | 'building' | 'running' | 'degraded' | 'inaccessible';

export interface StoragePoolSummary {
  name: string;
  uuid: string;
  /** libvirt's pool type as in the XML (dir, fs, netfs, logical, disk, iscsi, rbd, zfs, …). */
  type: string;
  state: StoragePoolState;
  persistent: boolean;
  autostart: boolean;
  capacityBytes: number;
  allocationBytes: number;
  availableBytes: number;
  /** <target><path>, when the type has one. */
  targetPath: string | null;
  /** What the pool is made of, for display: a source device, host:dir, VG name… */
  source: string | null;
}

/** A volume as the pool lists it (one call for the whole pool); details come per volume, lazily. */
export interface StorageVolumeEntry {
  name: string;
  /** libvirt's key (a file's path for dir/fs/netfs/logical pools). */
  key: string;
}

export interface StorageVolumeDetails {
  name: string;
  key: string;
  path: string;
  /** virStorageVolType: file, block, dir, network, netdir, ploop. */
  type: string;
  /** <target><format type>, e.g. qcow2, raw, iso (null when libvirt reports none). */
  format: string | null;
  capacityBytes: number;
  allocationBytes: number;
  backingPath: string | null;
}

export interface VolumeUser {
  uuid: string;
  name: string;
}

export interface StorageVolumeList {
  pool: string;
  volumes: StorageVolumeEntry[];
  /** Guests whose disks (or backing chains) use a volume, by volume name; unused volumes are absent. */
  users: Record<string, VolumeUser[]>;
}

/** The pool types VirtDeck has a creation form for. */
export type StoragePoolForm =
  | { type: 'dir'; name: string; targetPath: string }
  | { type: 'fs'; name: string; sourceDevice: string; sourceFormat: string; targetPath: string }
  | { type: 'netfs'; name: string; sourceHost: string; sourceDir: string; sourceFormat: 'auto' | 'nfs' | 'cifs' | 'glusterfs'; targetPath: string }
  | { type: 'logical'; name: string; vgName: string; devices: string[]; targetPath: string };

export interface StoragePoolCreateRequest {
  hostId: string;
  form: StoragePoolForm;
  /**
   * Build the storage before starting: a dir pool's directory, a logical pool's volume group (pvcreate on
   * the devices: destroys what they hold), an fs pool's mount point.
   */
  build: boolean;
  start: boolean;
  autostart: boolean;
}

export type StoragePoolAction = 'start' | 'stop' | 'refresh' | 'autostartOn' | 'autostartOff';

export type VolumeFormat = 'qcow2' | 'raw';
export type VolumePreallocation = 'off' | 'metadata' | 'full';

export interface VolumeCreateForm {
  pool: string;
  name: string;
  format: VolumeFormat;
  capacityBytes: number;
  /** off: sparse; metadata: qcow2 metadata only; full: all space allocated now. */
  preallocation: VolumePreallocation;
  /** qcow2 only: 1.1 (default; persistent dirty bitmaps for incremental backups) or 0.10 (old QEMU). */
  qcow2Compat: '1.1' | '0.10';
  /** qcow2 only: a linked clone on top of this volume's path (its format is read from libvirt). */
  backingPath: string | null;
}

export type TransferKind = 'upload' | 'download';
export type TransferState = 'running' | 'done' | 'failed' | 'cancelled';

export interface TransferStatus {
  id: string;
  kind: TransferKind;
  hostId: string;
  pool: string;
  volume: string;
  /** The local file's name (upload) or the file name offered (download). */
  fileName: string;
  totalBytes: number;
  /** Bytes of the volume done, holes included. */
  doneBytes: number;
  /** Zero bytes that travelled as holes (not sent). */
  holeBytes: number;
  /** Bytes the transfer's own libvirt connection carried over the host link so far. */
  wireBytes: number;
  bytesPerSecond: number;
  /** null while unknown. */
  secondsLeft: number | null;
  state: TransferState;
  error?: string;
  startedAt: number;
  endedAt?: number;
}

/** Upload flow control (see the file comment). */
export const UPLOAD_WINDOW_BYTES = 8 * 1024 * 1024;
export const UPLOAD_ACK_BYTES = 8;
/** Largest piece the renderer sends in one stream message. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** The path prefix of download URLs (serve mode and app://). */
export const TRANSFER_DOWNLOAD_PATH = '/transfers/download/';

export interface StorageCalls {
  'storage.pools': { request: { hostId: string }; response: StoragePoolSummary[] };
  'storage.poolXml': { request: { hostId: string; pool: string }; response: { xml: string } };
  /** The XML a form builds (shown before it is applied); validates the form. */
  'storage.poolPlan': { request: { hostId: string; form: StoragePoolForm }; response: { xml: string } };
  /** Defines (and optionally builds, starts, autostarts) the pool; undone when a step fails. */
  'storage.poolCreate': { request: StoragePoolCreateRequest; response: StoragePoolSummary };
  'storage.poolAction': { request: { hostId: string; pool: string; action: StoragePoolAction }; response: null };
  /**
   * Stops (if running) and undefines the pool; `deleteStorage` first removes a dir pool's (empty)
   * directory. `confirmName` must repeat the pool's name.
   */
  'storage.poolDelete': {
    request: { hostId: string; pool: string; confirmName: string; deleteStorage: boolean };
    response: null;
  };
  /** Every volume's name and key (one call, however many volumes) and which guests use them. */
  'storage.volumes': { request: { hostId: string; pool: string }; response: StorageVolumeList };
  /** Details of some volumes (the rows on screen); a volume gone meanwhile is left out. */
  'storage.volumeDetails': {
    request: { hostId: string; pool: string; names: string[] };
    response: StorageVolumeDetails[];
  };
  'storage.volumePlan': { request: { hostId: string; form: VolumeCreateForm }; response: { xml: string; flags: string[] } };
  'storage.volumeCreate': { request: { hostId: string; form: VolumeCreateForm }; response: StorageVolumeDetails };
  'storage.volumeResize': {
    request: { hostId: string; pool: string; name: string; capacityBytes: number; allowShrink: boolean };
    response: null;
  };
  /** Overwrites the volume with zeros; refused while a guest uses it. */
  'storage.volumeWipe': { request: { hostId: string; pool: string; name: string; confirmName: string }; response: null };
  /** Deletes the volume; refused while a guest uses it (the error names them). */
  'storage.volumeDelete': { request: { hostId: string; pool: string; name: string; confirmName: string }; response: null };
  /** Prepares a download; the URL (same origin) streams the volume once. */
  'storage.downloadStart': {
    request: { hostId: string; pool: string; name: string };
    response: { transferId: string; url: string; fileName: string };
  };
  /** Every transfer of this run (running ones first). */
  'storage.transfers': { request: null; response: TransferStatus[] };
  'storage.transferCancel': { request: { transferId: string }; response: null };
}

export const STORAGE_CALLS = [
  'storage.pools',
  'storage.poolXml',
  'storage.poolPlan',
  'storage.poolCreate',
  'storage.poolAction',
  'storage.poolDelete',
  'storage.volumes',
  'storage.volumeDetails',
  'storage.volumePlan',
  'storage.volumeCreate',
  'storage.volumeResize',
  'storage.volumeWipe',
  'storage.volumeDelete',
  'storage.downloadStart',
  'storage.transfers',
  'storage.transferCancel',
] as const satisfies readonly (keyof StorageCalls)[];
export type _StorageCallsListed = AssertNever<Exclude<keyof StorageCalls, (typeof STORAGE_CALLS)[number]>>;

export interface StorageEvents {
  /** A transfer's progress (about 4 per second while it runs) and its end. */
  'storage.transfer': TransferStatus;
}

export const STORAGE_EVENTS = ['storage.transfer'] as const satisfies readonly (keyof StorageEvents)[];
export type _StorageEventsListed = AssertNever<Exclude<keyof StorageEvents, (typeof STORAGE_EVENTS)[number]>>;

export interface StorageStreams {
  /**
   * Upload of a local file into a new volume `name` of `pool`, `sizeBytes` long. format: how the
   * volume is created (qcow2 files are stored as they are and libvirt reads their header afterwards).
   */
  'storage.upload': {
    params: {
      transferId: string;
      hostId: string;
      pool: string;
      name: string;
      fileName: string;
      sizeBytes: number;
    };
  };
}

export const STORAGE_STREAMS = ['storage.upload'] as const satisfies readonly (keyof StorageStreams)[];
export type _StorageStreamsListed = AssertNever<Exclude<keyof StorageStreams, (typeof STORAGE_STREAMS)[number]>>;

/**
 * Serve mode uploads: POST the file as the request body to this path with the `storage.upload` stream's
 * parameters in the query (same session cookie). The browser streams the file from disk and TCP carries
 * the backpressure; the answer (HTTP 200, an ApiResult in JSON) comes when the volume is complete
 * or the upload failed or was cancelled. A browser's WebSocket is far slower for bulk bytes than its HTTP stack.
 */
export const TRANSFER_UPLOAD_PATH = '/transfers/upload';
