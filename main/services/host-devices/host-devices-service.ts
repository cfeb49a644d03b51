/**
 * Host devices of one host: the list with its passthrough rules, the `<hostdev>` for a device, giving a
 * device to a guest and taking it back (managed: libvirt moves it between the host driver and vfio),
 * mediated devices (create/remove through libvirt, which uses mdevctl) and SR-IOV VF counts (sysfs, as
 * root).
 */
import { randomUUID } from 'node:crypto';
import type { HostDeviceSelector, HostDevicesReport, MdevInfo, PciDeviceInfo, UsbDeviceInfo } from '../../../preload/api-contract';
import type { LibvirtClient } from '../../libvirt/client';
import { virConnectListAllNodeDeviceFlags as NodeFlags, virDomainDeviceModifyFlags as Modify } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { guestIndexFor } from '../networks/guest-index';
import type { HostShell } from '../networks/host-shell';
import { hostDevicesScript, parseHostDeviceFacts } from './host-device-facts';
import { buildHostDevicesReport } from './host-devices-report';
import { buildHostdevXml, buildMdevXml, type HostdevSource } from './hostdev-xml';
import { parseNodeDevice, type NodeDeviceInfo } from './node-device-xml';

const LIST_FLAGS =
  NodeFlags.VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV | NodeFlags.VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV | NodeFlags.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV;

/** libvirt's PCI, USB and mediated node devices, parsed. */
export async function readNodeDevices(libvirt: LibvirtClient): Promise<NodeDeviceInfo[]> {
  const names = await libvirt.nodeDevice.list(LIST_FLAGS);
  const parsed = await Promise.all(
    names.map(async (name) => {
      try {
        return parseNodeDevice(await libvirt.nodeDevice.getXml(name));
      } catch {
        return null; // gone meanwhile (an unplugged USB stick)
      }
    }),
  );
  return parsed.filter((d): d is NodeDeviceInfo => d !== null);
}

export async function listHostDevices(libvirt: LibvirtClient, shell: HostShell): Promise<HostDevicesReport> {
  const [devices, output, guests] = await Promise.all([
    readNodeDevices(libvirt),
    shell.run(hostDevicesScript()),
    guestIndexFor(libvirt).guests(),
  ]);
  return buildHostDevicesReport(devices, parseHostDeviceFacts(output), guests);
}

type Found = { kind: 'pci'; device: PciDeviceInfo } | { kind: 'usb'; device: UsbDeviceInfo } | { kind: 'mdev'; device: MdevInfo };

export function findDevice(report: HostDevicesReport, selector: HostDeviceSelector): Found {
  const found =
    selector.kind === 'pci'
      ? report.pci.find((d) => d.name === selector.name)
      : selector.kind === 'usb'
        ? report.usb.find((d) => d.name === selector.name)
        : report.mdevs.find((d) => d.name === selector.name);
  if (!found) throw new ApiFailure('not-found', `The host has no ${selector.kind.toUpperCase()} device ${selector.name}`);
  return { kind: selector.kind, device: found } as Found;
}

/** The `<hostdev>` for a listed device. */
export function hostdevSourceOf(found: Found, report: HostDevicesReport): HostdevSource {
  switch (found.kind) {
    case 'pci':
      return { type: 'pci', address: found.device.address };
    case 'usb':
      return { type: 'usb', vendorId: found.device.vendorId, productId: found.device.productId, bus: found.device.bus, device: found.device.device };
    case 'mdev': {
      const parent = report.pci.find((p) => p.name === found.device.parent);
      const api = parent?.mdevTypes.find((t) => t.id === found.device.type)?.deviceApi;
      const model = api === 'vfio-ccw' || api === 'vfio-ap' ? api : 'vfio-pci';
      return { type: 'mdev', uuid: found.device.uuid, model };
    }
  }
}

export async function hostdevXmlFor(libvirt: LibvirtClient, shell: HostShell, selector: HostDeviceSelector): Promise<{ xml: string }> {
  const report = await listHostDevices(libvirt, shell);
  return { xml: buildHostdevXml(hostdevSourceOf(findDevice(report, selector), report)) };
}

/** The reasons a device is refused, as one sentence for an error. */
function refusal(found: Found): string {
  const blocks = found.device.passthrough.reasons.filter((r) => r.severity === 'block');
  const words: Record<string, (v: Record<string, string | number>) => string> = {
    'iommu-off': () => 'the host has no IOMMU turned on (/sys/kernel/iommu_groups is empty)',
    bridge: (v) => `it is a ${v.className} that stays with the host`,
    'ssh-connection': (v) => `${v.via ? `${v.via} in its IOMMU group` : 'it'} carries VirtDeck's own SSH connection (${v.interfaces})`,
    'default-route': (v) => `${v.via ? `${v.via} in its IOMMU group` : 'it'} carries the host's default route (${v.interfaces})`,
    'held-running': (v) => `the running guest(s) ${v.guests} hold it`,
    'mdev-parent': (v) => `${v.count} mediated device(s) exist on it`,
  };
  return blocks.map((r) => words[r.code]?.(r.values) ?? r.code).join('; ');
}

function modifyFlags(live: boolean, config: boolean): number {
  if (!live && !config) throw new ApiFailure('invalid-request', 'Say whether the change applies now (live), at the next boot (config) or both', { field: 'live' });
  return (live ? Modify.VIR_DOMAIN_DEVICE_MODIFY_LIVE : 0) | (config ? Modify.VIR_DOMAIN_DEVICE_MODIFY_CONFIG : 0);
}

/** Gives a device to a guest, refused with the reasons when passthrough cannot work or would cut the host off. */
export async function attachHostDevice(
  libvirt: LibvirtClient,
  shell: HostShell,
  request: { uuid: string; device: HostDeviceSelector; live: boolean; config: boolean },
): Promise<void> {
  const flags = modifyFlags(request.live, request.config);
  const report = await listHostDevices(libvirt, shell);
  const found = findDevice(report, request.device);
  if (!found.device.passthrough.possible) throw new ApiFailure('conflict', `${request.device.name} cannot be given to a guest: ${refusal(found)}`);
  await libvirt.domain.attachDevice({ uuid: request.uuid }, buildHostdevXml(hostdevSourceOf(found, report)), flags);
  await guestIndexFor(libvirt).refresh(request.uuid);
}

/** Takes a device back from a guest (libvirt returns a managed device to its host driver). */
export async function detachHostDevice(
  libvirt: LibvirtClient,
  shell: HostShell,
  request: { uuid: string; device: HostDeviceSelector; live: boolean; config: boolean },
): Promise<void> {
  const flags = modifyFlags(request.live, request.config);
  const report = await listHostDevices(libvirt, shell);
  const found = findDevice(report, request.device);
  if (!found.device.heldBy.some((holder) => holder.uuid === request.uuid))
    throw new ApiFailure('conflict', `${request.device.name} is not given to that guest`);
  await libvirt.domain.detachDevice({ uuid: request.uuid }, buildHostdevXml(hostdevSourceOf(found, report)), flags);
  await guestIndexFor(libvirt).refresh(request.uuid);
}

export function mdevXml(parent: string, type: string, uuid?: string): { xml: string; uuid: string } {
  const id = uuid ?? randomUUID();
  return { xml: buildMdevXml(parent, type, id), uuid: id };
}

/** Creates a mediated device (libvirt hands it to mdevctl); the type must be one the parent offers, with room. */
export async function createMdev(
  libvirt: LibvirtClient,
  shell: HostShell,
  request: { parent: string; type: string; uuid?: string },
): Promise<{ name: string; xml: string }> {
  const report = await listHostDevices(libvirt, shell);
  const parent = report.pci.find((d) => d.name === request.parent);
  if (!parent) throw new ApiFailure('not-found', `The host has no PCI device ${request.parent}`);
  const type = parent.mdevTypes.find((t) => t.id === request.type);
  if (!type) throw new ApiFailure('invalid-request', `${request.parent} offers no mediated device type ${request.type}`, { field: 'type' });
  if (type.availableInstances < 1) throw new ApiFailure('conflict', `${request.parent} has no room for another ${type.name ?? type.id}`);
  const { xml } = mdevXml(request.parent, request.type, request.uuid);
  const name = await libvirt.nodeDevice.createXml(xml);
  return { name, xml };
}

export async function removeMdev(libvirt: LibvirtClient, shell: HostShell, name: string): Promise<void> {
  const report = await listHostDevices(libvirt, shell);
  const mdev = report.mdevs.find((m) => m.name === name);
  if (!mdev) throw new ApiFailure('not-found', `The host has no mediated device ${name}`);
  const running = mdev.heldBy.filter((h) => h.running).map((h) => h.name);
  if (running.length > 0) throw new ApiFailure('conflict', `Running guests use ${name}: ${running.join(', ')}`);
  await libvirt.nodeDevice.destroy(name);
}

/** Runs a script as root (RootShell: directly as root, or through sudo). */
export type RunAsRoot = (script: string, args: readonly string[]) => Promise<{ code: number | null; stderr: string }>;

/** The script that sets a VF count: the kernel wants 0 before a new non-zero count. */
export const SET_VF_COUNT_SCRIPT =
  'f="/sys/bus/pci/devices/$1/sriov_numvfs"; [ -w "$f" ] || { echo "$f is not writable" >&2; exit 2; }; old=$(cat "$f"); ' +
  'if [ "$old" != "0" ]; then echo 0 > "$f" || exit 3; fi; ' +
  // A count the driver refuses: the old VFs come back, so a failure leaves the device as it was.
  'if [ "$2" != "0" ]; then if ! echo "$2" > "$f"; then if [ "$old" != "0" ]; then echo "$old" > "$f"; fi; exit 4; fi; fi';

export async function setVfCount(libvirt: LibvirtClient, shell: HostShell, runAsRoot: RunAsRoot, name: string, count: number): Promise<void> {
  const report = await listHostDevices(libvirt, shell);
  const pf = report.pci.find((d) => d.name === name);
  if (!pf) throw new ApiFailure('not-found', `The host has no PCI device ${name}`);
  if (!pf.sriov) throw new ApiFailure('invalid-request', `${pf.address} is not an SR-IOV physical function`, { field: 'name' });
  if (!pf.sriov.canSetCount) throw new ApiFailure('conflict', pf.sriov.whyNotSetCount ?? 'The VF count cannot be changed');
  if (!Number.isInteger(count) || count < 0 || count > pf.sriov.maxVfs)
    throw new ApiFailure('invalid-request', `The VF count must be between 0 and ${pf.sriov.maxVfs}`, { field: 'count' });
  const result = await runAsRoot(SET_VF_COUNT_SCRIPT, [pf.address, String(count)]);
  if (result.code !== 0) throw new ApiFailure('io', `The kernel refused the VF count ${count} for ${pf.address}: ${result.stderr.trim() || `exit ${result.code}`}`);
}
