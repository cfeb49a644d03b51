/**
 * Object types of the client facade: domains, networks, pools, volumes, snapshots — with UUIDs as
 * canonical strings — and their conversions to and from the wire structs.
 */
import type {
  RemoteNonnullDomain,
  RemoteNonnullDomainSnapshot,
  RemoteNonnullNetwork,
  RemoteNonnullStoragePool,
  RemoteNonnullStorageVol,
} from '../protocol';

/** A libvirt domain as the daemon identifies it. `id` is -1 for inactive domains. */
export interface Domain {
  readonly name: string;
  /** Canonical lower-case form, e.g. `e30c6b22-d71c-4d87-af7b-8d9b3524999f`. */
  readonly uuid: string;
  readonly id: number;
}

/**
 * How a caller names a domain. With both name and uuid (a {@link Domain} from a listing, say) no
 * lookup is needed; with only one of them the client looks the domain up first (one round trip).
 * Prefer UUIDs: names can be reused.
 */
export type DomainRef =
  | { readonly name: string; readonly uuid: string; readonly id?: number }
  | { readonly name: string; readonly uuid?: undefined }
  | { readonly uuid: string; readonly name?: undefined }
  | { readonly id: number; readonly name?: undefined; readonly uuid?: undefined };

export interface Network {
  readonly name: string;
  readonly uuid: string;
}
export type NetworkRef = Network | { readonly name: string; readonly uuid?: undefined };

export interface StoragePool {
  readonly name: string;
  readonly uuid: string;
}
export type StoragePoolRef = StoragePool | { readonly name: string; readonly uuid?: undefined };

/** A storage volume: pool name, volume name and key (usually its path). */
export interface StorageVol {
  readonly pool: string;
  readonly name: string;
  readonly key: string;
}
export type StorageVolRef =
  | StorageVol
  | { readonly pool: string; readonly name: string; readonly key?: undefined }
  | { readonly path: string };

export interface DomainSnapshot {
  readonly name: string;
  readonly domain: Domain;
}

// ---- UUIDs -------------------------------------------------------------------------------------

const HEX = '0123456789abcdef';

export function uuidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a UUID has 16 bytes, got ${bytes.length}`);
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    const b = bytes[i] as number;
    s += (HEX[b >> 4] as string) + (HEX[b & 15] as string);
  }
  return s;
}

/** Accepts the canonical form and the 32-hex-digit form (libvirt accepts both, and spaces). */
export function uuidFromString(text: string): Uint8Array {
  const hex = text.replace(/[-\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${JSON.stringify(text)}`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// ---- conversions -------------------------------------------------------------------------------

export function fromRemoteDomain(d: RemoteNonnullDomain): Domain {
  return { name: d.name, uuid: uuidToString(d.uuid), id: d.id };
}

export function toRemoteDomain(d: { name: string; uuid: string; id?: number }): RemoteNonnullDomain {
  return { name: d.name, uuid: uuidFromString(d.uuid), id: d.id ?? -1 };
}

export function fromRemoteNetwork(n: RemoteNonnullNetwork): Network {
  return { name: n.name, uuid: uuidToString(n.uuid) };
}

export function toRemoteNetwork(n: Network): RemoteNonnullNetwork {
  return { name: n.name, uuid: uuidFromString(n.uuid) };
}

export function fromRemoteStoragePool(p: RemoteNonnullStoragePool): StoragePool {
  return { name: p.name, uuid: uuidToString(p.uuid) };
}

export function toRemoteStoragePool(p: StoragePool): RemoteNonnullStoragePool {
  return { name: p.name, uuid: uuidFromString(p.uuid) };
}

export function fromRemoteStorageVol(v: RemoteNonnullStorageVol): StorageVol {
  return { pool: v.pool, name: v.name, key: v.key };
}

export function fromRemoteSnapshot(s: RemoteNonnullDomainSnapshot): DomainSnapshot {
  return { name: s.name, domain: fromRemoteDomain(s.dom) };
}
