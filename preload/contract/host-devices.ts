/**
 * Host devices and passthrough: the host's PCI devices by IOMMU group, USB devices, mediated devices
 * (vGPU types), SR-IOV functions, which guest holds each, and whether (and why not) each can be given
 * to a guest.
 */

import type { AssertNever } from './channel-names';

/** Why a device cannot be passed through (`block`) or what to know first (`warn`). */
export interface PassthroughReason {
  severity: 'block' | 'warn';
  code:
    | 'iommu-off'
    | 'default-route'
    | 'ssh-connection'
    | 'bridge'
    | 'group-shared'
    | 'held-running'
    | 'held-defined'
    | 'mdev-parent'
    | 'sriov-pf-with-vfs';
  /** Values for the message (interfaces, guest names, group members…). */
  values: Record<string, string | number>;
}

export interface HostDeviceHolder {
  uuid: string;
  name: string;
  running: boolean;
}

export interface PciDeviceInfo {
  /** libvirt's node device name (pci_0000_03_00_0). */
  name: string;
  /** 0000:03:00.0 */
  address: string;
  /** 0x020000 */
  classCode: string;
  className: string | null;
  vendorId: string;
  vendorName: string | null;
  productId: string;
  productName: string | null;
  driver: string | null;
  iommuGroup: number | null;
  /** The other devices of its IOMMU group (addresses). */
  groupPeers: string[];
  /** Nothing else in the group but PCI bridges (which may stay with the host). */
  groupIsolated: boolean | null;
  /** Network interfaces on it. */
  netInterfaces: string[];
  isBridge: boolean;
  sriov: {
    maxVfs: number;
    numVfs: number;
    vfs: string[];
    /** Whether the VF count can be changed here, and why not. */
    canSetCount: boolean;
    whyNotSetCount: string | null;
  } | null;
  /** For a virtual function: its physical function's address. */
  physicalFunction: string | null;
  mdevTypes: MdevTypeInfo[];
  heldBy: HostDeviceHolder[];
  passthrough: { possible: boolean; reasons: PassthroughReason[] };
}

export interface UsbDeviceInfo {
  name: string;
  bus: number;
  device: number;
  vendorId: string;
  vendorName: string | null;
  productId: string;
  productName: string | null;
  driver: string | null;
  heldBy: HostDeviceHolder[];
  passthrough: { possible: boolean; reasons: PassthroughReason[] };
}

export interface MdevTypeInfo {
  id: string;
  name: string | null;
  deviceApi: string | null;
  availableInstances: number;
}

export interface MdevInfo {
  /** libvirt's node device name (mdev_<uuid>_…). */
  name: string;
  uuid: string;
  type: string;
  /** The parent's node device name. */
  parent: string;
  active: boolean;
  heldBy: HostDeviceHolder[];
  passthrough: { possible: boolean; reasons: PassthroughReason[] };
}

export interface IommuStatus {
  enabled: boolean;
  /** Number of groups in /sys/kernel/iommu_groups. */
  groups: number;
  /** IOMMU-related kernel command line words (intel_iommu=on, iommu=pt…). */
  cmdline: string[];
  /** /sys/class/iommu entries (dmar0, ivhd0…). */
  units: string[];
  evidence: string;
}

export interface HostDevicesReport {
  iommu: IommuStatus;
  pci: PciDeviceInfo[];
  /** Groups as /sys/kernel/iommu_groups lists them (number → addresses). */
  groups: Array<{ number: number; devices: string[]; isolatedEndpoints: boolean }>;
  usb: UsbDeviceInfo[];
  mdevs: MdevInfo[];
  /** libvirt's group of each PCI device agrees with /sys/kernel/iommu_groups; what differs when not. */
  sysfsAgreement: { agrees: boolean; differences: string[] };
  /** What the host printed. */
  evidence: string;
}

/** Which device to give to a guest. */
export type HostDeviceSelector =
  | { kind: 'pci'; name: string }
  | { kind: 'usb'; name: string }
  | { kind: 'mdev'; name: string };

export interface HostDevicesCalls {
  'hostDevices.list': { request: { hostId: string }; response: HostDevicesReport };
  /** The `<hostdev>` element for a device (what attach would send). */
  'hostDevices.hostdevXml': { request: { hostId: string; device: HostDeviceSelector }; response: { xml: string } };
  /**
   * Gives a device to a guest (managed: libvirt detaches it from its host driver). Refused with the
   * reasons when passthrough cannot work or would cut the host off.
   */
  'hostDevices.attach': {
    request: { hostId: string; uuid: string; device: HostDeviceSelector; live: boolean; config: boolean };
    response: null;
  };
  /** Takes a device back from a guest (managed: libvirt gives it back to its host driver). */
  'hostDevices.detachFromGuest': {
    request: { hostId: string; uuid: string; device: HostDeviceSelector; live: boolean; config: boolean };
    response: null;
  };
  /** Creates a mediated device of `type` on `parent` (a PCI device's node device name). */
  'hostDevices.createMdev': {
    request: { hostId: string; parent: string; type: string; uuid?: string };
    response: { name: string; xml: string };
  };
  /** The XML createMdev would send (a new UUID unless one is given: pass it on to createMdev). */
  'hostDevices.mdevXml': { request: { hostId: string; parent: string; type: string; uuid?: string }; response: { xml: string; uuid: string } };
  'hostDevices.removeMdev': { request: { hostId: string; name: string }; response: null };
  /** Sets an SR-IOV physical function's VF count (sysfs sriov_numvfs, as root). */
  'hostDevices.setVfCount': { request: { hostId: string; name: string; count: number }; response: null };
}

export const HOST_DEVICES_CALLS = [
  'hostDevices.list',
  'hostDevices.hostdevXml',
  'hostDevices.attach',
  'hostDevices.detachFromGuest',
  'hostDevices.createMdev',
  'hostDevices.mdevXml',
  'hostDevices.removeMdev',
  'hostDevices.setVfCount',
] as const satisfies readonly (keyof HostDevicesCalls)[];
export type _HostDevicesCallsListed = AssertNever<Exclude<keyof HostDevicesCalls, (typeof HOST_DEVICES_CALLS)[number]>>;
