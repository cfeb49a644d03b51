/**
 * The Prometheus text exposition format (version 0.0.4, what every Prometheus scrapes) of the fleet.
 * Guest metrics carry the names of the widely used libvirt exporter (kumina/libvirt_exporter and its
 * forks: libvirt_domain_info_*, libvirt_domain_block_stats_*, libvirt_domain_interface_stats_*,
 * libvirt_up) with its labels (domain, target_device, source_file, source_bridge), plus `host` and
 * `uuid` since one VirtDeck serves many hosts. Host figures have VirtDeck's own names (virtdeck_host_*).
 */
import type { DomainSample } from '../fleet/fleet-port';
import { deviceStats } from './domain-device-stats';

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface HostMetricsInput {
  /** The host's name as the user sees it (label `host`). */
  host: string;
  /** libvirt answered the latest tick. */
  up: boolean;
  /** The latest tick's guests (empty when down). */
  domains: DomainSample[];
  /** Host CPU busy share 0–100 and memory, from the latest tick, when known. */
  cpuPercent: number | null;
  memoryUsedKiB: number | null;
  memoryTotalKiB: number | null;
  /** Per block device of the host: latest r_await / w_await (ms), %util and aqu-sz, when sampled. */
  disks: Array<{ device: string; rAwaitMs: number; wAwaitMs: number; utilPercent: number; queueSize: number }>;
  /** Bridge of each NIC by host-side device name (vnet0 → virbr0), when known. */
  bridges?: ReadonlyMap<string, string>;
}

type Kind = 'gauge' | 'counter';

interface Family {
  name: string;
  help: string;
  kind: Kind;
  lines: string[];
}

/** Escapes a label value: backslash, double quote and line feed (the format's three escapes). */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

class Families {
  private readonly byName = new Map<string, Family>();

  family(name: string, kind: Kind, help: string): (labels: Record<string, string>, value: number | bigint) => void {
    let family = this.byName.get(name);
    if (!family) {
      family = { name, help, kind, lines: [] };
      this.byName.set(name, family);
    }
    const target = family;
    return (labels, value) => {
      const text = Object.entries(labels)
        .map(([key, v]) => `${key}="${escapeLabel(v)}"`)
        .join(',');
      target.lines.push(`${name}{${text}} ${formatValue(value)}`);
    };
  }

  render(): string {
    const out: string[] = [];
    for (const family of this.byName.values()) {
      out.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.kind}`, ...family.lines);
    }
    return `${out.join('\n')}\n`;
  }
}

const ACTIVE = new Set(['running', 'paused', 'blocked', 'pmsuspended', 'shutdown']);
const NS_PER_SECOND = 1_000_000_000n;

/** Seconds from nanoseconds without losing precision on long-running guests (bigint → decimal). */
function seconds(ns: bigint): number {
  return Number(ns / NS_PER_SECOND) + Number(ns % NS_PER_SECOND) / 1e9;
}

/** The whole fleet as one exposition (families declared once, in a fixed order). */
export function renderExposition(hosts: readonly HostMetricsInput[]): string {
  const f = new Families();
  const up = f.family('libvirt_up', 'gauge', "Whether scraping libvirt's metrics was successful.");
  const maxMem = f.family('libvirt_domain_info_maximum_memory_bytes', 'gauge', 'Maximum allowed memory of the domain, in bytes.');
  const mem = f.family('libvirt_domain_info_memory_usage_bytes', 'gauge', 'Memory usage of the domain, in bytes.');
  const vcpus = f.family('libvirt_domain_info_virtual_cpus', 'gauge', 'Number of virtual CPUs for the domain.');
  const cpu = f.family('libvirt_domain_info_cpu_time_seconds_total', 'counter', 'Amount of CPU time used by the domain, in seconds.');
  const block = {
    rdBytes: f.family('libvirt_domain_block_stats_read_bytes_total', 'counter', 'Number of bytes read from a block device, in bytes.'),
    rdReqs: f.family('libvirt_domain_block_stats_read_requests_total', 'counter', 'Number of read requests from a block device.'),
    rdTimesNs: f.family('libvirt_domain_block_stats_read_seconds_total', 'counter', 'Amount of time spent reading from a block device, in seconds.'),
    wrBytes: f.family('libvirt_domain_block_stats_write_bytes_total', 'counter', 'Number of bytes written from a block device, in bytes.'),
    wrReqs: f.family('libvirt_domain_block_stats_write_requests_total', 'counter', 'Number of write requests from a block device.'),
    wrTimesNs: f.family('libvirt_domain_block_stats_write_seconds_total', 'counter', 'Amount of time spent writing from a block device, in seconds.'),
    flReqs: f.family('libvirt_domain_block_stats_flush_requests_total', 'counter', 'Number of flush requests from a block device.'),
    flTimesNs: f.family('libvirt_domain_block_stats_flush_seconds_total', 'counter', 'Amount of time spent flushing of a block device, in seconds.'),
  } as const;
  const nic = {
    rxBytes: f.family('libvirt_domain_interface_stats_receive_bytes_total', 'counter', 'Number of bytes received on a network interface, in bytes.'),
    rxPkts: f.family('libvirt_domain_interface_stats_receive_packets_total', 'counter', 'Number of packets received on a network interface.'),
    rxErrs: f.family('libvirt_domain_interface_stats_receive_errors_total', 'counter', 'Number of packet receive errors on a network interface.'),
    rxDrop: f.family('libvirt_domain_interface_stats_receive_drops_total', 'counter', 'Number of packet receive drops on a network interface.'),
    txBytes: f.family('libvirt_domain_interface_stats_transmit_bytes_total', 'counter', 'Number of bytes transmitted on a network interface, in bytes.'),
    txPkts: f.family('libvirt_domain_interface_stats_transmit_packets_total', 'counter', 'Number of packets transmitted on a network interface.'),
    txErrs: f.family('libvirt_domain_interface_stats_transmit_errors_total', 'counter', 'Number of packet transmit errors on a network interface.'),
    txDrop: f.family('libvirt_domain_interface_stats_transmit_drops_total', 'counter', 'Number of packet transmit drops on a network interface.'),
  } as const;
  const hostCpu = f.family('virtdeck_host_cpu_utilization_ratio', 'gauge', 'Share of the host CPU time that was busy over the last stats tick (0-1).');
  const hostMemUsed = f.family('virtdeck_host_memory_used_bytes', 'gauge', 'Host memory in use (total minus free, buffers and cache), in bytes.');
  const hostMemTotal = f.family('virtdeck_host_memory_total_bytes', 'gauge', 'Host memory, in bytes.');
  const diskRAwait = f.family('virtdeck_host_disk_read_await_seconds', 'gauge', 'Average time of a read request of a host block device over the last interval (iostat r_await), in seconds.');
  const diskWAwait = f.family('virtdeck_host_disk_write_await_seconds', 'gauge', 'Average time of a write request of a host block device over the last interval (iostat w_await), in seconds.');
  const diskUtil = f.family('virtdeck_host_disk_utilization_ratio', 'gauge', 'Share of the last interval a host block device was busy (iostat %util / 100).');
  const diskQueue = f.family('virtdeck_host_disk_queue_size', 'gauge', 'Average queue length of a host block device over the last interval (iostat aqu-sz).');

  for (const host of hosts) {
    up({ host: host.host }, host.up ? 1 : 0);
    if (host.cpuPercent !== null) hostCpu({ host: host.host }, host.cpuPercent / 100);
    if (host.memoryUsedKiB !== null) hostMemUsed({ host: host.host }, host.memoryUsedKiB * 1024);
    if (host.memoryTotalKiB !== null) hostMemTotal({ host: host.host }, host.memoryTotalKiB * 1024);
    for (const disk of host.disks) {
      const labels = { host: host.host, device: disk.device };
      diskRAwait(labels, disk.rAwaitMs / 1000);
      diskWAwait(labels, disk.wAwaitMs / 1000);
      diskUtil(labels, disk.utilPercent / 100);
      diskQueue(labels, disk.queueSize);
    }
    if (!host.up) continue;
    for (const domain of host.domains) {
      // As the libvirt exporter: active guests only (a shut-off guest has no CPU time or devices).
      if (!ACTIVE.has(domain.state)) continue;
      const labels = { host: host.host, domain: domain.name, uuid: domain.uuid };
      maxMem(labels, domain.maxMemoryKiB * 1024);
      mem(labels, domain.memoryKiB * 1024);
      vcpus(labels, domain.vcpus);
      cpu(labels, seconds(domain.cpuTimeNs));
      const devices = deviceStats(domain.params);
      for (const disk of devices.disks) {
        const diskLabels = { ...labels, source_file: disk.path ?? '', target_device: disk.name };
        for (const key of ['rdBytes', 'rdReqs', 'wrBytes', 'wrReqs', 'flReqs'] as const) {
          const value = disk[key];
          if (value !== null) block[key](diskLabels, value);
        }
        for (const key of ['rdTimesNs', 'wrTimesNs', 'flTimesNs'] as const) {
          const value = disk[key];
          if (value !== null) block[key](diskLabels, seconds(value));
        }
      }
      for (const iface of devices.nics) {
        const nicLabels = { ...labels, source_bridge: host.bridges?.get(iface.name) ?? '', target_device: iface.name };
        for (const key of ['rxBytes', 'rxPkts', 'rxErrs', 'rxDrop', 'txBytes', 'txPkts', 'txErrs', 'txDrop'] as const) {
          const value = iface[key];
          if (value !== null) nic[key](nicLabels, value);
        }
      }
    }
  }
  return f.render();
}
