import { HOST_METRICS, VM_METRICS, type HostMetric } from '../../../preload/api-contract';
import { statField } from '../../libvirt/client/stats';
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
      const { group, key } = statField(field);
      if (group === 'block') {
        if (key === 'rd.bytes') c.rdBytes += value;
        else if (key === 'rd.reqs') c.rdReqs += value;
        else if (key === 'wr.bytes') c.wrBytes += value;
        else if (key === 'wr.reqs') c.wrReqs += value;
        else if (key === 'fl.reqs') c.flReqs += value;
        else if (key === 'rd.times' || key === 'wr.times' || key === 'fl.times') c.ioTimeNs += value;
      } else if (group === 'net') {
        if (key === 'rx.bytes') c.rxBytes += value;
        else if (key === 'tx.bytes') c.txBytes += value;
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
  // No closure per call and no search of VM_METRICS per value: this runs for every guest on every tick.
  const out = new Float64Array(VM_METRICS.length).fill(NaN);
  if (!current.running) return out;
  setValue(out, VM.balloon, current.balloonKiB || null);
  const free = current.usableKiB ?? current.unusedKiB;
  if (current.availableKiB !== null && free !== null) setValue(out, VM.guestUsed, Math.max(0, current.availableKiB - free));
  setValue(out, VM.rss, current.rssKiB);
  if (!previous || !previous.running || current.at <= previous.at) return out;
  const seconds = (current.at - previous.at) / 1000;
  const cpu = counterDelta(current.cpuTimeNs, previous.cpuTimeNs);
  if (cpu !== null && current.vcpus > 0) setValue(out, VM.cpu, Math.min(100, (100 * cpu) / (seconds * 1e9 * current.vcpus)));
  setValue(out, VM.diskRead, perSecond(counterDelta(current.rdBytes, previous.rdBytes), seconds));
  setValue(out, VM.diskWrite, perSecond(counterDelta(current.wrBytes, previous.wrBytes), seconds));
  setValue(out, VM.netRx, perSecond(counterDelta(current.rxBytes, previous.rxBytes), seconds));
  setValue(out, VM.netTx, perSecond(counterDelta(current.txBytes, previous.txBytes), seconds));
  const reads = counterDelta(current.rdReqs, previous.rdReqs);
  const writes = counterDelta(current.wrReqs, previous.wrReqs);
  const flushes = counterDelta(current.flReqs, previous.flReqs);
  if (reads !== null && writes !== null && flushes !== null) {
    const requests = reads + writes + flushes;
    setValue(out, VM.iops, requests / seconds);
    const time = counterDelta(current.ioTimeNs, previous.ioTimeNs);
    if (time !== null) setValue(out, VM.latency, requests > 0 ? time / requests / 1e6 : 0);
  }
  return out;
}

/** Each VM metric's place in VM_METRICS (and so in a row). */
const VM = {
  cpu: VM_METRICS.indexOf('vm.cpu.percent'),
  balloon: VM_METRICS.indexOf('vm.memory.balloon_kib'),
  guestUsed: VM_METRICS.indexOf('vm.memory.guest_used_kib'),
  rss: VM_METRICS.indexOf('vm.memory.rss_kib'),
  diskRead: VM_METRICS.indexOf('vm.disk.read_bps'),
  diskWrite: VM_METRICS.indexOf('vm.disk.write_bps'),
  iops: VM_METRICS.indexOf('vm.disk.iops'),
  latency: VM_METRICS.indexOf('vm.disk.latency_ms'),
  netRx: VM_METRICS.indexOf('vm.net.rx_bps'),
  netTx: VM_METRICS.indexOf('vm.net.tx_bps'),
} as const;

function setValue(out: Float64Array, index: number, value: number | null): void {
  if (value !== null && Number.isFinite(value)) out[index] = value;
}

/** A counter's growth since the previous tick; null when it began again (guest restarted, device removed). */
function counterDelta(current: number, previous: number): number | null {
  const d = current - previous;
  return d >= 0 ? d : null;
}

function perSecond(delta: number | null, seconds: number): number | null {
  return delta === null ? null : delta / seconds;
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
