/**
 * The host-device list and its passthrough rules, from libvirt's node devices, the host's sysfs facts
 * and the guests' XML. Pure: the same inputs always give the same report (unit-tested on recorded data).
 *
 * Rules (each with its reason, never a bare "no"):
 *  - PCI needs the IOMMU: with /sys/kernel/iommu_groups empty nothing PCI is offered, with the evidence.
 *  - Bridges stay with the host.
 *  - A device that carries the host's default route or VirtDeck's own SSH connection — itself, below
 *    it (a NIC behind a PCI bridge, a USB NIC on a controller) or in its IOMMU group (the whole group
 *    leaves the host together) — is refused, naming the interfaces.
 *  - A device a running guest holds is refused (naming it); one a defined guest holds is a warning.
 *  - A group shared with other endpoints (not PCI-to-PCI bridges) is a warning naming them: they must
 *    all leave the host (vfio's group viability), so all go to the same guest or are unbound.
 *  - A PCI device with mediated devices on it is refused while they exist.
 */
import type {
  HostDeviceHolder,
  HostDevicesReport,
  IommuStatus,
  MdevInfo,
  PassthroughReason,
  PciDeviceInfo,
  UsbDeviceInfo,
} from '../../../preload/api-contract';
import type { GuestEntry } from '../networks/guest-index';
import type { HostInterfaceFacts } from '../networks/host-interfaces';
import { isBridgeClass, isPciToPciBridge, pciClassName, type HostDeviceFacts } from './host-device-facts';
import type { NodeDeviceInfo, NodeDeviceMdev, NodeDevicePci, NodeDeviceUsb } from './node-device-xml';

const under = (path: string | null, ancestor: string | null): boolean =>
  path !== null && ancestor !== null && (path === ancestor || path.startsWith(`${ancestor}/`));

/** The interfaces carrying the default route / the SSH connection whose device sits at or below `path`. */
export function carriersBelow(path: string | null, interfaces: readonly HostInterfaceFacts[]): { defaultRoute: string[]; ssh: string[] } {
  const found = interfaces.filter((i) => under(i.sysfsDevice, path));
  return {
    defaultRoute: found.filter((i) => i.carriesDefaultRoute).map((i) => i.name).sort(),
    ssh: found.filter((i) => i.carriesSsh).map((i) => i.name).sort(),
  };
}

export function iommuStatus(facts: HostDeviceFacts): IommuStatus {
  const lines = [
    `/sys/kernel/iommu_groups: ${facts.iommu.groups.size} group(s)`,
    `/sys/class/iommu: ${facts.iommu.units.length > 0 ? facts.iommu.units.join(' ') : '(empty)'}`,
    `kernel command line: ${facts.iommu.cmdline.length > 0 ? facts.iommu.cmdline.join(' ') : '(no iommu/vfio options)'}`,
  ];
  return {
    enabled: facts.iommu.groups.size > 0,
    groups: facts.iommu.groups.size,
    cmdline: facts.iommu.cmdline,
    units: facts.iommu.units,
    evidence: lines.join('\n'),
  };
}

const holdersOf = (guests: readonly GuestEntry[], match: (dev: GuestEntry['hostdevs'][number]) => boolean): HostDeviceHolder[] =>
  guests
    .filter((guest) => guest.hostdevs.some(match))
    .map((guest) => ({ uuid: guest.uuid, name: guest.name, running: guest.running }))
    .sort((a, b) => a.name.localeCompare(b.name));

function holderReasons(heldBy: HostDeviceHolder[]): PassthroughReason[] {
  const running = heldBy.filter((h) => h.running).map((h) => h.name);
  const defined = heldBy.filter((h) => !h.running).map((h) => h.name);
  const reasons: PassthroughReason[] = [];
  if (running.length > 0) reasons.push({ severity: 'block', code: 'held-running', values: { guests: running.join(', ') } });
  if (defined.length > 0) reasons.push({ severity: 'warn', code: 'held-defined', values: { guests: defined.join(', ') } });
  return reasons;
}

function carrierReasons(carriers: { defaultRoute: string[]; ssh: string[] }, via: string | null): PassthroughReason[] {
  const reasons: PassthroughReason[] = [];
  const v: Record<string, string> = via ? { via } : {};
  if (carriers.ssh.length > 0) reasons.push({ severity: 'block', code: 'ssh-connection', values: { interfaces: carriers.ssh.join(', '), ...v } });
  if (carriers.defaultRoute.length > 0)
    reasons.push({ severity: 'block', code: 'default-route', values: { interfaces: carriers.defaultRoute.join(', '), ...v } });
  return reasons;
}

const possible = (reasons: PassthroughReason[]) => ({ possible: !reasons.some((r) => r.severity === 'block'), reasons });

export function buildHostDevicesReport(devices: readonly NodeDeviceInfo[], facts: HostDeviceFacts, guests: readonly GuestEntry[]): HostDevicesReport {
  const iommu = iommuStatus(facts);
  const interfaces = facts.net.interfaces;
  const pciNodes = devices.filter((d): d is NodeDevicePci => d.kind === 'pci');
  const mdevNodes = devices.filter((d): d is NodeDeviceMdev => d.kind === 'mdev');
  const byAddress = new Map(pciNodes.map((d) => [d.address, d]));
  const pathOf = (address: string) => facts.pci.get(address)?.sysfsPath ?? byAddress.get(address)?.path ?? null;
  const classOf = (address: string) => facts.pci.get(address)?.classCode ?? byAddress.get(address)?.classCode ?? null;

  // Groups as sysfs lists them (the kernel's truth); libvirt's groups where sysfs says nothing.
  const groupOf = new Map<string, number>();
  for (const [number, members] of facts.iommu.groups) for (const member of members) groupOf.set(member, number);
  const members = new Map<number, string[]>(facts.iommu.groups);
  if (members.size === 0) {
    for (const d of pciNodes) {
      if (d.iommuGroup === null) continue;
      groupOf.set(d.address, d.iommuGroup);
      members.set(d.iommuGroup, [...new Set([...(members.get(d.iommuGroup) ?? []), ...d.iommuGroupAddresses, d.address])].sort());
    }
  }
  const differences: string[] = [];
  for (const d of pciNodes) {
    const sysfs = facts.iommu.groups.size > 0 ? (groupOf.get(d.address) ?? null) : null;
    if (facts.iommu.groups.size > 0 && d.iommuGroup !== sysfs)
      differences.push(`${d.address}: libvirt says group ${d.iommuGroup ?? 'none'}, /sys/kernel/iommu_groups says ${sysfs ?? 'none'}`);
    if (facts.iommu.groups.size === 0 && d.iommuGroup !== null)
      differences.push(`${d.address}: libvirt says group ${d.iommuGroup}, but /sys/kernel/iommu_groups is empty`);
  }
  const sysfsOnly = [...facts.pci.keys()].filter((address) => !byAddress.has(address));
  for (const address of sysfsOnly) differences.push(`${address}: in /sys/bus/pci/devices but not among libvirt's node devices`);

  const mdevsOn = new Map<string, NodeDeviceMdev[]>();
  for (const m of mdevNodes) if (m.parent) mdevsOn.set(m.parent, [...(mdevsOn.get(m.parent) ?? []), m]);

  const pci: PciDeviceInfo[] = pciNodes
    .map((d): PciDeviceInfo => {
      const sys = facts.pci.get(d.address);
      const classCode = sys?.classCode ?? d.classCode ?? '0x000000';
      const group = groupOf.get(d.address) ?? d.iommuGroup;
      const peers = group !== null && group !== undefined ? (members.get(group) ?? []).filter((a) => a !== d.address) : [];
      const endpointPeers = peers.filter((a) => !isPciToPciBridge(classOf(a)));
      const isBridge = isBridgeClass(classCode);
      const path = pathOf(d.address);
      const heldBy = holdersOf(guests, (dev) => dev.type === 'pci' && dev.address === d.address);
      const netInterfaces = interfaces.filter((i) => under(i.sysfsDevice, path)).map((i) => i.name).sort();
      const reasons: PassthroughReason[] = [];
      if (!iommu.enabled) reasons.push({ severity: 'block', code: 'iommu-off', values: { groups: iommu.groups } });
      if (isBridge) reasons.push({ severity: 'block', code: 'bridge', values: { className: pciClassName(classCode) ?? classCode } });
      reasons.push(...carrierReasons(carriersBelow(path, interfaces), null));
      for (const peer of endpointPeers) reasons.push(...carrierReasons(carriersBelow(pathOf(peer), interfaces), peer));
      reasons.push(...holderReasons(heldBy));
      const mdevs = mdevsOn.get(d.name) ?? [];
      if (mdevs.length > 0) reasons.push({ severity: 'block', code: 'mdev-parent', values: { count: mdevs.length } });
      if (endpointPeers.length > 0 && !isBridge) reasons.push({ severity: 'warn', code: 'group-shared', values: { group: group ?? '', peers: endpointPeers.join(', ') } });
      const numVfs = sys?.numVfs ?? d.virtFunctions?.addresses.length ?? 0;
      const maxVfs = sys?.totalVfs ?? d.virtFunctions?.maxCount ?? 0;
      if (numVfs > 0) reasons.push({ severity: 'warn', code: 'sriov-pf-with-vfs', values: { count: numVfs } });
      const vfs = d.virtFunctions?.addresses ?? [];
      const vfHeldRunning = vfs.flatMap((vf) => holdersOf(guests, (dev) => dev.type === 'pci' && dev.address === vf).filter((h) => h.running).map((h) => h.name));
      const vfCarriers = vfs.flatMap((vf) => {
        const c = carriersBelow(pathOf(vf), interfaces);
        return [...c.ssh, ...c.defaultRoute];
      });
      const ownCarriers = carriersBelow(path, interfaces);
      const whyNot =
        maxVfs <= 0
          ? 'The device or its driver offers no SR-IOV virtual functions'
          : vfHeldRunning.length > 0
            ? `Running guests use its virtual functions: ${[...new Set(vfHeldRunning)].join(', ')}`
            : vfCarriers.length > 0 || ownCarriers.ssh.length > 0 || ownCarriers.defaultRoute.length > 0
              ? `Changing the count resets functions that carry the host's connection (${[...new Set([...vfCarriers, ...ownCarriers.ssh, ...ownCarriers.defaultRoute])].join(', ')})`
              : null;
      return {
        name: d.name,
        address: d.address,
        classCode,
        className: pciClassName(classCode),
        vendorId: d.vendorId,
        vendorName: d.vendorName ?? facts.names.pciVendors.get(d.vendorId) ?? null,
        productId: d.productId,
        productName: d.productName ?? facts.names.pciDevices.get(`${d.vendorId}:${d.productId}`) ?? null,
        driver: d.driver ?? sys?.driver ?? null,
        iommuGroup: group ?? null,
        groupPeers: peers,
        groupIsolated: group === null || group === undefined ? null : endpointPeers.length === 0,
        netInterfaces,
        isBridge,
        sriov:
          maxVfs > 0 || d.virtFunctions
            ? { maxVfs, numVfs, vfs, canSetCount: whyNot === null, whyNotSetCount: whyNot }
            : null,
        physicalFunction: d.physFunction ?? sys?.physfn ?? null,
        mdevTypes: d.mdevTypes,
        heldBy,
        passthrough: possible(reasons),
      };
    })
    .sort((a, b) => (a.iommuGroup ?? Infinity) - (b.iommuGroup ?? Infinity) || a.address.localeCompare(b.address));

  const usb: UsbDeviceInfo[] = devices
    .filter((d): d is NodeDeviceUsb => d.kind === 'usb')
    .map((d): UsbDeviceInfo => {
      const heldBy = holdersOf(
        guests,
        (dev) => dev.type === 'usb' && dev.vendor === d.vendorId && dev.product === d.productId && (dev.bus === null || (dev.bus === d.bus && dev.device === d.device)),
      );
      const reasons: PassthroughReason[] = [];
      // A root hub (vendor 1d6b, Linux Foundation) is the controller's own, not a device.
      if (d.vendorId === '1d6b') reasons.push({ severity: 'block', code: 'bridge', values: { className: 'USB root hub' } });
      reasons.push(...carrierReasons(carriersBelow(d.path, interfaces), null), ...holderReasons(heldBy));
      return {
        name: d.name,
        bus: d.bus,
        device: d.device,
        vendorId: d.vendorId,
        vendorName: d.vendorName ?? facts.names.usbVendors.get(d.vendorId) ?? null,
        productId: d.productId,
        productName: d.productName ?? facts.names.usbDevices.get(`${d.vendorId}:${d.productId}`) ?? null,
        driver: d.driver,
        heldBy,
        passthrough: possible(reasons),
      };
    })
    .sort((a, b) => a.bus - b.bus || a.device - b.device);

  const mdevs: MdevInfo[] = mdevNodes
    .map((m): MdevInfo => {
      const heldBy = holdersOf(guests, (dev) => dev.type === 'mdev' && dev.uuid === m.uuid);
      return {
        name: m.name,
        uuid: m.uuid,
        type: m.type,
        parent: m.parent ?? '',
        active: true,
        heldBy,
        passthrough: possible(holderReasons(heldBy)),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));

  const groups = [...members.entries()]
    .map(([number, list]) => ({
      number,
      devices: list,
      isolatedEndpoints: list.filter((a) => !isPciToPciBridge(classOf(a))).length <= 1,
    }))
    .sort((a, b) => a.number - b.number);

  return {
    iommu,
    pci,
    groups,
    usb,
    mdevs,
    sysfsAgreement: { agrees: differences.length === 0, differences },
    evidence: facts.evidence,
  };
}
