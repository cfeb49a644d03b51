/**
 * Per-device figures of one guest from its bulk stats record (virConnectGetAllDomainStats with
 * VIR_DOMAIN_STATS_BLOCK and VIR_DOMAIN_STATS_INTERFACE): block.<n>.* and net.<n>.* fields.
 */
import { statField } from '../../libvirt/client/stats';

export type StatsParams = ReadonlyArray<{ readonly field: string; readonly value: unknown }>;

export interface DiskStats {
  /** Target device (vda, hdc). */
  name: string;
  /** Host path of the disk's source, when it has one. */
  path: string | null;
  rdReqs: bigint | null;
  rdBytes: bigint | null;
  /** Nanoseconds spent on reads, since the guest started. */
  rdTimesNs: bigint | null;
  wrReqs: bigint | null;
  wrBytes: bigint | null;
  wrTimesNs: bigint | null;
  flReqs: bigint | null;
  flTimesNs: bigint | null;
}

export interface NicStats {
  /** Host-side device name (vnet0). */
  name: string;
  rxBytes: bigint | null;
  rxPkts: bigint | null;
  rxErrs: bigint | null;
  rxDrop: bigint | null;
  txBytes: bigint | null;
  txPkts: bigint | null;
  txErrs: bigint | null;
  txDrop: bigint | null;
}

const DISK_FIELDS = {
  'rd.reqs': 'rdReqs',
  'rd.bytes': 'rdBytes',
  'rd.times': 'rdTimesNs',
  'wr.reqs': 'wrReqs',
  'wr.bytes': 'wrBytes',
  'wr.times': 'wrTimesNs',
  'fl.reqs': 'flReqs',
  'fl.times': 'flTimesNs',
} as const;

const NIC_FIELDS = {
  'rx.bytes': 'rxBytes',
  'rx.pkts': 'rxPkts',
  'rx.errs': 'rxErrs',
  'rx.drop': 'rxDrop',
  'tx.bytes': 'txBytes',
  'tx.pkts': 'txPkts',
  'tx.errs': 'txErrs',
  'tx.drop': 'txDrop',
} as const;

function counter(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
  return null;
}

/** The disks and NICs of one stats record, in index order. */
export function deviceStats(params: StatsParams | undefined): { disks: DiskStats[]; nics: NicStats[] } {
  const disks = new Map<number, DiskStats>();
  const nics = new Map<number, NicStats>();
  for (const { field, value } of params ?? []) {
    const { group, index, key } = statField(field);
    if (group === null) continue;
    if (group === 'block') {
      let disk = disks.get(index);
      if (!disk) {
        disk = { name: '', path: null, rdReqs: null, rdBytes: null, rdTimesNs: null, wrReqs: null, wrBytes: null, wrTimesNs: null, flReqs: null, flTimesNs: null };
        disks.set(index, disk);
      }
      if (key === 'name' && typeof value === 'string') disk.name = value;
      else if (key === 'path' && typeof value === 'string') disk.path = value;
      else if (key in DISK_FIELDS) disk[DISK_FIELDS[key as keyof typeof DISK_FIELDS]] = counter(value);
    } else {
      let nic = nics.get(index);
      if (!nic) {
        nic = { name: '', rxBytes: null, rxPkts: null, rxErrs: null, rxDrop: null, txBytes: null, txPkts: null, txErrs: null, txDrop: null };
        nics.set(index, nic);
      }
      if (key === 'name' && typeof value === 'string') nic.name = value;
      else if (key in NIC_FIELDS) nic[NIC_FIELDS[key as keyof typeof NIC_FIELDS]] = counter(value);
    }
  }
  return { disks: named(disks), nics: named(nics) };
}

/** The named devices in index order (libvirt sends them in order: then no sort is needed). */
function named<T extends { name: string }>(devices: Map<number, T>): T[] {
  const out: T[] = [];
  let last = -1;
  let sorted = true;
  for (const index of devices.keys()) {
    if (index < last) sorted = false;
    last = index;
  }
  const order = sorted ? devices.keys() : [...devices.keys()].sort((a, b) => a - b);
  for (const index of order) {
    const device = devices.get(index) as T;
    if (device.name !== '') out.push(device);
  }
  return out;
}
