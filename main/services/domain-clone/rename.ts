/**
 * Renaming a guest (virDomainRename). libvirt 9.0's QEMU driver renames only a persistent guest that is
 * shut off and has no managed save image, to a name no other guest has (qemuDomainRename); snapshots and
 * checkpoints are renamed with it. The check below says why before trying, and libvirt checks again.
 */
import type { CloneMessage, RenameCheck } from '../../../preload/api-contract';
import { isLibvirtError, type LibvirtClient } from '../../libvirt/client';
import { virErrorNumber } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { readPersistent } from '../domain-xml/domain-xml-store';
import { attribute, elements, first, parseXml } from '../domain-tuning/xml-edit';
import { checkName } from './clone-plan';
import { nvramPathOf } from './clone-xml';

const VIR_DOMAIN_SHUTOFF = 5;
const STATE_NAMES = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'];

const TEXT: Record<string, (v: Record<string, string | number>) => string> = {
  notShutOff: (v) => `it is ${v.state}; shut it off first`,
  transient: () => 'it is transient (libvirt renames only persistent guests)',
  managedSave: () => 'it has a saved state (managed save); start it or remove the saved state first',
};

export async function renameCheck(libvirt: LibvirtClient, hostId: string, uuid: string): Promise<RenameCheck> {
  const ref = { uuid };
  const domain = await libvirt.domain.lookup(ref);
  const [state, persistent, managedSave, xml] = await Promise.all([
    libvirt.domain.getState(ref),
    libvirt.domain.isPersistent(ref),
    libvirt.domain.hasManagedSaveImage(ref).catch(() => false),
    readPersistent(libvirt, uuid),
  ]);
  const blockers: CloneMessage[] = [];
  if (state.state !== VIR_DOMAIN_SHUTOFF) blockers.push({ key: 'notShutOff', values: { state: STATE_NAMES[state.state] ?? String(state.state) } });
  if (!persistent) blockers.push({ key: 'transient' });
  if (managedSave) blockers.push({ key: 'managedSave' });
  const doc = parseXml(xml);
  const keptPaths = elements(first(doc.root, 'devices'), 'disk')
    .filter((disk) => attribute(disk, 'device') !== 'cdrom' && attribute(disk, 'device') !== 'floppy')
    .map((disk) => attribute(first(disk, 'source'), 'file') ?? attribute(first(disk, 'source'), 'dev'))
    .filter((path): path is string => path !== null);
  const nvram = nvramPathOf(xml);
  if (nvram) keptPaths.push(nvram);
  return { hostId, uuid, name: domain.name, blockers, keptPaths };
}

/** Renames the guest from `from` to `name`; refuses (changing nothing) when anything stands in the way. */
export async function renameDomain(libvirt: LibvirtClient, hostId: string, uuid: string, from: string, name: string): Promise<{ name: string }> {
  const newName = checkName(name, 'new name', 'name');
  const check = await renameCheck(libvirt, hostId, uuid);
  if (check.name !== from) {
    throw new ApiFailure('conflict', `The guest is now called "${check.name}" (renamed meanwhile); nothing was changed`);
  }
  const blocker = check.blockers[0];
  if (blocker) throw new ApiFailure('conflict', `${from} cannot be renamed: ${TEXT[blocker.key]?.(blocker.values ?? {}) ?? blocker.key}`);
  if (newName === from) throw new ApiFailure('invalid-request', 'The new name is the current name', { field: 'name' });
  try {
    await libvirt.domain.lookup({ name: newName });
    throw new ApiFailure('conflict', `A guest named "${newName}" already exists on this host`, { field: 'name' });
  } catch (error) {
    if (!isLibvirtError(error, virErrorNumber.VIR_ERR_NO_DOMAIN)) throw error;
  }
  const renamed = await libvirt.domain.rename({ uuid, name: from }, newName);
  return { name: renamed.name };
}
