/**
 * The wizard's own small OS list, for hosts without osinfo-db. Ids, volume-id patterns and resources
 * follow osinfo-db's entries for the same systems (so the domain's libosinfo metadata means the same
 * thing); virtio support is stated directly instead of through osinfo's device inheritance.
 */
import { OSINFO_DEVICES, type OsRecord, type OsResources } from './os-catalog';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const VIRTIO_ALL: string[] = [
  ...OSINFO_DEVICES.virtioBlock,
  ...OSINFO_DEVICES.virtioNet,
  ...OSINFO_DEVICES.virtioBalloon,
  ...OSINFO_DEVICES.virtioRng,
  ...OSINFO_DEVICES.virtioConsole,
  ...OSINFO_DEVICES.virtioGpu,
  ...OSINFO_DEVICES.qxl,
  ...OSINFO_DEVICES.q35,
];
/** Windows has virtio drivers only from the virtio-win media, not on its own install media. */
const WINDOWS_DEVICES: string[] = [...OSINFO_DEVICES.e1000e, ...OSINFO_DEVICES.q35];

const res = (ramBytes: number, nCpus: number | null, storageBytes: number): OsResources => ({ ramBytes, nCpus, storageBytes });

interface Entry {
  id: string;
  shortId: string;
  name: string;
  family: string;
  distro: string;
  vendor: string;
  releaseDate: string | null;
  eolDate?: string;
  minimum: OsResources;
  recommended: OsResources;
  volumeIds: string[];
  devices?: string[];
  efi?: boolean;
  bios?: boolean;
}

const ENTRIES: Entry[] = [
  {
    id: 'http://debian.org/debian/12', shortId: 'debian12', name: 'Debian 12', family: 'linux', distro: 'debian', vendor: 'Debian Project',
    releaseDate: '2023-06-10', minimum: res(GiB, 1, 10 * GiB), recommended: res(GiB, 2, 20 * GiB), volumeIds: ['Debian 12\\.\\d+\\.\\d+ amd64'],
  },
  {
    id: 'http://debian.org/debian/11', shortId: 'debian11', name: 'Debian 11', family: 'linux', distro: 'debian', vendor: 'Debian Project',
    releaseDate: '2021-08-14', minimum: res(GiB, 1, 10 * GiB), recommended: res(GiB, 2, 20 * GiB), volumeIds: ['Debian 11\\.\\d+\\.\\d+ amd64'],
  },
  {
    id: 'http://ubuntu.com/ubuntu/24.04', shortId: 'ubuntu24.04', name: 'Ubuntu 24.04 LTS', family: 'linux', distro: 'ubuntu', vendor: 'Canonical Ltd',
    releaseDate: '2024-04-25', minimum: res(2 * GiB, 1, 10 * GiB), recommended: res(4 * GiB, 2, 25 * GiB),
    volumeIds: ['Ubuntu(-Server)? 24\\.04(\\.\\d+)?(\\.\\d+)? LTS amd64'],
  },
  {
    id: 'http://ubuntu.com/ubuntu/22.04', shortId: 'ubuntu22.04', name: 'Ubuntu 22.04 LTS', family: 'linux', distro: 'ubuntu', vendor: 'Canonical Ltd',
    releaseDate: '2022-04-21', minimum: res(2 * GiB, 1, 10 * GiB), recommended: res(4 * GiB, 2, 25 * GiB),
    volumeIds: ['Ubuntu(-Server)? 22\\.04(\\.\\d+)?(\\.\\d+)? LTS amd64'],
  },
  {
    id: 'http://fedoraproject.org/fedora/40', shortId: 'fedora40', name: 'Fedora Linux 40', family: 'linux', distro: 'fedora', vendor: 'Fedora Project',
    releaseDate: '2024-04-23', minimum: res(2 * GiB, 1, 20 * GiB), recommended: res(2 * GiB, 2, 20 * GiB), volumeIds: ['Fedora-.*-x86_64-40', 'Fedora-WS-Live-40'],
  },
  {
    id: 'http://redhat.com/rhel/9.4', shortId: 'rhel9.4', name: 'Red Hat Enterprise Linux 9.4', family: 'linux', distro: 'rhel', vendor: 'Red Hat, Inc',
    releaseDate: '2024-04-30', minimum: res(2 * GiB, 1, 10 * GiB), recommended: res(2 * GiB, 2, 20 * GiB), volumeIds: ['RHEL-9-4-(\\d+-)?BaseOS-x86_64'],
  },
  {
    id: 'http://almalinux.org/almalinux/9', shortId: 'almalinux9', name: 'AlmaLinux 9', family: 'linux', distro: 'almalinux', vendor: 'AlmaLinux OS Foundation',
    releaseDate: '2022-05-26', minimum: res(2 * GiB, 1, 10 * GiB), recommended: res(2 * GiB, 2, 20 * GiB), volumeIds: ['AlmaLinux-9-\\d+-x86_64'],
  },
  {
    id: 'http://rockylinux.org/rocky/9', shortId: 'rocky9', name: 'Rocky Linux 9', family: 'linux', distro: 'rocky', vendor: 'Rocky Enterprise Software Foundation',
    releaseDate: '2022-07-14', minimum: res(2 * GiB, 1, 10 * GiB), recommended: res(2 * GiB, 2, 20 * GiB), volumeIds: ['Rocky-9-\\d+-x86_64'],
  },
  {
    id: 'http://opensuse.org/opensuse/15.6', shortId: 'opensuse15.6', name: 'openSUSE Leap 15.6', family: 'linux', distro: 'opensuse', vendor: 'openSUSE',
    releaseDate: '2024-06-12', minimum: res(GiB, 1, 10 * GiB), recommended: res(2 * GiB, 2, 20 * GiB), volumeIds: ['openSUSE-Leap-15\\.6'],
  },
  {
    id: 'http://archlinux.org/archlinux/rolling', shortId: 'archlinux', name: 'Arch Linux', family: 'linux', distro: 'archlinux', vendor: 'Arch Linux',
    releaseDate: '2002-03-11', minimum: res(512 * MiB, 1, 2 * GiB), recommended: res(2 * GiB, 2, 20 * GiB), volumeIds: ['^ARCH_\\d{6}'],
  },
  {
    id: 'http://alpinelinux.org/alpinelinux/3.20', shortId: 'alpinelinux3.20', name: 'Alpine Linux 3.20', family: 'linux', distro: 'alpinelinux', vendor: 'Alpine Linux',
    releaseDate: '2024-05-22', minimum: res(128 * MiB, 1, GiB), recommended: res(768 * MiB, 1, 4 * GiB), volumeIds: ['alpine-(std|virt|ext) 3\\.20.* x86_64$'],
  },
  {
    id: 'http://libosinfo.org/linux/2022', shortId: 'linux2022', name: 'Generic Linux 2022', family: 'linux', distro: 'linux', vendor: 'Libosinfo',
    releaseDate: '2022-01-01', minimum: res(GiB, 1, 10 * GiB), recommended: res(2 * GiB, 2, 20 * GiB), volumeIds: [],
  },
  {
    id: 'http://freebsd.org/freebsd/14.0', shortId: 'freebsd14.0', name: 'FreeBSD 14.0', family: 'freebsd', distro: 'freebsd', vendor: 'FreeBSD Project',
    releaseDate: '2023-11-20', minimum: res(GiB, 1, 8 * GiB), recommended: res(2 * GiB, 2, 20 * GiB), volumeIds: ['14_0_RELEASE_AMD64_(CD|DVD)'],
  },
  {
    id: 'http://microsoft.com/win/11', shortId: 'win11', name: 'Microsoft Windows 11', family: 'winnt', distro: 'win', vendor: 'Microsoft Corporation',
    releaseDate: '2021-10-05', minimum: res(4 * GiB, 2, 64 * GiB), recommended: res(8 * GiB, 2, 80 * GiB),
    volumeIds: ['^(J_)?(CCSN?A|C?CCOMA)_X64FREE?_'], devices: WINDOWS_DEVICES, efi: true, bios: false,
  },
  {
    id: 'http://microsoft.com/win/10', shortId: 'win10', name: 'Microsoft Windows 10', family: 'winnt', distro: 'win', vendor: 'Microsoft Corporation',
    releaseDate: '2015-07-29', minimum: res(2 * GiB, 1, 32 * GiB), recommended: res(4 * GiB, 2, 64 * GiB),
    volumeIds: ['^(J_)?(CCSN?A|C?CCOMA)_X64FREE?_', '(J_)?CEDN?A_X64FREE?_'], devices: WINDOWS_DEVICES,
  },
  {
    id: 'http://microsoft.com/win/2k22', shortId: 'win2k22', name: 'Microsoft Windows Server 2022', family: 'winnt', distro: 'win', vendor: 'Microsoft Corporation',
    releaseDate: '2021-08-18', minimum: res(512 * MiB, 1, 32 * GiB), recommended: res(2 * GiB, 2, 40 * GiB),
    volumeIds: ['^(SSS_X64CHK|SSS_X64FREE?|SSS_X64FREV)_'], devices: WINDOWS_DEVICES,
  },
  {
    id: 'http://libosinfo.org/unknown', shortId: 'unknown', name: 'Unknown / other (no virtio)', family: 'unknown', distro: 'unknown', vendor: 'Libosinfo',
    releaseDate: null, minimum: res(512 * MiB, 1, 8 * GiB), recommended: res(GiB, 1, 20 * GiB), volumeIds: [], devices: [],
  },
];

export const BUILTIN_OSES: readonly OsRecord[] = ENTRIES.map((entry) => ({
  id: entry.id,
  shortId: entry.shortId,
  name: entry.name,
  family: entry.family,
  distro: entry.distro,
  vendor: entry.vendor,
  releaseDate: entry.releaseDate,
  eolDate: entry.eolDate ?? null,
  parents: [],
  devices: (entry.devices ?? VIRTIO_ALL).map((id): [string, boolean] => [id, true]),
  minimum: entry.minimum,
  recommended: entry.recommended,
  efi: entry.efi ?? null,
  bios: entry.bios ?? null,
  media: entry.volumeIds.map((volumeId) => ({ arch: 'x86_64', volumeId, systemId: null, publisherId: null, applicationId: null })),
}));

/** OSes that need more than osinfo-db (of the versions hosts have) says: Windows 11 needs TPM 2.0 and Secure Boot. */
export function needsTpmAndSecureBoot(osId: string): boolean {
  return /^http:\/\/microsoft\.com\/win\/(11|2k25)$/.test(osId);
}
