/**
 * Sizing and configuration advice for one guest, each finding with its reason and, where there is one,
 * the change that fixes it (opened in the same form, previewed and applied like any other change).
 *
 * Both sizing rules count the host as it runs, as a guest that starts would meet it:
 * - vCPU overcommit: the vCPUs of every other running (or paused) guest on the host plus this guest's
 *   vCPUs (its live count when running, else the count its definition starts with) against
 *   thresholds.vcpuPerThread (0.8 by default) × the host's logical CPUs (threads);
 * - memory overcommit: the current memory of every other running (or paused) guest plus this guest's
 *   maximum (what its balloon may grow to) against thresholds.memoryShare (0.7 by default) × host RAM.
 * The thresholds are settings (gear menu → Advisor thresholds).
 */
import { formatCpuset, type AdvisorFinding, type AdvisorThresholds, type HostTopology, type TuningChange, type TuningState } from '../../../preload/api-contract';
import { cpuNodes, defaultHugepageKiB, hostPages } from './host-topology';
import { attribute, elements, first, parseCpuset, parseXml } from './xml-edit';

/** The smallest memory the memory rule's fix proposes; below it the fix is to move guests, not shrink this one. */
const MIN_FIX_MEMORY_KIB = 128 * 1024;

export interface AdvisorInput {
  inactiveXml: string;
  state: TuningState;
  host: HostTopology;
  /** Sum of the current vCPUs of the other running or paused guests on this host. */
  otherRunningVcpus: number;
  /** Sum of the current memory (KiB) of the other running or paused guests on this host. */
  otherRunningMemoryKiB: number;
  /** The running guest's current vCPUs, or null when it is off. */
  liveVcpus: number | null;
  thresholds: AdvisorThresholds;
}

/** Whether the guest is known to run Linux (osinfo metadata, or a direct Linux kernel boot). */
export function guestOs(xml: string): { linux: boolean; osinfo: string | null } {
  const doc = parseXml(xml);
  const metadata = first(doc.root, 'metadata');
  let osinfo: string | null = null;
  for (const holder of elements(metadata)) {
    if (holder.namespaceURI?.startsWith('http://libosinfo.org/xmlns/libvirt/domain/')) {
      const os = elements(holder).find((e) => e.localName === 'os');
      osinfo = attribute(os, 'id');
    }
  }
  if (osinfo) {
    const linux = /(linux|debian|ubuntu|fedora|rhel|redhat|centos|rocky|almalinux|opensuse|suse|sles|archlinux|alpine|gentoo|mageia|oraclelinux|coreos|slackware|mint|popos|manjaro|void|nixos|clearlinux|cirros)/i.test(osinfo);
    return { linux, osinfo };
  }
  const kernel = first(first(doc.root, 'os'), 'kernel');
  return { linux: kernel !== null, osinfo: null };
}

const EMULATED_NICS = ['e1000', 'e1000e', 'rtl8139', 'ne2k_pci', 'pcnet', 'igb'];

export interface SizingInput {
  /** The guest's vCPUs (live count when running, else what its definition starts with). */
  vcpus: number;
  /** The guest's maximum memory (what its balloon may grow to). */
  maxMemoryKiB: number;
  /** Sum of the current vCPUs of the other running or paused guests on the host. */
  otherRunningVcpus: number;
  /** Sum of the current memory (KiB) of the other running or paused guests on the host. */
  otherRunningMemoryKiB: number;
  hostThreads: number;
  hostMemoryKiB: number;
  thresholds: AdvisorThresholds;
}

export interface SizingCheck {
  /** vCPU overcommit: the reason's values, and how many vCPUs this guest could have within the limit. */
  vcpu: { values: Record<string, number>; fitting: number } | null;
  /** Memory overcommit: the reason's values, and the memory left for this guest within the limit. */
  memory: { values: Record<string, number>; roomKiB: number } | null;
}

/**
 * The two sizing rules (the advisor's and the new-VM wizard's): running guests' vCPUs plus this one's
 * against vcpuPerThread × host threads, running guests' memory plus this one's maximum against
 * memoryShare × host RAM. Each is null when the guest fits.
 */
export function checkSizing(input: SizingInput): SizingCheck {
  const total = input.otherRunningVcpus + input.vcpus;
  const limit = input.thresholds.vcpuPerThread * input.hostThreads;
  const vcpu =
    input.hostThreads > 0 && total > limit
      ? {
          values: {
            total,
            others: input.otherRunningVcpus,
            mine: input.vcpus,
            threads: input.hostThreads,
            ratio: input.thresholds.vcpuPerThread,
            limit: Number(limit.toFixed(1)),
          },
          fitting: Math.floor(limit) - input.otherRunningVcpus,
        }
      : null;
  const memLimit = Math.floor(input.thresholds.memoryShare * input.hostMemoryKiB);
  const memTotal = input.otherRunningMemoryKiB + input.maxMemoryKiB;
  const mib = (kib: number) => Math.round(kib / 1024);
  const memory =
    input.hostMemoryKiB > 0 && memTotal > memLimit
      ? {
          values: {
            totalMiB: mib(memTotal),
            othersMiB: mib(input.otherRunningMemoryKiB),
            mineMiB: mib(input.maxMemoryKiB),
            hostMiB: mib(input.hostMemoryKiB),
            ratio: input.thresholds.memoryShare,
            limitMiB: mib(memLimit),
          },
          roomKiB: Math.floor((memLimit - input.otherRunningMemoryKiB) / 1024) * 1024,
        }
      : null;
  return { vcpu, memory };
}

export function advise(input: AdvisorInput): AdvisorFinding[] {
  const { state, host } = input;
  const findings: AdvisorFinding[] = [];
  const os = guestOs(input.inactiveXml);

  const sizing = checkSizing({
    vcpus: input.liveVcpus ?? state.cpu.vcpus,
    maxMemoryKiB: state.memory.maxKiB,
    otherRunningVcpus: input.otherRunningVcpus,
    otherRunningMemoryKiB: input.otherRunningMemoryKiB,
    hostThreads: host.threads,
    hostMemoryKiB: host.memoryKiB,
    thresholds: input.thresholds,
  });
  if (sizing.vcpu) {
    const { fitting } = sizing.vcpu;
    const fix: TuningChange | null = fitting >= 1 && fitting < state.cpu.vcpus ? { ...state.cpu, vcpus: fitting } : null;
    findings.push({ rule: 'vcpu-overcommit', severity: 'warning', values: sizing.vcpu.values, fix });
  }
  if (sizing.memory) {
    const { roomKiB: room } = sizing.memory;
    findings.push({
      rule: 'memory-overcommit',
      severity: 'warning',
      values: sizing.memory.values,
      fix:
        room >= MIN_FIX_MEMORY_KIB && room < state.memory.maxKiB
          ? { ...state.memory, maxKiB: room, currentKiB: Math.min(state.memory.currentKiB, room) }
          : null,
    });
  }

  // vCPUs pinned across NUMA nodes
  const nodeOf = cpuNodes(host);
  const pinnedNodes = new Map<number, number>();
  for (const { cpuset } of state.pinning.vcpus) {
    if (!cpuset) continue;
    for (const cpu of safeCpuset(cpuset)) {
      const node = nodeOf.get(cpu);
      if (node !== undefined) pinnedNodes.set(node, (pinnedNodes.get(node) ?? 0) + 1);
    }
  }
  if (pinnedNodes.size > 1) {
    const [bestNode] = [...pinnedNodes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0] ?? [0];
    const nodeCpus = host.cells.find((c) => c.id === bestNode)?.cpus.map((c) => c.id) ?? [];
    findings.push({
      rule: 'pinning-across-numa',
      severity: 'warning',
      values: { nodes: [...pinnedNodes.keys()].sort().join(', '), node: bestNode },
      fix: nodeCpus.length
        ? { ...state.pinning, vcpus: state.pinning.vcpus.map((v) => ({ vcpu: v.vcpu, cpuset: v.cpuset ? formatCpuset(nodeCpus) : null })) }
        : null,
    });
  }

  // Hugepages asked, no host pool
  if (state.memory.hugepages) {
    const size = state.memory.hugepages.sizeKiB ?? defaultHugepageKiB(host);
    const pool = size === null ? { total: 0, free: 0 } : hostPages(host, size);
    const available = pool.free ?? pool.total;
    const needed = size ? Math.ceil(state.memory.maxKiB / size) : 0;
    if (available < needed) {
      findings.push({
        rule: 'hugepages-no-pool',
        severity: 'warning',
        values: { sizeKiB: size ?? 0, needed, available },
        fix: { ...state.memory, hugepages: null },
      });
    }
  }

  for (const disk of state.disks) {
    if (disk.device !== 'disk') continue;
    const local = disk.sourceType === 'file' || disk.sourceType === 'block';
    if (local && disk.cache !== 'none') {
      findings.push({
        rule: 'disk-cache',
        severity: 'info',
        values: { target: disk.target, cache: disk.cache ?? 'default', source: disk.source ?? '' },
        fix: { form: 'disk', target: disk.target, bus: disk.bus, cache: 'none', io: disk.io, discard: disk.discard, detectZeroes: disk.detectZeroes, iothread: disk.iothread },
      });
    }
    if (disk.format === 'raw' || disk.format === 'qcow2') {
      findings.push({ rule: 'disk-format', severity: 'info', values: { target: disk.target, format: disk.format }, fix: null });
    }
    if (os.linux && (disk.bus === 'ide' || disk.bus === 'sata')) {
      findings.push({
        rule: 'no-virtio-disk',
        severity: 'warning',
        values: { target: disk.target, bus: disk.bus, os: os.osinfo ?? 'Linux' },
        fix: { form: 'disk', target: disk.target, bus: 'virtio', cache: disk.cache, io: disk.io, discard: disk.discard, detectZeroes: disk.detectZeroes, iothread: null },
      });
    }
  }

  for (const nic of state.nics) {
    if (!EMULATED_NICS.includes(nic.model)) continue;
    const fix: TuningChange = { form: 'nic', mac: nic.mac, model: 'virtio', queues: null };
    if (os.linux) findings.push({ rule: 'no-virtio-nic', severity: 'warning', values: { mac: nic.mac, model: nic.model, os: os.osinfo ?? 'Linux' }, fix });
    else findings.push({ rule: 'emulated-nic', severity: 'info', values: { mac: nic.mac, model: nic.model }, fix });
  }

  if (state.memory.balloonModel === 'none') {
    findings.push({ rule: 'no-balloon', severity: 'info', values: {}, fix: { ...state.memory, balloonModel: 'virtio', statsPeriod: 10 } });
  }
  return findings;
}

function safeCpuset(cpuset: string): number[] {
  try {
    return parseCpuset(cpuset);
  } catch {
    return [];
  }
}
