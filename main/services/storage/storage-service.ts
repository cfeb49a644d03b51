/**
 * The storage area: a host's pools and volumes (list, create, start/stop/refresh/autostart, delete;
 * create/resize/wipe/delete volumes, refused while a guest uses them) and its transfers. Other areas
 * (new VM, clone) use it for "pick a disk or ISO" and for creating disks.
 */
import type {
  StoragePoolAction,
  StoragePoolCreateRequest,
  StoragePoolForm,
  StoragePoolState,
  StoragePoolSummary,
  StorageVolumeDetails,
  StorageVolumeList,
  TransferStatus,
  VolumeCreateForm,
  VolumeUser,
} from '../../../preload/api-contract';
import type { LibvirtClient, StorageVol } from '../../libvirt/client';
import { isLibvirtError } from '../../libvirt/rpc';
import { virErrorNumber, virStoragePoolBuildFlags } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import type { LibvirtHostLink } from '../connections/libvirt-host-link';
import {
  buildPoolXml,
  buildVolumeXml,
  checkObjectName,
  parsePoolXml,
  parseVolumeXml,
  volumeTypeName,
} from './storage-xml';
import { openTransferConnection } from './transfer-connection';
import { TransferManager } from './transfers';
import { VolumeUsersIndex } from './volume-users';

const POOL_STATES: StoragePoolState[] = ['inactive', 'building', 'running', 'degraded', 'inaccessible'];
const MAX_DETAILS_PER_CALL = 500;

export interface StorageServiceDeps {
  link(hostId: string): LibvirtHostLink | null;
  /** The host's libvirt URI as saved (transfer connections open the same one). */
  hostUri(hostId: string): Promise<string>;
  publishTransfer(status: TransferStatus): void;
}

function notFoundIfMissing(error: unknown, what: string): never {
  if (isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_POOL, virErrorNumber.VIR_ERR_NO_STORAGE_VOL)) {
    throw new ApiFailure('not-found', `${what}: ${error.message}`);
  }
  throw error;
}

function describeUsers(users: VolumeUser[]): string {
  return users.map((user) => user.name).join(', ');
}

export class StorageService {
  readonly transfers: TransferManager;
  private readonly users = new Map<string, { libvirt: LibvirtClient; index: VolumeUsersIndex }>();

  constructor(private readonly deps: StorageServiceDeps) {
    this.transfers = new TransferManager(
      {
        target: async (hostId) => {
          const link = this.link(hostId);
          return { ssh: link.ssh, uri: await deps.hostUri(hostId), transport: link.info.transport };
        },
        open: (target) => openTransferConnection(target),
      },
      deps.publishTransfer,
    );
  }

  async dispose(): Promise<void> {
    for (const { index } of this.users.values()) index.dispose();
    this.users.clear();
    await this.transfers.dispose();
  }

  private link(hostId: string): LibvirtHostLink {
    const found = this.deps.link(hostId);
    if (!found) throw new ApiFailure('not-found', 'The host is not connected');
    return found;
  }

  private libvirt(hostId: string): LibvirtClient {
    return this.link(hostId).libvirt;
  }

  /** The host's index of volume users (rebuilt when the host reconnected). */
  private usersIndex(hostId: string): VolumeUsersIndex {
    const libvirt = this.libvirt(hostId);
    const known = this.users.get(hostId);
    if (known && known.libvirt === libvirt) return known.index;
    known?.index.dispose();
    const index = new VolumeUsersIndex(libvirt);
    this.users.set(hostId, { libvirt, index });
    return index;
  }

  // ---- pools ------------------------------------------------------------------------------------

  async pools(hostId: string): Promise<StoragePoolSummary[]> {
    const libvirt = this.libvirt(hostId);
    const pools = await libvirt.storagePool.list();
    const summaries = await Promise.all(
      pools.map(async (pool): Promise<StoragePoolSummary | null> => {
        try {
          const [info, xml, autostart, persistent] = await Promise.all([
            libvirt.storagePool.getInfo(pool),
            libvirt.storagePool.getXml(pool),
            libvirt.storagePool.getAutostart(pool),
            libvirt.storagePool.isPersistent(pool),
          ]);
          const parsed = parsePoolXml(xml);
          return {
            name: pool.name,
            uuid: pool.uuid,
            type: parsed.type,
            state: POOL_STATES[info.state] ?? 'inaccessible',
            persistent,
            autostart,
            capacityBytes: Number(info.capacity),
            allocationBytes: Number(info.allocation),
            availableBytes: Number(info.available),
            targetPath: parsed.targetPath,
            source: parsed.source,
          };
        } catch {
          return null; // removed while we listed
        }
      }),
    );
    return summaries.filter((s): s is StoragePoolSummary => s !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  private async pool(hostId: string, name: string): Promise<StoragePoolSummary> {
    const found = (await this.pools(hostId)).find((pool) => pool.name === name);
    if (!found) throw new ApiFailure('not-found', `No pool ${name} on this host`);
    return found;
  }

  async poolXml(hostId: string, pool: string): Promise<string> {
    return this.libvirt(hostId).storagePool.getXml({ name: pool }).catch((error: unknown) => notFoundIfMissing(error, pool));
  }

  planPool(form: StoragePoolForm): string {
    return buildPoolXml(form);
  }

  /** Define → build → start → autostart; a failed step undoes the earlier ones (the pool is undefined). */
  async createPool(request: StoragePoolCreateRequest): Promise<StoragePoolSummary> {
    const xml = buildPoolXml(request.form);
    const libvirt = this.libvirt(request.hostId);
    const existing = await libvirt.storagePool.lookup({ name: request.form.name }).catch(() => null);
    if (existing) throw new ApiFailure('conflict', `A pool named ${request.form.name} exists already`);
    const pool = await libvirt.storagePool.define(xml);
    let built = false;
    try {
      if (request.build) {
        // NO_OVERWRITE: a logical pool's devices or an fs pool's device that already hold data are refused.
        const flags = request.form.type === 'dir' || request.form.type === 'netfs' ? 0 : virStoragePoolBuildFlags.VIR_STORAGE_POOL_BUILD_NO_OVERWRITE;
        await libvirt.storagePool.build(pool, flags);
        built = true;
      }
      if (request.start) await libvirt.storagePool.start(pool);
      if (request.autostart) await libvirt.storagePool.setAutostart(pool, true);
    } catch (error) {
      await libvirt.storagePool.destroy(pool).catch(() => undefined);
      if (built && request.form.type === 'dir') await libvirt.storagePool.deleteStorage(pool).catch(() => undefined);
      await libvirt.storagePool.undefine(pool).catch(() => undefined);
      throw error;
    }
    return this.pool(request.hostId, request.form.name);
  }

  async poolAction(hostId: string, name: string, action: StoragePoolAction): Promise<void> {
    const pools = this.libvirt(hostId).storagePool;
    const ref = await pools.lookup({ name }).catch((error: unknown) => notFoundIfMissing(error, name));
    switch (action) {
      case 'start':
        return pools.start(ref);
      case 'stop':
        return pools.destroy(ref);
      case 'refresh':
        return pools.refresh(ref);
      case 'autostartOn':
      case 'autostartOff':
        return pools.setAutostart(ref, action === 'autostartOn');
    }
  }

  /**
   * Stops and undefines a pool (confirmed by its name). `deleteStorage` removes a dir pool's directory
   * first (libvirt refuses a directory that still holds files). Refused while a guest uses a volume of it.
   */
  async deletePool(hostId: string, name: string, confirmName: string, deleteStorage: boolean): Promise<void> {
    if (confirmName !== name) throw new ApiFailure('invalid-request', 'Type the pool name to confirm', { field: 'confirmName' });
    const libvirt = this.libvirt(hostId);
    const summary = await this.pool(hostId, name);
    if (deleteStorage && summary.type !== 'dir') {
      throw new ApiFailure('invalid-request', 'Only a dir pool’s directory can be deleted here', { field: 'deleteStorage' });
    }
    const ref = await libvirt.storagePool.lookup({ name });
    if (summary.state === 'running') {
      const list = await this.volumes(hostId, name);
      const used = Object.entries(list.users);
      if (used.length > 0) {
        throw new ApiFailure(
          'conflict',
          `Volumes of ${name} are in use: ${used.map(([volume, users]) => `${volume} (${describeUsers(users)})`).join('; ')}`,
        );
      }
      if (deleteStorage && list.volumes.length > 0) {
        throw new ApiFailure('conflict', `${name} still has ${list.volumes.length} volume(s); delete them first or keep the directory`);
      }
      await libvirt.storagePool.destroy(ref);
    }
    if (deleteStorage) await libvirt.storagePool.deleteStorage(ref);
    if (summary.persistent) await libvirt.storagePool.undefine(ref);
  }

  // ---- volumes ----------------------------------------------------------------------------------

  async volumes(hostId: string, pool: string): Promise<StorageVolumeList> {
    const libvirt = this.libvirt(hostId);
    const index = this.usersIndex(hostId);
    const [volumes] = await Promise.all([
      libvirt.storagePool.listVolumes({ name: pool }).catch((error: unknown) => notFoundIfMissing(error, pool)),
      index.refresh(),
    ]);
    const entries = volumes.map((v) => ({ name: v.name, key: v.key })).sort((a, b) => a.name.localeCompare(b.name));
    return { pool, volumes: entries, users: index.usersByVolume(pool, entries) };
  }

  async volumeDetails(hostId: string, pool: string, names: readonly string[]): Promise<StorageVolumeDetails[]> {
    if (names.length > MAX_DETAILS_PER_CALL) throw new ApiFailure('invalid-request', `At most ${MAX_DETAILS_PER_CALL} volumes per call`);
    const libvirt = this.libvirt(hostId);
    const found = await Promise.all(
      names.map(async (name) => {
        try {
          return await this.details(libvirt, { pool, name, key: '' }, true);
        } catch {
          return null;
        }
      }),
    );
    return found.filter((d): d is StorageVolumeDetails => d !== null);
  }

  private async details(libvirt: LibvirtClient, ref: StorageVol | { pool: string; name: string; key: string }, lookup: boolean): Promise<StorageVolumeDetails> {
    const vol = lookup ? await libvirt.storageVolume.lookup({ pool: ref.pool, name: ref.name }) : (ref as StorageVol);
    const [info, xml] = await Promise.all([libvirt.storageVolume.getInfo(vol), libvirt.storageVolume.getXml(vol)]);
    const parsed = parseVolumeXml(xml);
    return {
      name: vol.name,
      key: vol.key,
      path: parsed.path || vol.key,
      type: volumeTypeName(info.type),
      format: parsed.format,
      capacityBytes: Number(info.capacity),
      allocationBytes: Number(info.allocation),
      backingPath: parsed.backingPath,
    };
  }

  private async volumeXmlFor(hostId: string, form: VolumeCreateForm) {
    let backingFormat: string | null = null;
    if (form.backingPath !== null) {
      const libvirt = this.libvirt(hostId);
      const backing = await libvirt.storageVolume.lookup({ path: form.backingPath }).catch(() => {
        throw new ApiFailure('invalid-request', `No volume at ${form.backingPath}`, { field: 'backingPath' });
      });
      backingFormat = parseVolumeXml(await libvirt.storageVolume.getXml(backing)).format ?? 'raw';
    }
    return buildVolumeXml(form, backingFormat);
  }

  async planVolume(hostId: string, form: VolumeCreateForm): Promise<{ xml: string; flags: string[] }> {
    const built = await this.volumeXmlFor(hostId, form);
    return { xml: built.xml, flags: built.flagNames };
  }

  async createVolume(hostId: string, form: VolumeCreateForm): Promise<StorageVolumeDetails> {
    const built = await this.volumeXmlFor(hostId, form);
    const libvirt = this.libvirt(hostId);
    const existing = await libvirt.storageVolume.lookup({ pool: form.pool, name: form.name }).catch(() => null);
    if (existing) throw new ApiFailure('conflict', `The pool ${form.pool} already has a volume ${form.name}`);
    const vol = await libvirt.storageVolume.create({ name: form.pool }, built.xml, built.flags);
    return this.details(libvirt, vol, false);
  }

  /** Refuses when a guest uses the volume, naming them. */
  private async refuseIfUsed(hostId: string, pool: string, name: string, what: string): Promise<StorageVol> {
    const libvirt = this.libvirt(hostId);
    const vol = await libvirt.storageVolume.lookup({ pool, name }).catch((error: unknown) => notFoundIfMissing(error, name));
    const index = this.usersIndex(hostId);
    await index.refresh();
    const path = await libvirt.storageVolume.getPath(vol).catch(() => vol.key);
    const users = index.usersOf(pool, name, path);
    if (users.length > 0) {
      throw new ApiFailure('conflict', `Cannot ${what} ${name}: it is used by ${describeUsers(users)}`);
    }
    return vol;
  }

  async resizeVolume(hostId: string, pool: string, name: string, capacityBytes: number, allowShrink: boolean): Promise<void> {
    checkObjectName(name);
    const libvirt = this.libvirt(hostId);
    const vol = await libvirt.storageVolume.lookup({ pool, name }).catch((error: unknown) => notFoundIfMissing(error, name));
    const info = await libvirt.storageVolume.getInfo(vol);
    if (BigInt(capacityBytes) < info.capacity && !allowShrink) {
      throw new ApiFailure('invalid-request', 'The new size is smaller: tick "allow shrinking" (data beyond it is lost)', { field: 'capacityBytes' });
    }
    if (BigInt(capacityBytes) < info.capacity) await this.refuseIfUsed(hostId, pool, name, 'shrink');
    await libvirt.storageVolume.resize(vol, BigInt(capacityBytes), BigInt(capacityBytes) < info.capacity ? 4 /* VIR_STORAGE_VOL_RESIZE_SHRINK */ : 0);
  }

  async wipeVolume(hostId: string, pool: string, name: string, confirmName: string): Promise<void> {
    if (confirmName !== name) throw new ApiFailure('invalid-request', 'Type the volume name to confirm', { field: 'confirmName' });
    const vol = await this.refuseIfUsed(hostId, pool, name, 'wipe');
    await this.libvirt(hostId).storageVolume.wipe(vol);
  }

  async deleteVolume(hostId: string, pool: string, name: string, confirmName: string): Promise<void> {
    if (confirmName !== name) throw new ApiFailure('invalid-request', 'Type the volume name to confirm', { field: 'confirmName' });
    const vol = await this.refuseIfUsed(hostId, pool, name, 'delete');
    await this.libvirt(hostId).storageVolume.delete(vol);
  }
}
