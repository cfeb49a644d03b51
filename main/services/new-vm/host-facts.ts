/**
 * What a host offers a new guest, from libvirt's capabilities (domain types, emulator, machines per
 * architecture) and domain capabilities (firmware, secure boot, TPM, CPU modes, devices) for the
 * domain type and machine the wizard picks.
 */
import type { Element } from '@xmldom/xmldom';
import type { NewVmHostFacts } from '../../../preload/api-contract';
import { attr, child, children, parseXmlDocument, text } from '../domains/domain-xml-parse';

export interface GuestCapabilities {
  arch: string;
  emulator: string | null;
  domainTypes: string[];
  /** Machine names and aliases (pc, q35, pc-q35-7.2, …). */
  machines: string[];
}

/** The hvm guests the host can run, per architecture. */
export function parseGuestCapabilities(capabilitiesXml: string): { hostArch: string; guests: GuestCapabilities[] } {
  const root = parseXmlDocument(capabilitiesXml, 'The capabilities XML');
  const hostArch = text(child(child(child(root, 'host'), 'cpu'), 'arch')) ?? 'x86_64';
  const guests: GuestCapabilities[] = [];
  for (const guest of children(root, 'guest')) {
    if (text(child(guest, 'os_type')) !== 'hvm') continue;
    const arch = child(guest, 'arch');
    if (!arch) continue;
    const machines = new Set<string>();
    const addMachines = (holder: Element | null) => {
      for (const machine of holder ? children(holder, 'machine') : []) {
        const name = text(machine);
        if (name) machines.add(name);
        const canonical = attr(machine, 'canonical');
        if (canonical) machines.add(canonical);
      }
    };
    addMachines(arch);
    const domainTypes: string[] = [];
    for (const domain of children(arch, 'domain')) {
      const type = attr(domain, 'type');
      if (type && !domainTypes.includes(type)) domainTypes.push(type);
      addMachines(domain);
    }
    guests.push({ arch: attr(arch, 'name') ?? hostArch, emulator: text(child(arch, 'emulator')), domainTypes, machines: [...machines].sort() });
  }
  return { hostArch, guests };
}

/** The guest the wizard creates: the host's own architecture, kvm where offered, else qemu (TCG). */
export function pickGuest(capabilitiesXml: string): { guest: GuestCapabilities; domainType: 'kvm' | 'qemu' } | null {
  const { hostArch, guests } = parseGuestCapabilities(capabilitiesXml);
  const guest = guests.find((g) => g.arch === hostArch) ?? guests.find((g) => g.arch === 'x86_64') ?? guests[0];
  if (!guest) return null;
  if (guest.domainTypes.includes('kvm')) return { guest, domainType: 'kvm' };
  if (guest.domainTypes.includes('qemu')) return { guest, domainType: 'qemu' };
  return null;
}

function enumValues(parent: Element | null, name: string): string[] {
  const found = parent ? children(parent, 'enum').find((e) => attr(e, 'name') === name) : undefined;
  return found ? children(found, 'value').map((v) => text(v) ?? '').filter(Boolean) : [];
}

export type DomainCapabilityFacts = Pick<
  NewVmHostFacts,
  'efi' | 'secureBoot' | 'tpmEmulator' | 'tpmModels' | 'cpuModes' | 'graphics' | 'diskBuses' | 'videoModels'
> & { machine: string | null; domainType: string | null };

/** Firmware, TPM, CPU modes and device choices from a domain capabilities document. */
export function parseDomainCapabilities(xml: string): DomainCapabilityFacts {
  const root = parseXmlDocument(xml, 'The domain capabilities XML');
  const os = child(root, 'os');
  const loader = child(os, 'loader');
  const devices = child(root, 'devices');
  const tpm = child(devices, 'tpm');
  const supported = (element: Element | null) => element !== null && attr(element, 'supported') === 'yes';
  const firmware = enumValues(os, 'firmware');
  const cpu = child(root, 'cpu');
  const cpuModes = (cpu ? children(cpu, 'mode') : [])
    .filter((mode) => attr(mode, 'supported') === 'yes')
    .map((mode) => attr(mode, 'name') ?? '')
    .filter(Boolean);
  const tpmBackends = supported(tpm) ? enumValues(tpm, 'backendModel') : [];
  const tpmVersions = supported(tpm) ? enumValues(tpm, 'backendVersion') : [];
  return {
    domainType: text(child(root, 'domain')),
    machine: text(child(root, 'machine')),
    // libvirt lists 'efi' only when firmware descriptors for it exist (qemuFirmwareGetSupported).
    efi: supported(os) && firmware.includes('efi'),
    secureBoot: supported(os) && firmware.includes('efi') && enumValues(loader, 'secure').includes('yes'),
    // 'emulator' is listed only when swtpm is installed; libvirt 9.0 lists the versions swtpm_setup supports.
    tpmEmulator: tpmBackends.includes('emulator') && (tpmVersions.length === 0 || tpmVersions.includes('2.0')),
    tpmModels: supported(tpm) ? enumValues(tpm, 'model') : [],
    cpuModes,
    graphics: supported(child(devices, 'graphics')) ? enumValues(child(devices, 'graphics'), 'type') : [],
    diskBuses: supported(child(devices, 'disk')) ? enumValues(child(devices, 'disk'), 'bus') : [],
    videoModels: supported(child(devices, 'video')) ? enumValues(child(devices, 'video'), 'modelType') : [],
  };
}
