/**
 * The new guest's domain XML, with the defaults practitioners use: qcow2 on the chosen bus with
 * cache=none and io=native (discard=unmap where the bus passes it on), per-device boot order (install
 * media → disk → network), q35 and UEFI through libvirt's firmware auto-selection, a guest-agent
 * channel, balloon, RNG, a serial console, graphics on 127.0.0.1 only, and the OS in libosinfo metadata.
 */
import type { NewVmHostFacts, NewVmSpec } from '../../../preload/api-contract';
import { OSINFO_DEVICES, type ResolvedOs } from './os-catalog';

export interface DomainXmlInput {
  spec: NewVmSpec;
  uuid: string;
  os: ResolvedOs;
  host: NewVmHostFacts;
  /** The system disk: the new volume's path, or the imported disk. */
  diskPath: string;
  /** Its format (qcow2 for new volumes; the imported volume's own format). */
  diskFormat: string;
  isoPath: string | null;
  seedPath: string | null;
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

const DISCARD_BUSES = new Set(['virtio', 'scsi', 'sata']);
const PREFIX: Record<string, string> = { virtio: 'vd', sata: 'sd', scsi: 'sd', usb: 'sd', ide: 'hd' };

/** vda, vdb, … / sda, … / hda, hdc (IDE: one per channel, as virt-install assigns them). */
function targetNamer(): (bus: string) => string {
  const used = new Map<string, number>();
  return (bus) => {
    const prefix = PREFIX[bus] ?? 'sd';
    const index = used.get(prefix) ?? 0;
    used.set(prefix, index + (prefix === 'hd' ? 2 : 1));
    return `${prefix}${String.fromCharCode(97 + index)}`;
  };
}

export function buildDomainXml(input: DomainXmlInput): string {
  const { spec, os, host } = input;
  const e = escapeXml;
  const windows = os.family === 'winnt' || os.family === 'win9x';
  const kvm = host.domainType === 'kvm';
  const target = targetNamer();
  const cdromBus = spec.machine === 'q35' ? 'sata' : 'ide';
  const lines: string[] = [];
  const add = (indent: number, text: string) => lines.push(`${'  '.repeat(indent)}${text}`);

  add(0, `<domain type='${host.domainType}'>`);
  add(1, `<name>${e(spec.name)}</name>`);
  add(1, `<uuid>${input.uuid}</uuid>`);
  add(1, '<metadata>');
  add(2, "<libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>");
  add(3, `<libosinfo:os id='${e(os.id)}'/>`);
  add(2, '</libosinfo:libosinfo>');
  add(1, '</metadata>');
  add(1, `<memory unit='MiB'>${spec.memoryMiB}</memory>`);
  add(1, `<currentMemory unit='MiB'>${spec.memoryMiB}</currentMemory>`);
  add(1, `<vcpu placement='static'>${spec.vcpus}</vcpu>`);

  // OS and firmware: libvirt picks the UEFI image and its NVRAM template from the host's descriptors.
  add(1, spec.firmware === 'efi' ? "<os firmware='efi'>" : '<os>');
  add(2, `<type arch='${e(host.arch)}' machine='${spec.machine}'>hvm</type>`);
  if (spec.firmware === 'efi') {
    add(2, '<firmware>');
    add(3, `<feature enabled='${spec.secureBoot ? 'yes' : 'no'}' name='enrolled-keys'/>`);
    add(3, `<feature enabled='${spec.secureBoot ? 'yes' : 'no'}' name='secure-boot'/>`);
    add(2, '</firmware>');
  }
  add(1, '</os>');

  add(1, '<features>');
  add(2, '<acpi/>');
  add(2, '<apic/>');
  if (windows && kvm) {
    add(2, "<hyperv mode='custom'>");
    add(3, "<relaxed state='on'/>");
    add(3, "<vapic state='on'/>");
    add(3, "<spinlocks state='on' retries='8191'/>");
    add(2, '</hyperv>');
  }
  add(1, '</features>');

  // CPU: the host's own under KVM; under TCG the most QEMU can emulate (newer distros need x86-64-v2).
  if (kvm && host.cpuModes.includes('host-passthrough')) add(1, "<cpu mode='host-passthrough' check='none' migratable='on'/>");
  else if (kvm && host.cpuModes.includes('host-model')) add(1, "<cpu mode='host-model' check='partial'/>");
  else if (!kvm && host.cpuModes.includes('maximum')) add(1, "<cpu mode='maximum' check='none'/>");

  add(1, `<clock offset='${windows ? 'localtime' : 'utc'}'>`);
  add(2, "<timer name='rtc' tickpolicy='catchup'/>");
  add(2, "<timer name='pit' tickpolicy='delay'/>");
  add(2, "<timer name='hpet' present='no'/>");
  if (windows && kvm) add(2, "<timer name='hypervclock' present='yes'/>");
  add(1, '</clock>');
  add(1, '<on_poweroff>destroy</on_poweroff>');
  add(1, '<on_reboot>restart</on_reboot>');
  add(1, '<on_crash>destroy</on_crash>');
  add(1, '<pm>');
  add(2, "<suspend-to-mem enabled='no'/>");
  add(2, "<suspend-to-disk enabled='no'/>");
  add(1, '</pm>');

  add(1, '<devices>');
  let order = 1;
  const bootIso = input.isoPath !== null;
  const isoOrder = bootIso ? order++ : null;
  const diskOrder = order++;
  const nicOrder = order;

  // The system disk.
  const bus = spec.disk.bus;
  const driver = [
    "name='qemu'",
    `type='${e(input.diskFormat)}'`,
    "cache='none'",
    "io='native'",
    ...(DISCARD_BUSES.has(bus) ? ["discard='unmap'"] : []),
  ].join(' ');
  add(2, "<disk type='file' device='disk'>");
  add(3, `<driver ${driver}/>`);
  add(3, `<source file='${e(input.diskPath)}'/>`);
  add(3, `<target dev='${target(bus)}' bus='${bus}'/>`);
  add(3, `<boot order='${diskOrder}'/>`);
  add(2, '</disk>');

  const cdrom = (path: string, bootOrder: number | null) => {
    add(2, "<disk type='file' device='cdrom'>");
    add(3, "<driver name='qemu' type='raw'/>");
    add(3, `<source file='${e(path)}'/>`);
    add(3, `<target dev='${target(cdromBus)}' bus='${cdromBus}'/>`);
    add(3, '<readonly/>');
    if (bootOrder !== null) add(3, `<boot order='${bootOrder}'/>`);
    add(2, '</disk>');
  };
  if (input.isoPath !== null) cdrom(input.isoPath, isoOrder);
  if (input.seedPath !== null) cdrom(input.seedPath, null);
  if (bus === 'scsi') add(2, "<controller type='scsi' model='virtio-scsi'/>");

  if (spec.nic.kind !== 'none') {
    const source =
      spec.nic.kind === 'network'
        ? `<source network='${e(spec.nic.source ?? 'default')}'/>`
        : spec.nic.kind === 'bridge'
          ? `<source bridge='${e(spec.nic.source ?? '')}'/>`
          : null;
    add(2, `<interface type='${spec.nic.kind}'>`);
    if (source) add(3, source);
    add(3, `<model type='${spec.nic.model}'/>`);
    add(3, `<boot order='${nicOrder}'/>`);
    add(2, '</interface>');
  }

  add(2, "<serial type='pty'>");
  add(3, "<target port='0'/>");
  add(2, '</serial>');
  add(2, "<console type='pty'>");
  add(3, "<target type='serial' port='0'/>");
  add(2, '</console>');
  add(2, "<channel type='unix'>");
  add(3, "<target type='virtio' name='org.qemu.guest_agent.0'/>");
  add(2, '</channel>');

  if (spec.graphics !== 'none') {
    add(2, "<input type='tablet' bus='usb'/>");
    if (spec.graphics === 'vnc') {
      add(2, "<graphics type='vnc' port='-1' autoport='yes'>");
      add(3, "<listen type='address' address='127.0.0.1'/>");
      add(2, '</graphics>');
    } else {
      add(2, "<graphics type='spice' autoport='yes'>");
      add(3, "<listen type='address' address='127.0.0.1'/>");
      add(3, "<image compression='off'/>");
      add(2, '</graphics>');
      add(2, "<channel type='spicevmc'>");
      add(3, "<target type='virtio' name='com.redhat.spice.0'/>");
      add(2, '</channel>');
    }
    const video =
      spec.graphics === 'spice' && host.videoModels.includes('qxl') && os.supports(OSINFO_DEVICES.qxl)
        ? 'qxl'
        : spec.graphics === 'vnc' && host.videoModels.includes('virtio') && os.supports(OSINFO_DEVICES.virtioGpu)
          ? 'virtio'
          : 'vga';
    add(2, '<video>');
    add(3, `<model type='${video}'/>`);
    add(2, '</video>');
  }

  if (spec.tpm) {
    add(2, `<tpm model='${host.tpmModels.includes('tpm-crb') ? 'tpm-crb' : 'tpm-tis'}'>`);
    add(3, "<backend type='emulator' version='2.0'/>");
    add(2, '</tpm>');
  }
  add(2, "<memballoon model='virtio'>");
  add(3, "<stats period='10'/>");
  add(2, '</memballoon>');
  add(2, "<rng model='virtio'>");
  add(3, "<backend model='random'>/dev/urandom</backend>");
  add(2, '</rng>');
  add(1, '</devices>');
  add(0, '</domain>');
  return `${lines.join('\n')}\n`;
}
