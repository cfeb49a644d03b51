/** Storage volumes (virStorageVol*); their upload and download streams are in streams.ts. */
import { remoteProcedures as P } from '../protocol';
import type { CallOptions } from '../rpc';
import {
  fromRemoteStorageVol,
  toRemoteStoragePool,
  type StoragePoolRef,
  type StorageVol,
  type StorageVolRef,
} from '../client/types';
import type { LibvirtRpcCore } from './rpc-core';
import type { ObjectRefs } from './object-refs';

export class StorageVolumeApi {
  constructor(
    private readonly core: LibvirtRpcCore,
    private readonly refs: ObjectRefs,
  ) {}

  async create(pool: StoragePoolRef, xml: string, flags = 0): Promise<StorageVol> {
    const p = toRemoteStoragePool(await this.refs.pool(pool));
    return fromRemoteStorageVol(
      (await this.core.call(P.REMOTE_PROC_STORAGE_VOL_CREATE_XML, { pool: p, xml, flags })).vol,
    );
  }

  async delete(ref: StorageVolRef, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_STORAGE_VOL_DELETE, { vol: await this.refs.volume(ref), flags });
  }

  async lookup(ref: StorageVolRef): Promise<StorageVol> {
    return fromRemoteStorageVol(await this.refs.volume(ref));
  }

  async getInfo(
    ref: StorageVolRef,
  ): Promise<{ type: number; capacity: bigint; allocation: bigint }> {
    return this.core.call(P.REMOTE_PROC_STORAGE_VOL_GET_INFO, { vol: await this.refs.volume(ref) });
  }

  /** Like getInfo; flags: virStorageVolInfoFlags (GET_PHYSICAL: the file's size in `allocation`). */
  async getInfoFlags(
    ref: StorageVolRef,
    flags: number,
  ): Promise<{ type: number; capacity: bigint; allocation: bigint }> {
    return this.core.call(P.REMOTE_PROC_STORAGE_VOL_GET_INFO_FLAGS, { vol: await this.refs.volume(ref), flags });
  }

  async getXml(ref: StorageVolRef, flags = 0): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_STORAGE_VOL_GET_XML_DESC, { vol: await this.refs.volume(ref), flags })).xml;
  }

  /**
   * A new volume in `pool` whose content is copied from `source` (virStorageVolCreateXMLFrom; flags
   * virStorageVolCreateFlags: PREALLOC_METADATA, REFLINK, VALIDATE). libvirt returns only when the copy
   * is done, so callers pass a `timeoutMs` that fits the copy (0 = none; default one hour). Until then the new volume
   * exists in the pool and is being built: its info (allocation) can be polled, it cannot be deleted.
   */
  async createFrom(
    pool: StoragePoolRef,
    xml: string,
    source: StorageVolRef,
    flags = 0,
    options: CallOptions = { timeoutMs: 3_600_000 },
  ): Promise<StorageVol> {
    const p = toRemoteStoragePool(await this.refs.pool(pool));
    const clonevol = await this.refs.volume(source);
    return fromRemoteStorageVol(
      (await this.core.call(P.REMOTE_PROC_STORAGE_VOL_CREATE_XML_FROM, { pool: p, xml, clonevol, flags }, options)).vol,
    );
  }

  /** Sets the capacity; flags: virStorageVolResizeFlags (ALLOCATE, DELTA, SHRINK). */
  async resize(ref: StorageVolRef, capacity: bigint, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_STORAGE_VOL_RESIZE, { vol: await this.refs.volume(ref), capacity, flags }, { timeoutMs: 600_000 });
  }

  /** Overwrites the volume's data (zeros unless another virStorageVolWipeAlgorithm is given). */
  async wipe(ref: StorageVolRef, algorithm = 0): Promise<void> {
    const vol = await this.refs.volume(ref);
    if (algorithm === 0) await this.core.call(P.REMOTE_PROC_STORAGE_VOL_WIPE, { vol, flags: 0 }, { timeoutMs: 3_600_000 });
    else await this.core.call(P.REMOTE_PROC_STORAGE_VOL_WIPE_PATTERN, { vol, algorithm, flags: 0 }, { timeoutMs: 3_600_000 });
  }

  /** The volume's path on the host (virStorageVolGetPath). */
  async getPath(ref: StorageVolRef): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_STORAGE_VOL_GET_PATH, { vol: await this.refs.volume(ref) })).name;
  }
}
