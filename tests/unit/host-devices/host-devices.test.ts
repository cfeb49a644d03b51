import { describe, expect, it } from 'vitest';
import { parseHostDeviceFacts, pciClassName } from '../../../main/services/host-devices/host-device-facts';
import { buildHostDevicesReport } from '../../../main/services/host-devices/host-devices-report';
import { buildHostdevXml, buildMdevXml } from '../../../main/services/host-devices/hostdev-xml';
import { parseNodeDevice, type NodeDeviceInfo } from '../../../main/services/host-devices/node-device-xml';
import type { GuestEntry } from '../../../main/services/networks/guest-index';
import { deviceFixture, deviceFixtureDir } from '../networks/helpers';

const nodes = (dir: string) => deviceFixtureDir(dir).map(parseNodeDevice).filter((d): d is NodeDeviceInfo => d !== null);
const codes = (reasons: Array<{ code: string; severity: string }>) => reasons.map((r) => `${r.severity}:${r.code}`);

describe('the lab (recorded: Firecracker microVM, no IOMMU)', () => {
  const labNodes = nodes('lab-nodedev');

  it('lists every PCI device, says IOMMU is off with the evidence, offers no PCI passthrough', () => {
    const report = buildHostDevicesReport(labNodes, parseHostDeviceFacts(deviceFixture('lab-facts-ssh-on-loopback.txt')), []);
    expect(report.iommu).toMatchObject({ enabled: false, groups: 0, units: [], cmdline: [] });
    expect(report.iommu.evidence).toContain('/sys/kernel/iommu_groups: 0 group(s)');
    expect(report.pci.map((p) => p.address)).toEqual(['0000:00:00.0', '0000:00:01.0', '0000:00:02.0', '0000:00:03.0', '0000:00:04.0', '0000:00:05.0']);
    expect(report.pci.every((p) => !p.passthrough.possible && p.passthrough.reasons.some((r) => r.code === 'iommu-off'))).toBe(true);
    // Names from the host's pci.ids (libvirt has none without udev's hwdb), classes from the class code.
    expect(report.pci.find((p) => p.address === '0000:00:03.0')).toMatchObject({
      vendorName: 'Red Hat, Inc.',
      productName: 'Virtio 1.0 network device',
      className: 'Ethernet controller',
      driver: 'virtio-pci',
      netInterfaces: ['eth0'],
      iommuGroup: null,
      groupIsolated: null,
    });
    expect(report.sysfsAgreement).toEqual({ agrees: true, differences: [] });
    expect(report.groups).toEqual([]);
  });

  it('the NIC with the default route is refused with that reason; over loopback SSH nothing carries the SSH connection', () => {
    const report = buildHostDevicesReport(labNodes, parseHostDeviceFacts(deviceFixture('lab-facts-ssh-on-loopback.txt')), []);
    expect(codes(report.pci.find((p) => p.address === '0000:00:03.0')!.passthrough.reasons)).toEqual(['block:iommu-off', 'block:default-route']);
    expect(report.pci.find((p) => p.address === '0000:00:03.0')!.passthrough.reasons[1]?.values).toEqual({ interfaces: 'eth0' });
  });

  it('"carries the SSH connection": with SSH arriving on eth0 the NIC is refused for that reason too', () => {
    const report = buildHostDevicesReport(labNodes, parseHostDeviceFacts(deviceFixture('lab-facts-ssh-on-eth0.txt')), []);
    const nic = report.pci.find((p) => p.address === '0000:00:03.0')!;
    expect(codes(nic.passthrough.reasons)).toEqual(['block:iommu-off', 'block:ssh-connection', 'block:default-route']);
    expect(nic.passthrough.reasons.find((r) => r.code === 'ssh-connection')?.values).toEqual({ interfaces: 'eth0' });
    expect(report.pci.filter((p) => p.passthrough.reasons.some((r) => r.code === 'ssh-connection')).map((p) => p.address)).toEqual(['0000:00:03.0']);
  });
});

describe('a q35 machine with an IOMMU (recorded sysfs, libvirt-format devices)', () => {
  const q35 = nodes('q35-nodedev');
  const facts = parseHostDeviceFacts(deviceFixture('q35-iommu-2vfs-facts.txt'));
  const guests: GuestEntry[] = [
    { uuid: 'a0000000-0000-4000-8000-000000000001', name: 'gpu-box', running: true, nics: [], hostdevs: [{ type: 'pci', address: '0000:02:00.1', managed: true }] },
    { uuid: 'a0000000-0000-4000-8000-000000000002', name: 'spare', running: false, nics: [], hostdevs: [{ type: 'pci', address: '0000:01:00.0', managed: true }, { type: 'usb', vendor: '0627', product: '0001', bus: 3, device: 2 }] },
  ];
  const report = buildHostDevicesReport(q35, facts, guests);
  const pci = (address: string) => report.pci.find((p) => p.address === address)!;

  it('IOMMU on (dmar0, intel_iommu=on); groups as /sys/kernel/iommu_groups lists them, and libvirt agrees', () => {
    expect(report.iommu).toMatchObject({ enabled: true, groups: 12, units: ['dmar0'], cmdline: ['intel_iommu=on'] });
    expect(report.groups.map((g) => [g.number, g.devices.join(' ')])).toEqual([
      [0, '0000:00:00.0'],
      [1, '0000:00:01.0'],
      [2, '0000:00:02.0'],
      [3, '0000:00:02.1'],
      [4, '0000:00:02.2'],
      [5, '0000:00:1b.0'],
      [6, '0000:00:1f.0 0000:00:1f.2 0000:00:1f.3'],
      [7, '0000:01:00.0'],
      [8, '0000:02:00.0'],
      [9, '0000:03:00.0 0000:03:00.1'],
      [10, '0000:02:00.1'],
      [11, '0000:02:00.2'],
    ]);
    expect(report.sysfsAgreement.agrees).toBe(true);
    // PCI devices sort by IOMMU group.
    expect(report.pci.map((p) => p.iommuGroup)).toEqual([0, 1, 2, 3, 4, 5, 6, 6, 6, 7, 8, 9, 9, 10, 11]);
  });

  it('an isolated NIC can be passed through; one a defined guest holds is a warning', () => {
    expect(pci('0000:01:00.0')).toMatchObject({ groupIsolated: true, className: 'Ethernet controller', heldBy: [{ name: 'spare', running: false }] });
    expect(pci('0000:01:00.0').passthrough).toEqual({ possible: true, reasons: [{ severity: 'warn', code: 'held-defined', values: { guests: 'spare' } }] });
  });

  it('a group shared by two endpoints: not isolated, a warning naming the other', () => {
    expect(pci('0000:03:00.0')).toMatchObject({ groupIsolated: false, groupPeers: ['0000:03:00.1'] });
    expect(pci('0000:03:00.0').passthrough).toEqual({ possible: true, reasons: [{ severity: 'warn', code: 'group-shared', values: { group: 9, peers: '0000:03:00.1' } }] });
  });

  it('bridges stay with the host; SR-IOV: the PF with its VFs, a VF held by a running guest is refused', () => {
    expect(codes(pci('0000:00:02.0').passthrough.reasons)).toEqual(['block:bridge']);
    expect(codes(pci('0000:00:1f.0').passthrough.reasons)).toEqual(['block:bridge']);
    expect(pci('0000:02:00.0').sriov).toEqual({
      maxVfs: 2,
      numVfs: 2,
      vfs: ['0000:02:00.1', '0000:02:00.2'],
      canSetCount: false,
      whyNotSetCount: 'Running guests use its virtual functions: gpu-box',
    });
    expect(codes(pci('0000:02:00.0').passthrough.reasons)).toEqual(['warn:sriov-pf-with-vfs']);
    expect(pci('0000:02:00.1')).toMatchObject({ physicalFunction: '0000:02:00.0', groupIsolated: true, heldBy: [{ name: 'gpu-box', running: true }] });
    expect(pci('0000:02:00.1').passthrough).toEqual({ possible: false, reasons: [{ severity: 'block', code: 'held-running', values: { guests: 'gpu-box' } }] });
    const free = buildHostDevicesReport(q35, facts, []);
    expect(free.pci.find((p) => p.address === '0000:02:00.0')?.sriov).toMatchObject({ canSetCount: true, whyNotSetCount: null });
  });

  it('with no VFs yet (the first recording) the PF offers them, and libvirt disagreeing with sysfs is reported', () => {
    const before = parseHostDeviceFacts(deviceFixture('q35-iommu-facts.txt'));
    const report0 = buildHostDevicesReport(q35, before, []);
    expect(report0.pci.find((p) => p.address === '0000:02:00.0')?.sriov).toMatchObject({ maxVfs: 2, numVfs: 0, canSetCount: true });
    expect(report0.sysfsAgreement.agrees).toBe(false);
    expect(report0.sysfsAgreement.differences).toContain('0000:02:00.1: libvirt says group 10, /sys/kernel/iommu_groups says none');
  });

  it('USB devices need no IOMMU', () => {
    expect(report.usb).toEqual([
      {
        name: 'usb_3_1',
        bus: 3,
        device: 2,
        vendorId: '0627',
        vendorName: null,
        productId: '0001',
        productName: null,
        driver: 'usb',
        heldBy: [{ uuid: 'a0000000-0000-4000-8000-000000000002', name: 'spare', running: false }],
        passthrough: { possible: true, reasons: [{ severity: 'warn', code: 'held-defined', values: { guests: 'spare' } }] },
      },
    ]);
  });
});

describe('mediated devices (written: a GVT-g iGPU)', () => {
  const gvt = nodes('written-gvt');
  // No sysfs recording for this one (no such hardware here): the facts are empty, libvirt's groups count.
  const report = buildHostDevicesReport(gvt, parseHostDeviceFacts(''), []);
  it('types with free instances; the mdev on it; the parent is refused while it has mdevs', () => {
    const gpu = report.pci.find((p) => p.name === 'pci_0000_00_02_0')!;
    expect(gpu.mdevTypes).toEqual([
      { id: 'i915-GVTg_V5_4', name: 'GVTg_V5_4', deviceApi: 'vfio-pci', availableInstances: 1 },
      { id: 'i915-GVTg_V5_8', name: 'GVTg_V5_8', deviceApi: 'vfio-pci', availableInstances: 0 },
    ]);
    expect(gpu).toMatchObject({ vendorName: 'Intel Corporation', productName: 'CoffeeLake-S GT2 [UHD Graphics 630]', className: 'VGA compatible controller' });
    expect(codes(gpu.passthrough.reasons)).toContain('block:mdev-parent');
    expect(report.mdevs).toEqual([
      {
        name: 'mdev_4b20d080_1b54_4048_85b3_a6a62d165c01_0000_00_02_0',
        uuid: '4b20d080-1b54-4048-85b3-a6a62d165c01',
        type: 'i915-GVTg_V5_4',
        parent: 'pci_0000_00_02_0',
        active: true,
        heldBy: [],
        passthrough: { possible: true, reasons: [] },
      },
    ]);
  });
});

describe('hostdev and mdev XML', () => {
  it('PCI (managed), USB (ids + address), mdev', () => {
    expect(buildHostdevXml({ type: 'pci', address: '0000:03:00.1' })).toBe(
      "<hostdev mode='subsystem' type='pci' managed='yes'>\n  <source>\n    <address domain='0x0000' bus='0x03' slot='0x00' function='0x1'/>\n  </source>\n</hostdev>\n",
    );
    expect(buildHostdevXml({ type: 'usb', vendorId: '0627', productId: '0x0001', bus: 3, device: 2 })).toContain(
      "<vendor id='0x0627'/>\n    <product id='0x0001'/>\n    <address bus='3' device='2'/>",
    );
    expect(buildHostdevXml({ type: 'mdev', uuid: '4B20D080-1B54-4048-85B3-A6A62D165C01', model: 'vfio-pci' })).toContain("<address uuid='4b20d080-1b54-4048-85b3-a6a62d165c01'/>");
    expect(() => buildHostdevXml({ type: 'pci', address: '03:00.1' })).toThrow(/not a PCI address/);
    expect(buildMdevXml('pci_0000_00_02_0', 'i915-GVTg_V5_4', '4b20d080-1b54-4048-85b3-a6a62d165c01')).toBe(
      "<device>\n  <parent>pci_0000_00_02_0</parent>\n  <capability type='mdev'>\n    <type id='i915-GVTg_V5_4'/>\n    <uuid>4b20d080-1b54-4048-85b3-a6a62d165c01</uuid>\n  </capability>\n</device>\n",
    );
  });

  it('PCI class names', () => {
    expect(pciClassName('0x020000')).toBe('Ethernet controller');
    expect(pciClassName('0x010802')).toBe('Non-Volatile memory controller');
    expect(pciClassName('0x0c0330')).toBe('USB controller');
    expect(pciClassName('0xffff00')).toBe('Unassigned class');
  });
});
