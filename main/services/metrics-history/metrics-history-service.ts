import { join } from 'node:path';
import {
  HISTORY_RANGES,
  HOST_METRICS,
  VM_METRICS,
  type HistoryRange,
  type HostMetric,
  type MetricAverages,
  type MetricName,
  type MetricSeries,
  type MetricsEntity,
  type MetricsHistory,
  type MetricsStoreInfo,
} from '../../../preload/api-contract';
import type { TypedParam } from '../../libvirt/client/typed-params';
import type { DomainSample } from '../fleet/fleet-port';
import { hostCounters, hostMetricValues, vmCounters, vmMetricValues, type HostCounters, type VmCounters } from './metric-extraction';
import { MetricsStore } from './metrics-store';

export interface MetricsHistoryOptions {
  /** The store's directory (`<config dir>/metrics-history`). */
  directory: string;
  /** How often buffered rows are appended to disk. */
  flushMs?: number;
  /** How often expired segments are deleted. */
  pruneMs?: number;
  now?: () => number;
  /** Every sample's values, for the alert rules (evaluated in main, on every sample). */
  onValues?(entity: MetricsEntity, at: number, values: Record<string, number>, name: string): void;
}

/** Host samples as the host link produces them on the stats tick. */
export interface HostSample {
  at: number;
  cpu: readonly TypedParam[];
  memory: readonly TypedParam[];
}

interface VmState {
  counters: VmCounters | undefined;
  storeKey: string;
  entity: MetricsEntity;
}

const ignore = (): void => undefined;

function toRecord(names: readonly string[], values: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < names.length; i++) {
    const value = values[i];
    if (value !== undefined && Number.isFinite(value)) out[names[i] as string] = value;
  }
  return out;
}

function nullable(values: readonly number[]): (number | null)[] {
  return values.map((v) => (Number.isFinite(v) ? v : null));
}

/**
 * Host and VM metrics kept across restarts (see metrics-store.ts): fed by the fleet's bulk stats tick and
 * the host sample on the same tick, read per entity and range for charts and per metric for the fleet.
 */
export class MetricsHistoryService {
  readonly store: MetricsStore;
  /** Per host, its VMs of the last tick. */
  private readonly vms = new Map<string, Map<string, VmState>>();
  private readonly previousHost = new Map<string, HostCounters>();
  /** Host metrics that arrive on their own (load average, disk await), merged into the next host row. */
  private readonly extra = new Map<string, Partial<Record<HostMetric, { value: number; at: number }>>>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly now: () => number;
  private readonly averagesCache = new Map<string, MetricAverages>();

  constructor(private readonly options: MetricsHistoryOptions) {
    this.now = options.now ?? Date.now;
    this.store = new MetricsStore(options.directory, this.now);
    const flush = setInterval(() => void this.store.flush(), options.flushMs ?? 15_000);
    const prune = setInterval(() => void this.store.prune().catch(() => undefined), options.pruneMs ?? 10 * 60_000);
    flush.unref?.();
    prune.unref?.();
    this.timers.push(flush, prune);
    void this.store.prune().catch(() => undefined);
  }

  static directoryIn(configDir: string): string {
    return join(configDir, 'metrics-history');
  }

  /** One fleet tick of a host: every VM's bulk stats. */
  recordDomains(hostId: string, samples: readonly DomainSample[], at: number): void {
    // Per host, per VM: its last counters and its store key and entity, made once (not per tick).
    const before = this.vms.get(hostId);
    const now = new Map<string, VmState>();
    for (const sample of samples) {
      let state = before?.get(sample.uuid);
      if (!state) {
        state = {
          counters: undefined,
          storeKey: `vm/${hostId}/${sample.uuid}`,
          entity: { kind: 'vm', hostId, uuid: sample.uuid },
        };
      }
      now.set(sample.uuid, state);
      const counters = vmCounters(sample.params ?? [], at, sample.state === 'running', sample.vcpus);
      const values = vmMetricValues(counters, state.counters);
      state.counters = counters;
      if (sample.state !== 'running') continue;
      this.store.add(state.storeKey, VM_METRICS, at, values).catch(ignore);
      this.options.onValues?.(state.entity, at, toRecord(VM_METRICS, values), sample.name);
    }
    if (before) for (const [uuid, state] of before) if (!now.has(uuid)) this.store.forget(state.storeKey);
    this.vms.set(hostId, now);
  }

  /** The host's CPU and memory counters on the same tick. */
  recordHost(hostId: string, sample: HostSample): void {
    const counters = hostCounters(sample.cpu, sample.memory, sample.at);
    const previous = this.previousHost.get(hostId);
    this.previousHost.set(hostId, counters);
    const extra: Partial<Record<HostMetric, number>> = {};
    for (const [metric, entry] of Object.entries(this.extra.get(hostId) ?? {})) {
      // A value measured on its own clock counts for the rows within 30 s of it.
      if (entry && sample.at - entry.at <= 30_000) extra[metric as HostMetric] = entry.value;
    }
    const values = hostMetricValues(counters, previous, extra);
    this.store.add(`host/${hostId}`, HOST_METRICS, sample.at, values).catch(ignore);
    const record = toRecord(HOST_METRICS, values);
    // Values measured on their own clock were evaluated when they arrived.
    for (const metric of Object.keys(extra)) delete record[metric];
    this.options.onValues?.({ kind: 'host', hostId }, sample.at, record, hostId);
  }

  /**
   * A host metric measured on its own (the host I/O sampler's `host.disk.await_ms`, the load average):
   * stored with the next host row and evaluated by the alert rules now.
   */
  recordHostMetric(hostId: string, metric: HostMetric, value: number, at: number = this.now()): void {
    if (!Number.isFinite(value)) return;
    const entries = this.extra.get(hostId) ?? {};
    entries[metric] = { value, at };
    this.extra.set(hostId, entries);
    this.options.onValues?.({ kind: 'host', hostId }, at, { [metric]: value }, hostId);
  }

  /** The host's connection is gone for good (removed): forget its counters. */
  forgetHost(hostId: string): void {
    this.previousHost.delete(hostId);
    this.extra.delete(hostId);
    this.vms.delete(hostId);
  }

  async read(entity: MetricsEntity, from: number, to: number, metrics?: MetricName[]): Promise<MetricsHistory> {
    const key = entity.kind === 'host' ? `host/${entity.hostId}` : `vm/${entity.hostId}/${entity.uuid}`;
    const result = await this.store.read(key, from, to, metrics);
    const series: Partial<Record<MetricName, MetricSeries>> = {};
    for (const [name, avg] of result.avg) {
      const entry: MetricSeries = { avg: nullable(avg) };
      const min = result.min?.get(name);
      const max = result.max?.get(name);
      if (min) entry.min = nullable(min);
      if (max) entry.max = nullable(max);
      series[name as MetricName] = entry;
    }
    return { entity, resolution: result.tier, from, to, times: result.times, series };
  }

  /** Every VM's (or host's) average of one metric over the range; cached for a tenth of... at most 30 s. */
  async averages(metric: MetricName, range: HistoryRange): Promise<MetricAverages> {
    const cacheKey = `${metric}|${range}`;
    const now = this.now();
    const cached = this.averagesCache.get(cacheKey);
    if (cached && now - cached.computedAt < 30_000) return cached;
    const prefix = metric.startsWith('host.') ? 'host' : 'vm';
    const found = await this.store.averages(prefix, metric, now - HISTORY_RANGES[range]);
    const values: Record<string, number> = {};
    for (const [key, value] of found) values[key.slice(prefix.length + 1)] = value;
    const result: MetricAverages = { metric, range, computedAt: now, values };
    this.averagesCache.set(cacheKey, result);
    return result;
  }

  async info(): Promise<MetricsStoreInfo> {
    const usage = await this.store.usage();
    return { directory: this.options.directory, entities: usage.entities, bytesOnDisk: usage.bytes };
  }

  async dispose(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.store.close();
  }
}
