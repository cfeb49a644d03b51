import {
  remoteProcedures as P,
  type RemoteNonnullDomain,
  type RemoteNonnullStorageVol,
} from '../protocol';
import {
  fromRemoteDomain,
  fromRemoteNetwork,
  fromRemoteStoragePool,
  toRemoteDomain,
  toRemoteStoragePool,
  uuidFromString,
  type Domain,
  type DomainRef,
  type Network,
  type NetworkRef,
  type StoragePool,
  type StoragePoolRef,
  type StorageVol,
  type StorageVolRef,
} from '../client/types';
import type { LibvirtRpcCore } from './rpc-core';

const MAX_CACHED_NAMES = 20_000;

/**
 * Turns the references callers hold (a name, a UUID, both, a path) into the wire structs libvirt's
 * procedures take, and remembers each domain's name by UUID as listings, lookups and events reveal it,
 * so a UUID-only reference costs no lookup. One per client, shared by every object module.
 */
export class ObjectRefs {
  /** uuid → last name seen. */
  private readonly names = new Map<string, string>();

  constructor(private readonly core: LibvirtRpcCore) {}

  /** Remembers a domain's current name (from an event or a listing). */
  remember(uuid: string, name: string): void {
    if (this.names.size >= MAX_CACHED_NAMES) this.names.clear();
    this.names.set(uuid, name);
  }

  /** Forgets an undefined domain. */
  forget(uuid: string): void {
    this.names.delete(uuid);
  }

  /** A Domain from the wire, remembering its name for uuid-only references. */
  seen(d: RemoteNonnullDomain): Domain {
    const domain = fromRemoteDomain(d);
    this.remember(domain.uuid, domain.name);
    return domain;
  }

  /**
   * The wire struct for a reference. `{name, uuid}` goes out as is. `{uuid}` alone uses the name
   * last seen for that UUID (listings, stats, lookups, events) — the drivers find domains by UUID,
   * the name only labels messages — and looks it up (one round trip) only when never seen.
   */
  async domain(ref: DomainRef): Promise<RemoteNonnullDomain> {
    if (ref.name !== undefined && ref.uuid !== undefined) return toRemoteDomain(ref as Domain);
    if (ref.uuid !== undefined) {
      const known = this.names.get(ref.uuid.toLowerCase());
      if (known !== undefined) return { name: known, uuid: uuidFromString(ref.uuid), id: -1 };
      const { dom } = await this.core.call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID, {
        uuid: uuidFromString(ref.uuid),
      });
      this.seen(dom);
      return dom;
    }
    if (ref.name !== undefined)
      return (await this.core.call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME, { name: ref.name })).dom;
    if ('id' in ref && typeof ref.id === 'number')
      return (await this.core.call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_ID, { id: ref.id })).dom;
    throw new TypeError('a domain reference needs a name, a uuid or an id');
  }

  async network(ref: NetworkRef): Promise<Network> {
    if (ref.uuid !== undefined) return ref as Network;
    return fromRemoteNetwork((await this.core.call(P.REMOTE_PROC_NETWORK_LOOKUP_BY_NAME, { name: ref.name })).net);
  }

  async pool(ref: StoragePoolRef): Promise<StoragePool> {
    if (ref.uuid !== undefined) return ref as StoragePool;
    return fromRemoteStoragePool(
      (await this.core.call(P.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_NAME, { name: ref.name })).pool,
    );
  }

  async volume(ref: StorageVolRef): Promise<RemoteNonnullStorageVol> {
    if ('path' in ref)
      return (await this.core.call(P.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_PATH, { path: ref.path })).vol;
    if (ref.key !== undefined) return ref as StorageVol;
    const pool = toRemoteStoragePool(await this.pool({ name: ref.pool }));
    return (await this.core.call(P.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_NAME, { pool, name: ref.name })).vol;
  }
}
