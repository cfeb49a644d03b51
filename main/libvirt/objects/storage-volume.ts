/** Storage volumes (virStorageVol*); their upload and download streams are in streams.ts. */
import { remoteProcedures as P } from '../protocol';
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

  /** The volume's path on the host (virStorageVolGetPath). */
  async getPath(ref: StorageVolRef): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_STORAGE_VOL_GET_PATH, { vol: await this.refs.volume(ref) })).name;
  }

  async getXml(ref: StorageVolRef, flags = 0): Promise<string> {
    return (await this.core.call(P.REMOTE_PROC_STORAGE_VOL_GET_XML_DESC, { vol: await this.refs.volume(ref), flags })).xml;
  }
}
