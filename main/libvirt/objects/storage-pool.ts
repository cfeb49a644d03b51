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

  async lookup(name: string): Promise<StoragePool> {
    return fromRemoteStoragePool((await this.core.call(P.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_NAME, { name })).pool);
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

  /** Re-reads the pool's volumes from its storage (virStoragePoolRefresh; refused while a volume is being built). */
  async refresh(ref: StoragePoolRef): Promise<void> {
    await this.core.call(P.REMOTE_PROC_STORAGE_POOL_REFRESH, { pool: toRemoteStoragePool(await this.refs.pool(ref)), flags: 0 });
  }
}
