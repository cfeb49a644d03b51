/**
 * Metrics history: host and VM metrics kept across restarts on the workstation (full resolution for the
 * last hour, min/avg/max per minute for 24 h and per 10 minutes for 30 days), read per entity and range.
 */

import type { AssertNever } from './channel-names';

/** Host metrics, one value per stats tick (host.disk.await_ms arrives from the host I/O sampler). */
export const HOST_METRICS = [
  'host.cpu.percent',
  'host.cpu.iowait_percent',
  'host.memory.used_percent',
  'host.memory.used_kib',
  'host.load1',
  'host.disk.await_ms',
] as const;
export type HostMetric = (typeof HOST_METRICS)[number];

/** VM metrics, one value per stats tick (rates and latencies over the tick). */
export const VM_METRICS = [
  'vm.cpu.percent',
  'vm.memory.balloon_kib',
  'vm.memory.guest_used_kib',
  'vm.memory.rss_kib',
  'vm.disk.read_bps',
  'vm.disk.write_bps',
  'vm.disk.iops',
  'vm.disk.latency_ms',
  'vm.net.rx_bps',
  'vm.net.tx_bps',
] as const;
export type VmMetric = (typeof VM_METRICS)[number];

export type MetricName = HostMetric | VmMetric;

/** A host or one of its VMs (identity of VMs is host + UUID). */
export type MetricsEntity = { kind: 'host'; hostId: string } | { kind: 'vm'; hostId: string; uuid: string };

/** The chart ranges the UI offers (ms). */
export const HISTORY_RANGES = {
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '6h': 6 * 60 * 60_000,
  '24h': 24 * 60 * 60_000,
  '7d': 7 * 24 * 60 * 60_000,
  '30d': 30 * 24 * 60 * 60_000,
} as const;
export type HistoryRange = keyof typeof HISTORY_RANGES;

/** One metric over a range: parallel to `times`; NaN-free (a missing point is null). */
export interface MetricSeries {
  avg: (number | null)[];
  /** Only for downsampled resolutions (raw points are their own min and max). */
  min?: (number | null)[];
  max?: (number | null)[];
}

export interface MetricsHistory {
  entity: MetricsEntity;
  /** 'raw' = every tick; '1m' / '10m' = buckets with min/avg/max. */
  resolution: 'raw' | '1m' | '10m';
  from: number;
  to: number;
  /** Epoch ms (bucket starts for downsampled resolutions). */
  times: number[];
  series: Partial<Record<MetricName, MetricSeries>>;
}

export interface MetricsHistoryRequest {
  entity: MetricsEntity;
  /** Epoch ms; the resolution is chosen from the span. */
  from: number;
  to: number;
  metrics?: MetricName[];
}

/** Average of one metric over a range for every VM (key `hostId/uuid`) or host (key `hostId`) with history. */
export interface MetricAverages {
  metric: MetricName;
  range: HistoryRange;
  computedAt: number;
  values: Record<string, number>;
}

export interface MetricsStoreInfo {
  directory: string;
  entities: number;
  bytesOnDisk: number;
}

export interface MetricsHistoryCalls {
  'metricsHistory.read': { request: MetricsHistoryRequest; response: MetricsHistory };
  'metricsHistory.averages': { request: { metric: MetricName; range: HistoryRange }; response: MetricAverages };
  'metricsHistory.info': { request: null; response: MetricsStoreInfo };
}

export const METRICS_HISTORY_CALLS = [
  'metricsHistory.read',
  'metricsHistory.averages',
  'metricsHistory.info',
] as const satisfies readonly (keyof MetricsHistoryCalls)[];
export type _MetricsHistoryCallsListed = AssertNever<Exclude<keyof MetricsHistoryCalls, (typeof METRICS_HISTORY_CALLS)[number]>>;
