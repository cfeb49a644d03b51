/**
 * Where a guest's disks live, in libvirt's terms: a pool's volume (found by path, or by pool and name),
 * a file in no pool (copied through a temporary pool over its directory), or something VirtDeck cannot
 * copy. And the temporary pools themselves.
 */
import { randomBytes } from 'node:crypto';
import { stat as localStat } from 'node:fs/promises';
import type { CloneStorage } from '../../../preload/api-contract';
import { isLibvirtError, type LibvirtClient, type StoragePool } from '../../libvirt/client';
import { virErrorNumber } from '../../libvirt/protocol';
import { shellQuote, type SshConnection } from '../../ssh';
import { attribute, first, parseXml } from '../domain-tuning/xml-edit';

/** Pool types whose backend copies a volume from another (storage backends with buildVolFrom, libvirt 9.0). */
export const COPY_POOL_TYPES = new Set(['dir', 'fs', 'netfs', 'logical', 'disk', 'rbd', 'vstorage']);
/** Pool types whose volumes are files that may be qcow2 overlays on another file. */
export const LINK_POOL_TYPES = new Set(['dir', 'fs', 'netfs']);

export interface StorageFacts {
  storage: CloneStorage;
  allocationBytes: number | null;
  capacityBytes: number | null;
}

export function directoryOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Size facts of a file on the host, for files in no pool (best effort: null when it cannot be read). */
export type FileStat = (path: string) => Promise<{ sizeBytes: number; allocatedBytes: number } | null | 'missing'>;

/** The pool type and a volume's format, size and path. */
export async function volumeFacts(
  libvirt: LibvirtClient,
  ref: { pool: string; name: string },
  poolTypes: Map<string, string> = new Map(),
): Promise<StorageFacts & { storage: Extract<CloneStorage, { kind: 'volume' }> }> {
  let poolType = poolTypes.get(ref.pool);
  if (poolType === undefined) {
    poolType = attribute(parseXml(await libvirt.storagePool.getXml({ name: ref.pool }), 'The pool XML').root, 'type') ?? 'unknown';
    poolTypes.set(ref.pool, poolType);
  }
  const [info, xml, path] = await Promise.all([
    libvirt.storageVolume.getInfo(ref),
    libvirt.storageVolume.getXml(ref),
    libvirt.storageVolume.getPath(ref),
  ]);
  const format = attribute(first(first(parseXml(xml, 'The volume XML').root, 'target'), 'format'), 'type');
  return {
    storage: { kind: 'volume', pool: ref.pool, poolType, volume: ref.name, path, format },
    allocationBytes: Number(info.allocation),
    capacityBytes: Number(info.capacity),
  };
}

/**
 * Finds the volume that is the file (or block device) at `path`. A pool over its directory that does
 * not list it yet is refreshed once. A file in no pool is `file` (with its size from `stat` when it
 * can be read); a block device in no pool cannot be copied.
 */
export async function locatePath(
  libvirt: LibvirtClient,
  path: string,
  kind: 'file' | 'block',
  stat: FileStat,
  poolTypes: Map<string, string> = new Map(),
): Promise<StorageFacts> {
  const byPath = async () => {
    try {
      const vol = await libvirt.storageVolume.lookup({ path });
      return await volumeFacts(libvirt, { pool: vol.pool, name: vol.name }, poolTypes);
    } catch (error) {
      if (isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL)) return null;
      throw error;
    }
  };
  const found = await byPath();
  if (found) return found;
  const directory = directoryOf(path);
  let pool: StoragePool | null = null;
  try {
    pool = await libvirt.storagePool.lookupByTargetPath(directory);
  } catch (error) {
    if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_POOL)) throw error;
  }
  if (pool) {
    // A pool over the directory lists every file in it once refreshed (refused while it builds a volume).
    await libvirt.storagePool.refresh(pool).catch(() => undefined);
    const again = await byPath();
    if (again) return again;
    return { storage: { kind: 'unsupported', reason: { key: 'missingFile', values: { path } } }, allocationBytes: null, capacityBytes: null };
  }
  if (kind === 'block') {
    return { storage: { kind: 'unsupported', reason: { key: 'blockOutsidePool', values: { path } } }, allocationBytes: null, capacityBytes: null };
  }
  const facts = await stat(path).catch(() => null);
  if (facts === 'missing') {
    return { storage: { kind: 'unsupported', reason: { key: 'missingFile', values: { path } } }, allocationBytes: null, capacityBytes: null };
  }
  return {
    storage: { kind: 'file', path, directory },
    allocationBytes: facts?.allocatedBytes ?? null,
    capacityBytes: null,
  };
}

/**
 * Size of a file on the host, for files in no pool: over the connection's shared SFTP session (SFTP
 * reports the file's size, not its allocated blocks: for a sparse file that is an upper bound of what a
 * copy moves), with `stat` over exec where the host has no SFTP; locally for this computer.
 */
export function fileStatFor(ssh: SshConnection | null): FileStat {
  return async (path) => {
    if (!ssh) {
      try {
        const s = await localStat(path);
        return { sizeBytes: s.size, allocatedBytes: s.blocks * 512 };
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : null;
      }
    }
    const sftp = await ssh.sftp().catch(() => null);
    if (sftp) {
      return new Promise((resolve) => {
        sftp.stat(path, (error, stats) => {
          if (error) resolve((error as { code?: unknown }).code === 2 /* SSH_FX_NO_SUCH_FILE */ ? 'missing' : null);
          else resolve({ sizeBytes: stats.size, allocatedBytes: stats.size });
        });
      });
    }
    const result = await ssh.run(`env LC_ALL=C stat -L -c '%s %b %B' -- ${shellQuote(path)}`, { timeoutMs: 15_000 });
    if (result.code !== 0) return /No such file/.test(result.stderr) ? 'missing' : null;
    const [size, blocks, blockSize] = result.stdout.trim().split(/\s+/).map(Number);
    if (size === undefined || blocks === undefined || blockSize === undefined || [size, blocks, blockSize].some(Number.isNaN)) return null;
    return { sizeBytes: size, allocatedBytes: blocks * blockSize };
  };
}

const TEMPORARY_POOL_PREFIX = 'virtdeck-clone-';

/**
 * Temporary transient `dir` pools over directories that no pool covers, so libvirt can copy or overlay
 * the files in them. One per host and directory, shared by the clones that need it, destroyed when the
 * last one is done (the files stay; a transient pool's definition goes with it).
 */
export class TemporaryPools {
  private readonly held = new Map<string, { pool: StoragePool; users: number; temporary: boolean }>();

  /** A pool over `directory` on `hostId`: an existing one, or a temporary one made now. */
  async acquire(libvirt: LibvirtClient, hostId: string, directory: string): Promise<{ pool: StoragePool; temporary: boolean }> {
    const key = `${hostId}\n${directory}`;
    const held = this.held.get(key);
    if (held) {
      held.users++;
      return { pool: held.pool, temporary: held.temporary };
    }
    let pool: StoragePool | null = null;
    let temporary = false;
    try {
      pool = await libvirt.storagePool.lookupByTargetPath(directory);
    } catch (error) {
      if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_POOL)) throw error;
    }
    if (!pool) {
      const name = `${TEMPORARY_POOL_PREFIX}${randomBytes(4).toString('hex')}`;
      pool = await libvirt.storagePool.create(
        `<pool type='dir'>\n  <name>${name}</name>\n  <target>\n    <path>${escapeXml(directory)}</path>\n  </target>\n</pool>\n`,
      );
      temporary = true;
    }
    this.held.set(key, { pool, users: 1, temporary });
    return { pool, temporary };
  }

  /** Gives a pool back; the last user of a temporary pool destroys it. */
  async release(libvirt: LibvirtClient, hostId: string, directory: string): Promise<void> {
    const key = `${hostId}\n${directory}`;
    const held = this.held.get(key);
    if (!held) return;
    held.users--;
    if (held.users > 0) return;
    this.held.delete(key);
    if (held.temporary) await libvirt.storagePool.destroy(held.pool);
  }

  /** Names of the temporary pools held now (for tests and the report of leftovers). */
  names(): string[] {
    return [...this.held.values()].filter((h) => h.temporary).map((h) => h.pool.name);
  }
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}
