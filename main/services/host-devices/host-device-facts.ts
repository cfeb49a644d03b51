/**
 * What the host's sysfs says about its devices, read by one script over the existing SSH connection
 * (with the network sections, for the "carries the host's connection" rules): IOMMU groups as
 * /sys/kernel/iommu_groups lists them, IOMMU units and kernel command line, each PCI device's class,
 * ids, driver, group, SR-IOV counts and sysfs path, names from the host's pci.ids/usb.ids when it has
 * them, and the account's uid. Nothing is changed.
 */
import { HOST_INTERFACE_SECTIONS, framedScript, parseHostInterfaces, splitSections, type HostInterfaceAnalysis } from '../networks/host-interfaces';

const ID_FILES = {
  pci: '/usr/share/misc/pci.ids /usr/share/hwdata/pci.ids /usr/share/pci.ids',
  usb: '/usr/share/misc/usb.ids /usr/share/hwdata/usb.ids /var/lib/usbutils/usb.ids /usr/share/usb.ids',
};

/** Vendor and device names for the ids present, from an ids file (awk; 4-hex vendor lines, tab-indented devices). */
const namesCommand = (kind: 'pci' | 'usb', ids: string) =>
  `f=; for c in ${ID_FILES[kind]}; do if [ -r "$c" ]; then f=$c; break; fi; done; ` +
  `if [ -n "$f" ]; then echo "file $f"; { ${ids}; } | sort -u | awk -v K=${kind} 'NR==FNR { w[$1] = 1; w[$1 " " $2] = 1; next } ` +
  `/^C / { exit } /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]  / { v = $1; if (w[v]) print K, "vendor", v, substr($0, 7); next } ` +
  `/^\\t[0-9a-f][0-9a-f][0-9a-f][0-9a-f]  / { if (w[v " " $1]) print K, "device", v, $1, substr($0, 8) }' - "$f"; fi`;

export const HOST_DEVICE_SECTIONS: Array<[string, string]> = [
  [
    'iommu',
    'for g in /sys/kernel/iommu_groups/*; do [ -d "$g/devices" ] || continue; printf "group %s" "${g##*/}"; ' +
      'for d in "$g"/devices/*; do [ -e "$d" ] && printf " %s" "${d##*/}"; done; echo; done; ' +
      'for u in /sys/class/iommu/*; do [ -e "$u" ] && echo "unit ${u##*/}"; done; ' +
      'for w in $(cat /proc/cmdline); do case "$w" in *iommu*|*vfio*) echo "cmdline $w";; esac; done',
  ],
  [
    'pci',
    'for d in /sys/bus/pci/devices/*; do [ -e "$d" ] || continue; dr=; [ -e "$d/driver" ] && dr=$(readlink "$d/driver") && dr=${dr##*/}; ' +
      'g=; [ -e "$d/iommu_group" ] && g=$(readlink "$d/iommu_group") && g=${g##*/}; ' +
      'pf=; [ -e "$d/physfn" ] && pf=$(readlink "$d/physfn") && pf=${pf##*/}; ' +
      'printf "%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n" "${d##*/}" "$(cat "$d/class")" "$(cat "$d/vendor")" "$(cat "$d/device")" "$dr" ' +
      '"$(cat "$d/sriov_totalvfs" 2>/dev/null)" "$(cat "$d/sriov_numvfs" 2>/dev/null)" "$pf" "$g" "$(readlink -f "$d")"; done',
  ],
  ['pci-names', namesCommand('pci', 'for d in /sys/bus/pci/devices/*; do [ -e "$d" ] && echo "$(cat "$d/vendor") $(cat "$d/device")" | sed "s/0x//g"; done')],
  [
    'usb-names',
    namesCommand('usb', 'for d in /sys/bus/usb/devices/*; do [ -r "$d/idVendor" ] && echo "$(cat "$d/idVendor") $(cat "$d/idProduct")"; done'),
  ],
  ['uid', 'id -u'],
];

export function hostDevicesScript(): string {
  return framedScript([...HOST_INTERFACE_SECTIONS, ...HOST_DEVICE_SECTIONS]);
}

export interface SysfsPci {
  address: string;
  classCode: string;
  vendorId: string;
  productId: string;
  driver: string | null;
  totalVfs: number | null;
  numVfs: number | null;
  physfn: string | null;
  group: number | null;
  sysfsPath: string | null;
}

export interface HostDeviceFacts {
  net: HostInterfaceAnalysis;
  iommu: { groups: Map<number, string[]>; units: string[]; cmdline: string[] };
  pci: Map<string, SysfsPci>;
  names: {
    pciVendors: Map<string, string>;
    pciDevices: Map<string, string>;
    usbVendors: Map<string, string>;
    usbDevices: Map<string, string>;
    files: string[];
  };
  uid: number | null;
  evidence: string;
}

const strip0x = (value: string | undefined) => (value ?? '').trim().replace(/^0x/i, '').toLowerCase();

export function parseHostDeviceFacts(output: string): HostDeviceFacts {
  const sections = splitSections(output);
  const groups = new Map<number, string[]>();
  const units: string[] = [];
  const cmdline: string[] = [];
  for (const line of (sections.get('iommu') ?? '').split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === 'group' && words[1] && /^\d+$/.test(words[1])) groups.set(Number(words[1]), words.slice(2).filter(Boolean).sort());
    else if (words[0] === 'unit' && words[1]) units.push(words[1]);
    else if (words[0] === 'cmdline' && words[1]) cmdline.push(words[1]);
  }
  const pci = new Map<string, SysfsPci>();
  for (const line of (sections.get('pci') ?? '').split('\n')) {
    const [address, cls, vendor, device, driver, total, num, physfn, group, path] = line.split('\t');
    if (!address || !/^[0-9a-f]{4}:/.test(address)) continue;
    const n = (value: string | undefined) => (value && /^\d+$/.test(value.trim()) ? Number(value.trim()) : null);
    pci.set(address, {
      address,
      classCode: `0x${strip0x(cls).padStart(6, '0')}`,
      vendorId: strip0x(vendor),
      productId: strip0x(device),
      driver: driver || null,
      totalVfs: n(total),
      numVfs: n(num),
      physfn: physfn || null,
      group: n(group),
      sysfsPath: path || null,
    });
  }
  const names = { pciVendors: new Map<string, string>(), pciDevices: new Map<string, string>(), usbVendors: new Map<string, string>(), usbDevices: new Map<string, string>(), files: [] as string[] };
  for (const id of ['pci-names', 'usb-names']) {
    for (const line of (sections.get(id) ?? '').split('\n')) {
      if (line.startsWith('file ')) {
        names.files.push(line.slice(5).trim());
        continue;
      }
      const match = /^(pci|usb) (vendor|device) ([0-9a-f]{4})(?: ([0-9a-f]{4}))? (.*)$/.exec(line);
      if (!match) continue;
      const [, kind, what, vendor, device, name] = match;
      const key = what === 'vendor' ? vendor! : `${vendor}:${device}`;
      const map = kind === 'pci' ? (what === 'vendor' ? names.pciVendors : names.pciDevices) : what === 'vendor' ? names.usbVendors : names.usbDevices;
      map.set(key, (name ?? '').trim());
    }
  }
  const uidText = (sections.get('uid') ?? '').trim();
  const evidence = ['iommu', 'pci']
    .map((id) => `# ${id}\n${(sections.get(id) ?? '').trim()}`)
    .join('\n');
  return {
    net: parseHostInterfaces(output),
    iommu: { groups, units, cmdline },
    pci,
    names,
    uid: /^\d+$/.test(uidText) ? Number(uidText) : null,
    evidence,
  };
}

/** PCI base classes and the common subclasses (PCI Code and ID Assignment Specification). */
const CLASS_NAMES: Record<string, string> = {
  '00': 'Unclassified device',
  '01': 'Mass storage controller',
  '0101': 'IDE interface',
  '0104': 'RAID bus controller',
  '0106': 'SATA controller',
  '0107': 'Serial Attached SCSI controller',
  '0108': 'Non-Volatile memory controller',
  '02': 'Network controller',
  '0200': 'Ethernet controller',
  '0207': 'Infiniband controller',
  '0280': 'Network controller',
  '03': 'Display controller',
  '0300': 'VGA compatible controller',
  '0302': '3D controller',
  '04': 'Multimedia controller',
  '0401': 'Multimedia audio controller',
  '0403': 'Audio device',
  '05': 'Memory controller',
  '06': 'Bridge',
  '0600': 'Host bridge',
  '0601': 'ISA bridge',
  '0604': 'PCI bridge',
  '0680': 'Bridge',
  '07': 'Communication controller',
  '08': 'Generic system peripheral',
  '0806': 'IOMMU',
  '09': 'Input device controller',
  '0a': 'Docking station',
  '0b': 'Processor',
  '0c': 'Serial bus controller',
  '0c03': 'USB controller',
  '0c05': 'SMBus',
  '0d': 'Wireless controller',
  '0e': 'Intelligent controller',
  '0f': 'Satellite communications controller',
  '10': 'Encryption controller',
  '11': 'Signal processing controller',
  '12': 'Processing accelerators',
  '13': 'Non-Essential Instrumentation',
  ff: 'Unassigned class',
};

export function pciClassName(classCode: string | null): string | null {
  if (!classCode) return null;
  const hex = classCode.replace(/^0x/i, '').toLowerCase().padStart(6, '0');
  return CLASS_NAMES[hex.slice(0, 4)] ?? CLASS_NAMES[hex.slice(0, 2)] ?? null;
}

/** Bridges (host, PCI-to-PCI, CardBus…) are never passed through and may share a group harmlessly. */
export function isBridgeClass(classCode: string | null): boolean {
  return classCode !== null && classCode.replace(/^0x/i, '').toLowerCase().padStart(6, '0').startsWith('06');
}

/**
 * PCI-to-PCI (and CardBus) bridges: the kernel lets vfio use a group that also holds these while they
 * stay with the host driver (vfio_dev_driver_allowed: header type other than normal).
 */
export function isPciToPciBridge(classCode: string | null): boolean {
  const hex = (classCode ?? '').replace(/^0x/i, '').toLowerCase().padStart(6, '0');
  return hex.startsWith('0604') || hex.startsWith('0607') || hex.startsWith('0609');
}
