import { HOST_METRICS, VM_METRICS, type HostMetric, type VmMetric } from '../../../preload/api-contract';
import type { TypedParam } from '../../libvirt/client/typed-params';

/** The counters of one VM at one tick (from the bulk stats' typed parameters). */
export interface VmCounters {
  at: number;
  running: boolean;
  vcpus: number;
  cpuTimeNs: number;
  rdBytes: number;
  wrBytes: number;
  rdReqs: number;
  wrReqs: number;
  flReqs: number;
  /** rd.times + wr.times + fl.times: ns spent on requests. */
  ioTimeNs: number;
  rxBytes: number;
  txBytes: number;
  balloonKiB: number;
  /** Guest-reported (virtio balloon stats), when the guest reports them. */
  availableKiB: number | null;
  usableKiB: number | null;
  unusedKiB: number | null;
  rssKiB: number | null;
}

function num(value: TypedParam['value']): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return null;
}

/** Reads the counters out of a GET_ALL_DOMAIN_STATS record (state, cpu, balloon, vcpu, block, net). */
export function vmCounters(params: readonly TypedParam[], at: number, running: boolean, vcpus: number): VmCounters {
  const c: VmCounters = {
    at,
    running,
    vcpus,
    cpuTimeNs: 0,
    rdBytes: 0,
    wrBytes: 0,
    rdReqs: 0,
    wrReqs: 0,
    flReqs: 0,
    ioTimeNs: 0,
    rxBytes: 0,
    txBytes: 0,
    balloonKiB: 0,
    availableKiB: null,
    usableKiB: null,
    unusedKiB: null,
    rssKiB: null,
  };
  for (const param of params) {
    const value = num(param.value);
    if (value === null) continue;
    const field = param.field;
    if (field === 'cpu.time') c.cpuTimeNs = value;
    else if (field === 'balloon.current') c.balloonKiB = value;
    else if (field === 'balloon.available') c.availableKiB = value;
    else if (field === 'balloon.usable') c.usableKiB = value;
    else if (field === 'balloon.unused') c.unusedKiB = value;
    else if (field === 'balloon.rss') c.rssKiB = value;
    else {
      const block = /^block\.\d+\.(rd|wr|fl)\.(bytes|reqs|times)$/.exec(field);
      if (block) {
        const [, op, what] = block;
        if (what === 'times') c.ioTimeNs += value;
        else if (op === 'rd' && what === 'bytes') c.rdBytes += value;
        else if (op === 'rd') c.rdReqs += value;
        else if (op === 'wr' && what === 'bytes') c.wrBytes += value;
        else if (op === 'wr') c.wrReqs += value;
        else if (what === 'reqs') c.flReqs += value;
        continue;
      }
      const net = /^net\.\d+\.(rx|tx)\.bytes$/.exec(field);
      if (net) {
        if (net[1] === 'rx') c.rxBytes += value;
        else c.txBytes += value;
      }
    }
  }
  return c;
}

/**
 * A VM's metrics for one tick, in VM_METRICS order (NaN where there is no value): rates and latency over
 * the tick since `previous`; none of them for a guest that is not running or just restarted.
 */
export function vmMetricValues(current: VmCounters, previous: VmCounters | undefined): Float64Array {
  const out = new Float64Array(VM_METRICS.length).fill(NaN);
  const set = (metric: VmMetric, value: number | null) => {
    if (value !== null && Number.isFinite(value)) out[VM_METRICS.indexOf(metric)] = value;
  };
  if (!current.running) return out;
  set('vm.memory.balloon_kib', current.balloonKiB || null);
  const free = current.usableKiB ?? current.unusedKiB;
  if (current.availableKiB !== null && free !== null) set('vm.memory.guest_used_kib', Math.max(0, current.availableKiB - free));
  set('vm.memory.rss_kib', current.rssKiB);
  if (!previous || !previous.running || current.at <= previous.at) return out;
  const seconds = (current.at - previous.at) / 1000;
  const delta = (key: 'cpuTimeNs' | 'rdBytes' | 'wrBytes' | 'rdReqs' | 'wrReqs' | 'flReqs' | 'ioTimeNs' | 'rxBytes' | 'txBytes') => {
    const d = current[key] - previous[key];
    return d >= 0 ? d : null; // counters began again (guest restarted, device removed)
  };
  const cpu = delta('cpuTimeNs');
  if (cpu !== null && current.vcpus > 0) set('vm.cpu.percent', Math.min(100, (100 * cpu) / (seconds * 1e9 * current.vcpus)));
  const rate = (d: number | null) => (d === null ? null : d / seconds);
  set('vm.disk.read_bps', rate(delta('rdBytes')));
  set('vm.disk.write_bps', rate(delta('wrBytes')));
  set('vm.net.rx_bps', rate(delta('rxBytes')));
  set('vm.net.tx_bps', rate(delta('txBytes')));
  const reads = delta('rdReqs');
  const writes = delta('wrReqs');
  const flushes = delta('flReqs');
  if (reads !== null && writes !== null && flushes !== null) {
    const requests = reads + writes + flushes;
    set('vm.disk.iops', requests / seconds);
    const time = delta('ioTimeNs');
    if (time !== null) set('vm.disk.latency_ms', requests > 0 ? time / requests / 1e6 : 0);
  }
  return out;
}

/** The host's CPU and memory counters at one tick (virNodeGetCPUStats / virNodeGetMemoryStats). */
export interface HostCounters {
  at: number;
  busyNs: number;
  iowaitNs: number;
  totalNs: number;
  memoryTotalKiB: number;
  memoryAvailableKiB: number;
}

export function hostCounters(cpu: readonly TypedParam[], memory: readonly TypedParam[], at: number): HostCounters {
  const value = (list: readonly TypedParam[], field: string) => num(list.find((p) => p.field === field)?.value ?? 0) ?? 0;
  const busy = value(cpu, 'kernel') + value(cpu, 'user');
  const iowait = value(cpu, 'iowait');
  const total = busy + value(cpu, 'idle') + iowait;
  const memoryTotalKiB = value(memory, 'total');
  const memoryAvailableKiB = value(memory, 'free') + value(memory, 'buffers') + value(memory, 'cached');
  return { at, busyNs: busy, iowaitNs: iowait, totalNs: total, memoryTotalKiB, memoryAvailableKiB };
}

/** A host's metrics for one tick, in HOST_METRICS order (load and disk await come from elsewhere). */
export function hostMetricValues(current: HostCounters, previous: HostCounters | undefined, extra: Partial<Record<HostMetric, number>>): Float64Array {
  const out = new Float64Array(HOST_METRICS.length).fill(NaN);
  const set = (metric: HostMetric, value: number | null | undefined) => {
    if (value !== null && value !== undefined && Number.isFinite(value)) out[HOST_METRICS.indexOf(metric)] = value;
  };
  if (current.memoryTotalKiB > 0) {
    const used = Math.max(0, current.memoryTotalKiB - current.memoryAvailableKiB);
    set('host.memory.used_kib', used);
    set('host.memory.used_percent', (100 * used) / current.memoryTotalKiB);
  }
  if (previous && current.totalNs > previous.totalNs) {
    const total = current.totalNs - previous.totalNs;
    set('host.cpu.percent', Math.min(100, Math.max(0, (100 * (current.busyNs - previous.busyNs)) / total)));
    set('host.cpu.iowait_percent', Math.min(100, Math.max(0, (100 * (current.iowaitNs - previous.iowaitNs)) / total)));
  }
  for (const [metric, value] of Object.entries(extra)) set(metric as HostMetric, value);
  return out;
}
