/**
 * Prometheus / OpenMetrics export: an opt-in /metrics endpoint in main with the whole fleet's host and VM
 * figures from the stats tick, named as the widely used libvirt exporter names them.
 */

import type { AssertNever } from './channel-names';

/** Where the endpoint listens. Off by default; loopback unless an address is given (then a token is required). */
export interface MetricsExportConfig {
  enabled: boolean;
  /** 127.0.0.1 (default), ::1, or an explicit address of this computer (0.0.0.0 = every interface). */
  address: string;
  /** TCP port (default 9177, the libvirt exporter's). */
  port: number;
}

export interface MetricsExportState {
  config: MetricsExportConfig;
  /** A bearer token is set (only its hash is kept; the token itself is shown once, when generated). */
  tokenSet: boolean;
  /** The URL Prometheus scrapes, while listening. */
  url: string | null;
  /** Why the endpoint is not listening although enabled (port taken, address not on this computer…). */
  error: string | null;
  /** Scrapes served since the endpoint started, and the last one's time (epoch ms). */
  scrapes: number;
  lastScrapeAt: number | null;
}

export interface MetricsExportCalls {
  'metricsExport.get': { request: null; response: MetricsExportState };
  /** Applies and saves the configuration; a non-loopback address without a token is refused. */
  'metricsExport.set': { request: MetricsExportConfig; response: MetricsExportState };
  /** Generates a new bearer token (replacing any), returned once: VirtDeck keeps only its hash. */
  'metricsExport.newToken': { request: null; response: { token: string; state: MetricsExportState } };
  /** Removes the token (refused while listening on a non-loopback address). */
  'metricsExport.clearToken': { request: null; response: MetricsExportState };
}

export const METRICS_EXPORT_CALLS = [
  'metricsExport.get',
  'metricsExport.set',
  'metricsExport.newToken',
  'metricsExport.clearToken',
] as const satisfies readonly (keyof MetricsExportCalls)[];
export type _MetricsExportCallsListed = AssertNever<Exclude<keyof MetricsExportCalls, (typeof METRICS_EXPORT_CALLS)[number]>>;
