/**
 * Changing or ejecting a CD-ROM's (or floppy's) media, on a running guest live and in the definition for
 * the next boot, with virDomainUpdateDeviceFlags (LIVE with the live <disk>, CONFIG with the persistent
 * one: each side keeps its own address, alias and boot order). "Eject install media" also takes CD-ROMs
 * out of the boot order, so its persistent part is defined through the shared domain XML store.
 * Every change is shown as a diff first; a persistent step that fails puts the live media back.
 */
import { createTwoFilesPatch } from 'diff';
import type { MediaChange, MediaInsert, MediaMessage, MediaPreview, MediaRequest, MediaState } from '../../../preload/api-contract';
import { isLibvirtError, type LibvirtClient } from '../../libvirt/client';
import { virDomainDeviceModifyFlags as Modify, virErrorNumber } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { defineDomainXml, readPersistent } from '../domain-xml/domain-xml-store';
import { driveElement, ejectInstallMedia, hasInstallMedia, loadedCdroms, readDrives, withMedia } from './media-xml';

/** Size facts of a file on the host (null = cannot tell, 'missing' = no such file). */
export type MediaFileStat = (path: string) => Promise<unknown | null | 'missing'>;

const MAX_ISO_VOLUMES = 500;

async function isoVolumes(libvirt: LibvirtClient): Promise<MediaState['isoVolumes']> {
  const found: MediaState['isoVolumes'] = [];
  const pools = await libvirt.storagePool.list(2 /* VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE */).catch(() => []);
  for (const pool of pools) {
    const volumes = await libvirt.storagePool.listVolumes(pool).catch(() => []);
    for (const volume of volumes) {
      if (!/\.iso$/i.test(volume.name) || found.length >= MAX_ISO_VOLUMES) continue;
      const path = volume.key.startsWith('/') ? volume.key : await libvirt.storageVolume.getPath(volume).catch(() => volume.key);
      found.push({ pool: pool.name, volume: volume.name, path });
    }
  }
  return found.sort((a, b) => a.pool.localeCompare(b.pool) || a.volume.localeCompare(b.volume));
}

export async function mediaState(libvirt: LibvirtClient, hostId: string, uuid: string): Promise<MediaState> {
  const ref = { uuid };
  const domain = await libvirt.domain.lookup(ref);
  const persistent = await libvirt.domain.isPersistent(ref);
  const running = domain.id > 0;
  const [persistentXml, liveXml, isos] = await Promise.all([
    persistent ? readPersistent(libvirt, uuid) : Promise.resolve(null),
    running ? libvirt.domain.getXml(ref, 0) : Promise.resolve(null),
    isoVolumes(libvirt),
  ]);
  const drives = readDrives(persistentXml, liveXml);
  return {
    hostId,
    uuid,
    name: domain.name,
    running,
    persistent,
    drives,
    installMedia: persistentXml !== null && drives.some((d) => d.device === 'cdrom') && hasInstallMedia(persistentXml),
    isoVolumes: isos,
    basedOn: persistentXml,
  };
}

interface MediaPlan {
  persistentBefore: string | null;
  persistentAfter: string | null;
  /** The persistent part: a CONFIG device update of one drive, or a new definition. */
  persistentBy: 'update' | 'define' | null;
  target: string | null;
  live: Array<{ target: string; before: string; after: string }>;
}

function mediaOf(change: MediaChange): MediaInsert | null {
  return change.kind === 'insert' ? change.source : null;
}

async function makePlan(libvirt: LibvirtClient, request: MediaRequest): Promise<{ plan: MediaPlan; state: MediaState }> {
  const state = await mediaState(libvirt, request.hostId, request.uuid);
  if (state.basedOn !== request.basedOn) {
    throw new ApiFailure('conflict', `The definition of ${state.name} changed on the host since this was opened; reload it`);
  }
  const change = request.change;
  const plan: MediaPlan = { persistentBefore: state.basedOn, persistentAfter: null, persistentBy: null, target: null, live: [] };
  const liveXml = state.running ? await libvirt.domain.getXml({ uuid: request.uuid }, 0) : null;
  if (change.kind === 'ejectInstallMedia') {
    if (!state.basedOn) throw new ApiFailure('invalid-request', `${state.name} has no persistent definition to change`);
    const after = ejectInstallMedia(state.basedOn);
    if (after !== state.basedOn) {
      plan.persistentAfter = after;
      plan.persistentBy = 'define';
    }
    for (const target of liveXml ? loadedCdroms(liveXml) : []) {
      plan.live.push({ target, before: driveElement(liveXml as string, target), after: driveElement(withMedia(liveXml as string, target, null), target) });
    }
    return { plan, state };
  }
  const drive = state.drives.find((d) => d.target === change.target);
  if (!drive) throw new ApiFailure('invalid-request', `${state.name} has no CD-ROM or floppy drive ${change.target}`, { field: 'target' });
  plan.target = change.target;
  const media = mediaOf(change);
  if (state.basedOn && drive.persistent !== undefined) {
    const after = withMedia(state.basedOn, change.target, media);
    if (after !== state.basedOn) {
      plan.persistentAfter = after;
      plan.persistentBy = 'update';
    }
  }
  if (liveXml && drive.live !== undefined) {
    const before = driveElement(liveXml, change.target);
    const after = driveElement(withMedia(liveXml, change.target, media), change.target);
    if (after !== before) plan.live.push({ target: change.target, before, after });
  }
  return { plan, state };
}

/** Checks that new media exist on the host (a pool's volume, or a file libvirt or SSH can see). */
async function checkMedia(libvirt: LibvirtClient, change: MediaChange, stat: MediaFileStat): Promise<MediaMessage[]> {
  if (change.kind !== 'insert') return [];
  const source = change.source;
  if (source.type === 'volume') {
    try {
      await libvirt.storageVolume.lookup({ pool: source.pool, name: source.volume });
      return [];
    } catch (error) {
      if (isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL, virErrorNumber.VIR_ERR_NO_STORAGE_POOL)) {
        throw new ApiFailure('invalid-request', `There is no volume ${source.volume} in pool ${source.pool}`, { field: 'source' });
      }
      throw error;
    }
  }
  if (!source.path.startsWith('/')) throw new ApiFailure('invalid-request', `"${source.path}" is not an absolute path on the host`, { field: 'source' });
  try {
    await libvirt.storageVolume.lookup({ path: source.path });
    return [];
  } catch (error) {
    if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL)) throw error;
  }
  const facts = await stat(source.path).catch(() => null);
  if (facts === 'missing') throw new ApiFailure('invalid-request', `There is no file ${source.path} on the host`, { field: 'source' });
  return facts === null ? [{ key: 'unverified', values: { path: source.path } }] : [];
}

function appliesOf(plan: MediaPlan): MediaPreview['applies'] {
  if (plan.persistentAfter !== null && plan.live.length > 0) return 'now-and-next-boot';
  return plan.live.length > 0 ? 'now' : 'next-boot';
}

export async function mediaPreview(libvirt: LibvirtClient, request: MediaRequest, stat: MediaFileStat): Promise<MediaPreview> {
  const { plan } = await makePlan(libvirt, request);
  const warnings = await checkMedia(libvirt, request.change, stat);
  if (plan.persistentAfter === null && plan.live.length === 0) warnings.push({ key: 'nothingToChange' });
  const diff =
    plan.persistentAfter !== null && plan.persistentBefore !== null
      ? createTwoFilesPatch('on the host', 'after this change', plan.persistentBefore, plan.persistentAfter, undefined, undefined, { context: 3 })
      : '';
  const liveDiff =
    plan.live.length > 0
      ? plan.live.map((d) => createTwoFilesPatch(`${d.target} now`, `${d.target} after`, d.before, d.after, undefined, undefined, { context: 3 })).join('\n')
      : null;
  return { diff, liveDiff, applies: appliesOf(plan), warnings };
}

/** Applies the change: live updates first (the likeliest to fail: a locked tray), then the persistent part. */
export async function mediaApply(libvirt: LibvirtClient, request: MediaRequest, stat: MediaFileStat): Promise<{ state: MediaState }> {
  const { plan } = await makePlan(libvirt, request);
  await checkMedia(libvirt, request.change, stat);
  if (plan.persistentAfter === null && plan.live.length === 0) throw new ApiFailure('invalid-request', 'There is nothing to change');
  const ref = { uuid: request.uuid };
  const force = request.force ? Modify.VIR_DOMAIN_DEVICE_MODIFY_FORCE : 0;
  const done: MediaPlan['live'] = [];
  for (const drive of plan.live) {
    try {
      await libvirt.domain.updateDevice(ref, drive.after, Modify.VIR_DOMAIN_DEVICE_MODIFY_LIVE | force);
      done.push(drive);
    } catch (error) {
      await rollBackLive(libvirt, request.uuid, done);
      throw error;
    }
  }
  try {
    if (plan.persistentBy === 'define' && plan.persistentAfter !== null && plan.persistentBefore !== null) {
      await defineDomainXml(libvirt, { uuid: request.uuid, xml: plan.persistentAfter, basedOn: plan.persistentBefore });
    } else if (plan.persistentBy === 'update' && plan.persistentAfter !== null && plan.target !== null) {
      await libvirt.domain.updateDevice(ref, driveElement(plan.persistentAfter, plan.target), Modify.VIR_DOMAIN_DEVICE_MODIFY_CONFIG);
    }
  } catch (error) {
    await rollBackLive(libvirt, request.uuid, done);
    throw error;
  }
  return { state: await mediaState(libvirt, request.hostId, request.uuid) };
}

async function rollBackLive(libvirt: LibvirtClient, uuid: string, done: MediaPlan['live']): Promise<void> {
  for (const drive of [...done].reverse()) {
    await libvirt.domain
      .updateDevice({ uuid }, drive.before, Modify.VIR_DOMAIN_DEVICE_MODIFY_LIVE | Modify.VIR_DOMAIN_DEVICE_MODIFY_FORCE)
      .catch(() => undefined);
  }
}
