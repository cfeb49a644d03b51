/**
 * What the OS and the host decide for a new guest: machine, firmware, buses and models, memory,
 * vCPUs and disk size, each with a note when the host limits the choice.
 *
 * - virtio disk and NIC where the OS supports them (osinfo device ids, inherited), else SATA (IDE on
 *   i440fx) and e1000;
 * - q35 with UEFI when the host's domain capabilities offer EFI firmware (libvirt picks the image);
 *   Secure Boot and an emulated TPM 2.0 where the OS needs them (Windows 11) and the host offers them;
 * - memory: the OS's recommended RAM, else its minimum, else 2 GiB; vCPUs: its recommended count, else
 *   at least 2 (osinfo rarely recommends a count), never more than the host's threads; disk: the
 *   recommended storage, else the minimum, else 20 GiB.
 */
import type { NewVmDefaults, NewVmHostFacts, NewVmNetwork, NewVmNote, NewVmPool, NewVmSourceKind } from '../../../preload/api-contract';
import { needsTpmAndSecureBoot } from './builtin-oses';
import { OSINFO_DEVICES, type ResolvedOs } from './os-catalog';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Systems from before q35's AHCI/PCIe era without virtio drivers get the i440fx machine. */
function isLegacy(os: ResolvedOs): boolean {
  if (os.supports(OSINFO_DEVICES.q35)) return false;
  if (os.supports(OSINFO_DEVICES.virtioBlock)) return false;
  return os.releaseDate !== null && os.releaseDate < '2009-01-01';
}

export function hasMachine(facts: Pick<NewVmHostFacts, 'machines'>, machine: 'q35' | 'pc'): boolean {
  const prefix = machine === 'q35' ? 'pc-q35-' : 'pc-i440fx-';
  return facts.machines.some((m) => m === machine || m.startsWith(prefix));
}

export function wizardDefaults(
  os: ResolvedOs,
  facts: NewVmHostFacts,
  sourceKind: NewVmSourceKind,
  pools: readonly NewVmPool[],
  networks: readonly NewVmNetwork[],
): NewVmDefaults {
  const notes: NewVmNote[] = [];
  if (facts.domainType === 'qemu') notes.push({ key: 'tcg', values: {}, severity: 'warning' });

  const legacy = isLegacy(os);
  const machine: 'q35' | 'pc' = hasMachine(facts, 'q35') && !legacy ? 'q35' : 'pc';
  if (legacy) notes.push({ key: 'legacyMachine', values: { os: os.name }, severity: 'info' });

  const virtioDisk = os.supports(OSINFO_DEVICES.virtioBlock);
  const virtioNet = os.supports(OSINFO_DEVICES.virtioNet);
  const bus = virtioDisk ? 'virtio' : machine === 'q35' ? 'sata' : 'ide';
  if (!virtioDisk) notes.push({ key: 'noVirtioDisk', values: { os: os.name, bus }, severity: 'info' });
  const model = virtioNet ? 'virtio' : 'e1000';
  if (!virtioNet) notes.push({ key: 'noVirtioNic', values: { os: os.name, model }, severity: 'info' });

  const requiresEfi = os.bios === false;
  const wantsSecurity = needsTpmAndSecureBoot(os.id);
  let firmware: 'efi' | 'bios' = 'bios';
  if (facts.efi && machine === 'q35' && os.efi !== false) firmware = 'efi';
  else if (requiresEfi || wantsSecurity) {
    firmware = 'efi';
    if (!facts.efi) notes.push({ key: 'efiMissing', values: { os: os.name }, severity: 'warning' });
  } else if (!facts.efi) notes.push({ key: 'noEfiFirmware', values: {}, severity: 'info' });
  const secureBoot = wantsSecurity && firmware === 'efi' && facts.secureBoot;
  const tpm = wantsSecurity && facts.tpmEmulator;
  if (wantsSecurity && !facts.secureBoot) notes.push({ key: 'secureBootMissing', values: { os: os.name }, severity: 'warning' });
  if (wantsSecurity && !facts.tpmEmulator) notes.push({ key: 'tpmMissing', values: { os: os.name }, severity: 'warning' });

  const ram = os.recommended?.ramBytes ?? os.minimum?.ramBytes ?? 2 * GiB;
  const memoryMiB = Math.max(128, Math.round(ram / MiB));
  const wantedCpus = os.recommended?.nCpus ?? Math.max(os.minimum?.nCpus ?? 1, 2);
  const vcpus = Math.max(1, Math.min(wantedCpus, facts.threads > 0 ? facts.threads : wantedCpus));
  const storage = os.recommended?.storageBytes ?? os.minimum?.storageBytes ?? 20 * GiB;
  const sizeGiB = Math.max(1, Math.ceil(storage / GiB));

  const filePools = pools.filter((p) => p.fileBased);
  const pool = filePools.find((p) => p.name === 'default') ?? filePools[0] ?? null;
  if (!pool && sourceKind !== 'import') notes.push({ key: 'noPool', values: {}, severity: 'warning' });

  const active = networks.filter((n) => n.active);
  const network = active.find((n) => n.name === 'default') ?? active[0] ?? null;
  if (!network) notes.push({ key: 'noActiveNetwork', values: {}, severity: 'info' });

  const graphics = facts.graphics.includes('vnc') ? 'vnc' : facts.graphics.includes('spice') ? 'spice' : 'none';
  return {
    spec: {
      osId: os.id,
      vcpus,
      memoryMiB,
      disk: { pool: pool?.name ?? '', sizeGiB, bus },
      machine,
      firmware,
      secureBoot,
      tpm,
      nic: network ? { kind: 'network', source: network.name, model } : { kind: 'user', source: null, model },
      graphics,
    },
    notes,
  };
}
