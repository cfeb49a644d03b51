/**
 * The Hardware section's service: the device list, and adding or removing a device on the running guest
 * (virDomainAttachDeviceFlags / virDomainDetachDeviceFlags with LIVE) and/or in the definition for the next
 * boot (through the shared domain XML store: conflict-checked, defined with VALIDATE). Everything is shown
 * as device XML and diff first. A disk's new volume is made through the storage area and deleted again when
 * the attach fails; a live attach is taken back when the definition then cannot be written.
 */
import { randomBytes } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import type {
  HardwareAddRequest,
  HardwareDraft,
  HardwareMessage,
  HardwarePreview,
  HardwareRemoveRequest,
  HardwareRemoveResult,
  HardwareState,
  HostDeviceSelector,
  VolumeCreateForm,
} from '../../../preload/api-contract';
import { isLibvirtError, type LibvirtClient } from '../../libvirt/client';
import { virDomainDeviceModifyFlags as Modify, virErrorNumber } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { maskPasswords } from '../consoles/spice-to-vnc';
import { defineDomainXml, readPersistent } from '../domain-xml/domain-xml-store';
import type { DomainSchema } from '../domain-xml/domain-schema';
import { parseVolumeXml } from '../storage/storage-xml';
import { aliasOf, elementXml, findDevice, freeTarget, iothreadCount, listDevices, removeDevice, usedMacs, usedTargets } from './device-list';
import { buildDeviceXml, hasSharedMemory, insertDevice, withSharedMemory, type DeviceFacts } from './device-xml';

export interface HardwareDeps {
  libvirt: LibvirtClient;
  hostId: string;
  /** The storage area's volume creation (and its plan, for the preview). */
  planVolume(form: VolumeCreateForm): Promise<{ xml: string }>;
  createVolume(form: VolumeCreateForm): Promise<void>;
  deleteVolume(pool: string, name: string): Promise<void>;
  /** The host-devices area's <hostdev> for a device, refused with the reasons when passthrough cannot work. */
  hostdevXml(device: HostDeviceSelector): Promise<string>;
  /** The host's libvirt RELAX NG schema, or null when it cannot be read. */
  schema(): Promise<DomainSchema | null>;
}

export async function hardwareState(libvirt: LibvirtClient, hostId: string, uuid: string): Promise<HardwareState> {
  const ref = { uuid };
  const domain = await libvirt.domain.lookup(ref);
  const persistent = await libvirt.domain.isPersistent(ref);
  const running = domain.id > 0;
  const [persistentXml, liveXml] = await Promise.all([
    persistent ? readPersistent(libvirt, uuid) : Promise.resolve(null),
    running ? libvirt.domain.getXml(ref, 0) : Promise.resolve(null),
  ]);
  return {
    hostId,
    uuid,
    name: domain.name,
    running,
    persistent,
    devices: listDevices(persistentXml, liveXml),
    basedOn: persistentXml,
    liveSharedMemory: liveXml !== null && hasSharedMemory(liveXml),
  };
}

/** Why the running guest cannot take this device now (libvirt 9.0's QEMU hot-plug), or null. */
export function liveBlock(draft: HardwareDraft, liveXml: string): HardwareMessage | null {
  switch (draft.kind) {
    case 'disk':
      return draft.bus === 'virtio' || draft.bus === 'scsi' || draft.bus === 'usb' ? null : { key: 'busNextBoot', values: { bus: draft.bus } };
    case 'cdrom':
      return draft.bus === 'scsi' || draft.bus === 'usb' ? null : { key: 'busNextBoot', values: { bus: draft.bus } };
    case 'graphics':
    case 'video':
    case 'sound':
    case 'tpm':
      return { key: 'kindNextBoot', values: { kind: draft.kind } };
    case 'usb-controller':
      return { key: 'controllerNextBoot' };
    case 'input':
      return draft.bus === 'ps2' ? { key: 'busNextBoot', values: { bus: draft.bus } } : null;
    case 'watchdog':
      return draft.model === 'i6300esb' ? null : { key: 'kindNextBoot', values: { kind: `watchdog ${draft.model}` } };
    case 'filesystem':
      return hasSharedMemory(liveXml) ? null : { key: 'sharedMemoryNextBoot' };
    default:
      return null;
  }
}

/** The reasons in English, for errors (the renderer shows its own translation of the key). */
const REASON_TEXT: Record<string, (values: Record<string, string | number>) => string> = {
  busNextBoot: (v) => `libvirt cannot hot-plug a device on the ${v.bus} bus`,
  kindNextBoot: (v) => `libvirt cannot add a ${v.kind} device to a running guest`,
  controllerNextBoot: () => 'libvirt hot-plugs only SCSI controllers',
  sharedMemoryNextBoot: () => 'virtiofs needs shared memory, which the running guest does not have',
  notRunning: () => 'the guest is not running',
  notHotUnpluggable: () => 'libvirt cannot remove this device from a running guest',
  busNotHotUnpluggable: () => 'libvirt cannot unplug a device on this bus from a running guest',
};
const reasonText = (message: HardwareMessage | string) => {
  const m = typeof message === 'string' ? { key: message } : message;
  return REASON_TEXT[m.key]?.(m.values ?? {}) ?? m.key;
};

const randomMac = () => `52:54:00:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

interface Current {
  name: string;
  running: boolean;
  persistentXml: string | null;
  liveXml: string | null;
}

async function readCurrent(libvirt: LibvirtClient, uuid: string): Promise<Current> {
  const ref = { uuid };
  const domain = await libvirt.domain.lookup(ref);
  const persistent = await libvirt.domain.isPersistent(ref);
  const running = domain.id > 0;
  return {
    name: domain.name,
    running,
    persistentXml: persistent ? await readPersistent(libvirt, uuid) : null,
    liveXml: running ? await libvirt.domain.getXml(ref, 0) : null,
  };
}

/** Fixes what the preview decides (target dev, MAC) and checks the draft against the guest. */
function resolveDraft(draft: HardwareDraft, current: Current): HardwareDraft {
  const docs = [current.persistentXml, current.liveXml];
  if (draft.kind === 'disk' || draft.kind === 'cdrom') {
    const used = usedTargets(...docs);
    if (draft.target === null) return { ...draft, target: freeTarget(draft.bus, used) };
    if (used.has(draft.target)) throw new ApiFailure('invalid-request', `The guest already has a disk ${draft.target}`, { field: 'target' });
    return draft;
  }
  if (draft.kind === 'nic') {
    const used = usedMacs(...docs);
    if (draft.mac === null) {
      let mac = randomMac();
      while (used.has(mac)) mac = randomMac();
      return { ...draft, mac };
    }
    if (used.has(draft.mac.toLowerCase())) throw new ApiFailure('invalid-request', `The guest already has a NIC with MAC ${draft.mac}`, { field: 'mac' });
    return { ...draft, mac: draft.mac.toLowerCase() };
  }
  return draft;
}

function volumeForm(draft: HardwareDraft): VolumeCreateForm | null {
  if (draft.kind !== 'disk' || draft.source.type !== 'new') return null;
  const source = draft.source;
  return { pool: source.pool, name: source.name, format: source.format, capacityBytes: source.capacityBytes, preallocation: 'off', qcow2Compat: '1.1', backingPath: null };
}

/** The format of an existing volume or file (what libvirt says; by the name when libvirt does not know it). */
async function formatOf(libvirt: LibvirtClient, source: { type: 'volume'; pool: string; volume: string } | { type: 'path'; path: string }): Promise<string> {
  try {
    const vol = await libvirt.storageVolume.lookup(source.type === 'volume' ? { pool: source.pool, name: source.volume } : { path: source.path });
    return parseVolumeXml(await libvirt.storageVolume.getXml(vol)).format ?? 'raw';
  } catch (error) {
    const missing = isLibvirtError(error, virErrorNumber.VIR_ERR_NO_STORAGE_VOL, virErrorNumber.VIR_ERR_NO_STORAGE_POOL);
    if (source.type === 'volume' && missing) throw new ApiFailure('invalid-request', `There is no volume ${source.volume} in pool ${source.pool}`, { field: 'source' });
    if (!missing) throw error;
    const path = source.type === 'path' ? source.path : '';
    return /\.qcow2$/i.test(path) ? 'qcow2' : 'raw';
  }
}

async function factsFor(deps: HardwareDeps, draft: HardwareDraft): Promise<DeviceFacts> {
  if (draft.kind === 'disk' && draft.source.type !== 'new') return { format: await formatOf(deps.libvirt, draft.source) };
  if (draft.kind === 'cdrom' && draft.media) return { format: draft.media.type === 'volume' ? await formatOf(deps.libvirt, draft.media) : 'raw' };
  if (draft.kind === 'hostdev') return { hostdevXml: await deps.hostdevXml(draft.device) };
  return {};
}

interface AddPlan {
  current: Current;
  draft: HardwareDraft;
  deviceXml: string;
  persistentAfter: string | null;
  liveReason: HardwareMessage | null;
  notes: HardwareMessage[];
  volume: VolumeCreateForm | null;
}

async function planAdd(deps: HardwareDeps, request: HardwareAddRequest): Promise<AddPlan> {
  if (!request.live && !request.config) {
    throw new ApiFailure('invalid-request', 'Say whether the device is added now (live), at the next boot or both', { field: 'live' });
  }
  const current = await readCurrent(deps.libvirt, request.uuid);
  if (request.config && current.persistentXml === null) throw new ApiFailure('invalid-request', `${current.name} has no persistent definition; add it live only`, { field: 'config' });
  if (request.live && !current.running) throw new ApiFailure('invalid-request', `${current.name} is not running; add it for the next boot`, { field: 'live' });
  if (current.persistentXml !== request.basedOn) {
    throw new ApiFailure('conflict', `The definition of ${current.name} changed on the host since this was opened; reload it`);
  }
  const draft = resolveDraft(request.draft, current);
  if (draft.kind === 'disk' && draft.iothread !== null) {
    const threads = iothreadCount(current.persistentXml ?? current.liveXml ?? '');
    if (draft.iothread > threads) throw new ApiFailure('invalid-request', `The guest has ${threads} I/O thread(s); pick one of them or add more on the Tuning tab`, { field: 'iothread' });
  }
  const deviceXml = buildDeviceXml(draft, await factsFor(deps, draft));
  const notes: HardwareMessage[] = [];
  let persistentAfter: string | null = null;
  if (request.config && current.persistentXml !== null) {
    let base = current.persistentXml;
    if (draft.kind === 'filesystem' && !hasSharedMemory(base)) {
      base = withSharedMemory(base);
      notes.push({ key: 'sharedMemoryAdded' });
    }
    persistentAfter = insertDevice(base, deviceXml);
  }
  const liveReason = current.liveXml !== null ? liveBlock(draft, current.liveXml) : { key: 'notRunning' };
  const volume = volumeForm(draft);
  if (volume) notes.push({ key: 'volumeCreated', values: { pool: volume.pool, name: volume.name } });
  return { current, draft, deviceXml, persistentAfter, liveReason, notes, volume };
}

async function schemaProblems(deps: HardwareDeps, xml: string | null): Promise<string[]> {
  if (xml === null) return [];
  const schema = await deps.schema().catch(() => null);
  if (!schema) return [];
  return schema.validate(xml).map((p) => (p.located ? `${p.line}:${p.column} ${p.message}` : p.message));
}

export async function hardwarePreview(deps: HardwareDeps, request: HardwareAddRequest): Promise<HardwarePreview> {
  const plan = await planAdd(deps, request);
  const before = plan.current.persistentXml;
  const diff =
    plan.persistentAfter !== null && before !== null
      ? maskPasswords(createTwoFilesPatch(`${plan.current.name}.xml`, `${plan.current.name}.xml`, before, plan.persistentAfter, 'now', 'next boot', { context: 3 }))
      : '';
  const volumeXml = plan.volume ? (await deps.planVolume(plan.volume)).xml : null;
  return {
    draft: plan.draft,
    deviceXml: maskPasswords(plan.deviceXml),
    diff,
    volumeXml,
    liveOk: plan.liveReason === null,
    liveReason: plan.liveReason,
    schemaProblems: await schemaProblems(deps, plan.persistentAfter),
    notes: plan.notes,
  };
}

/**
 * Adds the device: a new volume first (if any), then the running guest (the step likeliest to fail), then
 * the definition. A failure takes back what was done: the live device is detached, the new volume deleted.
 */
export async function hardwareAdd(deps: HardwareDeps, request: HardwareAddRequest): Promise<{ state: HardwareState; volumeCreated: string | null }> {
  const plan = await planAdd(deps, request);
  if (request.live && plan.liveReason) {
    throw new ApiFailure('invalid-request', `${plan.current.name} cannot take this device while it runs: ${reasonText(plan.liveReason)}; add it for the next boot`, { field: 'live' });
  }
  const problems = await schemaProblems(deps, plan.persistentAfter);
  if (problems.length > 0) throw new ApiFailure('invalid-request', `The definition would not match libvirt's schema: ${problems[0]}`);
  const ref = { uuid: request.uuid };
  let volumeCreated: string | null = null;
  let attachedLive = false;
  try {
    if (plan.volume) {
      await deps.createVolume(plan.volume);
      volumeCreated = `${plan.volume.pool}/${plan.volume.name}`;
    }
    if (request.live) {
      await deps.libvirt.domain.attachDevice(ref, plan.deviceXml, Modify.VIR_DOMAIN_DEVICE_MODIFY_LIVE);
      attachedLive = true;
    }
    if (plan.persistentAfter !== null && plan.current.persistentXml !== null) {
      await defineDomainXml(deps.libvirt, { uuid: request.uuid, xml: plan.persistentAfter, basedOn: plan.current.persistentXml });
    }
  } catch (error) {
    if (attachedLive) {
      await deps.libvirt.domain.detachDevice(ref, plan.deviceXml, Modify.VIR_DOMAIN_DEVICE_MODIFY_LIVE).catch(() => undefined);
    }
    if (plan.volume && volumeCreated) await deps.deleteVolume(plan.volume.pool, plan.volume.name).catch(() => undefined);
    throw error;
  }
  return { state: await hardwareState(deps.libvirt, deps.hostId, request.uuid), volumeCreated };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Removes a device: from the running guest (detach, then wait for DEVICE_REMOVED — or the device gone from
 * the live XML — until `waitSeconds`; a guest that has not let go by then is reported as pending), and from
 * the definition (defined without it, conflict-checked).
 */
export async function hardwareRemove(libvirt: LibvirtClient, hostId: string, request: HardwareRemoveRequest): Promise<HardwareRemoveResult> {
  if (!request.live && !request.config) throw new ApiFailure('invalid-request', 'Say whether the device is removed now (live), at the next boot or both', { field: 'live' });
  const current = await readCurrent(libvirt, request.uuid);
  if (current.persistentXml !== request.basedOn) throw new ApiFailure('conflict', `The definition of ${current.name} changed on the host since this was opened; reload it`);
  const configElement = findDevice(current.persistentXml, request.key);
  const liveElement = findDevice(current.liveXml, request.key);
  if (!configElement && !liveElement) throw new ApiFailure('not-found', `${current.name} has no such device (it may have been removed meanwhile)`);
  if (request.live && liveElement) {
    const device = listDevices(null, current.liveXml).find((d) => d.key === request.key);
    if (device?.liveRemoval) throw new ApiFailure('invalid-request', `This device cannot be removed from the running guest: ${reasonText(device.liveRemoval)}; remove it for the next boot`, { field: 'live' });
  }
  const ref = { uuid: request.uuid };
  let live: HardwareRemoveResult['live'] = 'not-asked';
  const started = Date.now();
  if (request.live && liveElement) {
    const alias = aliasOf(liveElement);
    let removed = false;
    let failed = false;
    const subscriptions = await Promise.all([
      libvirt
        .onDomainEvent('device-removed', (event) => {
          if (alias === null || event.data.devAlias === alias) removed = true;
        }, { domain: ref })
        .catch(() => null),
      libvirt
        .onDomainEvent('device-removal-failed', (event) => {
          if (alias === null || event.data.devAlias === alias) failed = true;
        }, { domain: ref })
        .catch(() => null),
    ]);
    try {
      await libvirt.domain.detachDevice(ref, elementXml(liveElement), Modify.VIR_DOMAIN_DEVICE_MODIFY_LIVE);
      const deadline = started + Math.max(1, request.waitSeconds) * 1000;
      let nextCheck = Date.now();
      while (!removed && !failed && Date.now() < deadline) {
        await sleep(100);
        if (Date.now() >= nextCheck) {
          // The event may be lost (reconnect): the live XML tells as well.
          nextCheck = Date.now() + 1000;
          const xml = await libvirt.domain.getXml(ref, 0).catch(() => null);
          if (xml !== null && (alias !== null ? !xml.includes(`<alias name='${alias}'/>`) : !findDevice(xml, request.key))) removed = true;
        }
      }
    } finally {
      for (const sub of subscriptions) await sub?.unsubscribe().catch(() => undefined);
    }
    if (failed) throw new ApiFailure('conflict', `The guest refused to release ${alias ?? 'the device'} (DEVICE_REMOVAL_FAILED)`);
    live = removed ? 'removed' : 'pending';
  }
  const waitedMs = Date.now() - started;
  let config = false;
  if (request.config && configElement && current.persistentXml !== null) {
    const after = removeDevice(current.persistentXml, request.key);
    await defineDomainXml(libvirt, { uuid: request.uuid, xml: after, basedOn: current.persistentXml });
    config = true;
  }
  return { live, config, waitedMs, state: await hardwareState(libvirt, hostId, request.uuid) };
}
