/** Storage pools (virConnectListAllStoragePools, virStoragePool*). */
import { remoteProcedures as P } from '../protocol';
import {
  fromRemoteStoragePool,
  fromRemoteStorageVol,
  toRemoteStoragePool,
  type StoragePool,
  type StoragePoolRef,
  type StorageVol,
  type StorageVolRef,
} from '../client/types';
import type { LibvirtRpcCore } from './rpc-core';
import type { ObjectRefs } from './object-refs';

export class StoragePoolApi {
  constructor(
    private readonly core: LibvirtRpcCore,
    private readonly refs: ObjectRefs,
  ) {}

  async list(flags = 0): Promise<StoragePool[]> {
    const r = await this.core.call(P.REMOTE_PROC_CONNECT_LIST_ALL_STORAGE_POOLS, { need_results: 1, flags });
    return r.pools.map(fromRemoteStoragePool);
  }

  async getInfo(
    ref: StoragePoolRef,
  ): Promise<{ state: number; capacity: bigint; allocation: bigint; available: bigint }> {
    return this.core.call(P.REMOTE_PROC_STORAGE_POOL_GET_INFO, {
      pool: toRemoteStoragePool(await this.refs.pool(ref)),
    });
  }

  async getXml(ref: StoragePoolRef, flags = 0): Promise<string> {
    return (
      await this.core.call(P.REMOTE_PROC_STORAGE_POOL_GET_XML_DESC, {
        pool: toRemoteStoragePool(await this.refs.pool(ref)),
        flags,
      })
    ).xml;
  }

  async listVolumes(ref: StoragePoolRef, flags = 0): Promise<StorageVol[]> {
    const pool = toRemoteStoragePool(await this.refs.pool(ref));
    const r = await this.core.call(P.REMOTE_PROC_STORAGE_POOL_LIST_ALL_VOLUMES, { pool, need_results: 1, flags });
    return r.vols.map(fromRemoteStorageVol);
  }

  async create(xml: string, flags = 0): Promise<StoragePool> {
    return fromRemoteStoragePool(
      (await this.core.call(P.REMOTE_PROC_STORAGE_POOL_CREATE_XML, { xml, flags })).pool,
    );
  }

  async destroy(ref: StoragePoolRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_STORAGE_POOL_DESTROY, { pool: toRemoteStoragePool(await this.refs.pool(ref)) });
  }

  async lookup(ref: StoragePoolRef): Promise<StoragePool> {
    return this.refs.pool(ref);
  }

  /** The pool a volume belongs to (virStoragePoolLookupByVolume). */
  async lookupByVolume(vol: StorageVolRef): Promise<StoragePool> {
    return fromRemoteStoragePool(
      (await this.core.call(P.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_VOLUME, { vol: await this.refs.volume(vol) })).pool,
    );
  }

  /** The pool whose target is the directory (or device) `path` (virStoragePoolLookupByTargetPath, libvirt ≥ 4.1). */
  async lookupByTargetPath(path: string): Promise<StoragePool> {
    return fromRemoteStoragePool((await this.core.call(P.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_TARGET_PATH, { path })).pool);
  }

  /** Defines a persistent (inactive) pool; flags: virStoragePoolDefineFlags (VALIDATE). */
  async define(xml: string, flags = 0): Promise<StoragePool> {
    return fromRemoteStoragePool((await this.core.call(P.REMOTE_PROC_STORAGE_POOL_DEFINE_XML, { xml, flags })).pool);
  }

  /** Builds the pool's underlying storage (a dir pool's directory, a VG…); flags: virStoragePoolBuildFlags. */
  async build(ref: StoragePoolRef, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_STORAGE_POOL_BUILD, { pool: toRemoteStoragePool(await this.refs.pool(ref)), flags }, { timeoutMs: 300_000 });
  }

  /** Starts a defined pool; flags: virStoragePoolCreateFlags (WITH_BUILD…). */
  async start(ref: StoragePoolRef, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_STORAGE_POOL_CREATE, { pool: toRemoteStoragePool(await this.refs.pool(ref)), flags }, { timeoutMs: 300_000 });
  }

  async undefine(ref: StoragePoolRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_STORAGE_POOL_UNDEFINE, { pool: toRemoteStoragePool(await this.refs.pool(ref)) });
  }

  /** Deletes the pool's underlying storage (a dir pool's empty directory); flags: virStoragePoolDeleteFlags. */
  async deleteStorage(ref: StoragePoolRef, flags = 0): Promise<void> {
    await this.core.call(P.REMOTE_PROC_STORAGE_POOL_DELETE, { pool: toRemoteStoragePool(await this.refs.pool(ref)), flags }, { timeoutMs: 300_000 });
  }

  /** Re-reads the pool's volumes and sizes from the storage. */
  async refresh(ref: StoragePoolRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_STORAGE_POOL_REFRESH, { pool: toRemoteStoragePool(await this.refs.pool(ref)), flags: 0 }, { timeoutMs: 300_000 });
  }

  async getAutostart(ref: StoragePoolRef): Promise<boolean> {
    const r = await this.core.call(P.REMOTE_PROC_STORAGE_POOL_GET_AUTOSTART, { pool: toRemoteStoragePool(await this.refs.pool(ref)) });
    return r.autostart !== 0;
  }

  async setAutostart(ref: StoragePoolRef, autostart: boolean): Promise<void> {
    await this.core.call(P.REMOTE_PROC_STORAGE_POOL_SET_AUTOSTART, {
      pool: toRemoteStoragePool(await this.refs.pool(ref)),
      autostart: autostart ? 1 : 0,
    });
  }

  async isPersistent(ref: StoragePoolRef): Promise<boolean> {
    const r = await this.core.call(P.REMOTE_PROC_STORAGE_POOL_IS_PERSISTENT, { pool: toRemoteStoragePool(await this.refs.pool(ref)) });
    return r.persistent !== 0;
  }
}
