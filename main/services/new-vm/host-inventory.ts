/**
 * What the wizard reads from a host before it builds anything: the capabilities it offers, its active
 * pools and their volumes, its networks, the names already taken, and the running guests' totals.
 */
import type { NewVmHostFacts, NewVmNetwork, NewVmPool, NewVmVolume } from '../../../preload/api-contract';
import type { LibvirtClient } from '../../libvirt/client';
import { virConnectListAllNetworksFlags } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { runningGuestTotals } from '../domain-tuning/tuning-service';
import { attr, child, parseXmlDocument, text } from '../domains/domain-xml-parse';
import { hasMachine } from './defaults';
import { parseDomainCapabilities, pickGuest } from './host-facts';

const FILE_POOL_TYPES = new Set(['dir', 'fs', 'netfs']);
const MAX_VOLUMES_PER_POOL = 2000;

export async function readHostFacts(libvirt: LibvirtClient): Promise<NewVmHostFacts> {
  const [capabilities, node, running] = await Promise.all([
    libvirt.host.capabilities(),
    libvirt.host.nodeInfo(),
    runningGuestTotals(libvirt),
  ]);
  const picked = pickGuest(capabilities);
  if (!picked) throw new ApiFailure('not-found', 'The host offers no hvm guests (its capabilities list no QEMU emulator for its architecture)');
  const machine = hasMachine(picked.guest, 'q35') ? 'q35' : 'pc';
  const domcaps = parseDomainCapabilities(
    await libvirt.host.domainCapabilities({ arch: picked.guest.arch, virttype: picked.domainType, machine, ...(picked.guest.emulator ? { emulator: picked.guest.emulator } : {}) }),
  );
  return {
    domainType: picked.domainType,
    arch: picked.guest.arch,
    emulator: picked.guest.emulator,
    machines: picked.guest.machines,
    efi: domcaps.efi,
    secureBoot: domcaps.secureBoot,
    tpmEmulator: domcaps.tpmEmulator,
    tpmModels: domcaps.tpmModels,
    cpuModes: domcaps.cpuModes,
    graphics: domcaps.graphics,
    diskBuses: domcaps.diskBuses,
    videoModels: domcaps.videoModels,
    threads: node.cpus,
    memoryKiB: node.memoryKiB,
    running,
  };
}

export interface PoolInventory {
  pools: NewVmPool[];
  volumes: NewVmVolume[];
}

/** Active pools with their type and target path, and the volumes in them (path, format, capacity). */
export async function readPools(libvirt: LibvirtClient): Promise<PoolInventory> {
  const listed = await libvirt.storagePool.list();
  const pools: NewVmPool[] = [];
  const volumes: NewVmVolume[] = [];
  for (const pool of listed) {
    const info = await libvirt.storagePool.getInfo(pool);
    if (info.state !== 2) continue; // VIR_STORAGE_POOL_RUNNING
    const root = parseXmlDocument(await libvirt.storagePool.getXml(pool), 'The pool XML');
    const type = attr(root, 'type') ?? 'unknown';
    pools.push({
      name: pool.name,
      type,
      fileBased: FILE_POOL_TYPES.has(type),
      targetPath: text(child(child(root, 'target'), 'path')),
      availableBytes: Number(info.available),
    });
    const vols = (await libvirt.storagePool.listVolumes(pool)).slice(0, MAX_VOLUMES_PER_POOL);
    const described = await Promise.all(
      vols.map(async (vol) => {
        try {
          const volRoot = parseXmlDocument(await libvirt.storageVolume.getXml(vol), 'The volume XML');
          const target = child(volRoot, 'target');
          return {
            pool: pool.name,
            name: vol.name,
            path: text(child(target, 'path')) ?? vol.key,
            format: attr(child(target, 'format'), 'type'),
            capacityBytes: Number(text(child(volRoot, 'capacity')) ?? 0),
          };
        } catch {
          return null; // removed meanwhile
        }
      }),
    );
    for (const vol of described) if (vol) volumes.push(vol);
  }
  pools.sort((a, b) => a.name.localeCompare(b.name));
  volumes.sort((a, b) => a.pool.localeCompare(b.pool) || a.name.localeCompare(b.name));
  return { pools, volumes };
}

export async function readNetworks(libvirt: LibvirtClient): Promise<NewVmNetwork[]> {
  const [all, active] = await Promise.all([
    libvirt.network.list(),
    libvirt.network.list(virConnectListAllNetworksFlags.VIR_CONNECT_LIST_NETWORKS_ACTIVE),
  ]);
  const activeNames = new Set(active.map((n) => n.name));
  return all.map((n) => ({ name: n.name, active: activeNames.has(n.name) })).sort((a, b) => a.name.localeCompare(b.name));
}
