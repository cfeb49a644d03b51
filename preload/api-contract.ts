/**
 * The VirtDeck API contract: the one typed API shared by main (handlers), preload (bridge) and renderer
 * (client). This index assembles the areas (preload/contract/<area>.ts: each area's types, its calls,
 * events and streams, and their names) and adds what every area shares: the transports' bridge and
 * wire messages. Types and channel names only — nothing here imports anything at runtime, so every
 * layer can include it without pulling in another layer's code.
 *
 * Three kinds of traffic cross it, over both transports (Electron IPC and the serve-mode WebSocket):
 *  - calls:   request → response, typed per channel in {@link ApiCalls}; failures are typed {@link ApiError}s.
 *  - events:  main → renderer notifications, typed per name in {@link ApiEvents}; subscribe() returns an
 *             unsubscribe function.
 *  - streams: bidirectional byte channels (consoles, screenshots, uploads), opened by kind with typed
 *             parameters from {@link ApiStreams}; bytes travel as Uint8Array (a MessagePort in Electron,
 *             binary WebSocket frames in serve mode).
 *
 * A new area: add preload/contract/<area>.ts (types, `<Area>Calls`, `<AREA>_CALLS`, events/streams when
 * it has any), then one line in each list below.
 */
import { APP_CALLS, type AppCalls } from './contract/app';
import { CONSOLES_CALLS, CONSOLES_STREAMS, type ConsolesCalls, type ConsolesStreams } from './contract/consoles';
import { DOMAIN_BACKUPS_CALLS, DOMAIN_BACKUPS_EVENTS, type DomainBackupsCalls, type DomainBackupsEvents } from './contract/domain-backups';
import { DOMAIN_CLONE_CALLS, DOMAIN_CLONE_EVENTS, type DomainCloneCalls, type DomainCloneEvents } from './contract/domain-clone';
import { DOMAIN_MEDIA_CALLS, type DomainMediaCalls } from './contract/domain-media';
import { DOMAIN_SNAPSHOTS_CALLS, type DomainSnapshotsCalls } from './contract/domain-snapshots';
import { DOMAIN_HARDWARE_CALLS, type DomainHardwareCalls } from './contract/domain-hardware';
import { DOMAIN_TUNING_CALLS, type DomainTuningCalls } from './contract/domain-tuning';
import { DOMAIN_XML_CALLS, type DomainXmlCalls } from './contract/domain-xml';
import { DOMAINS_CALLS, DOMAINS_EVENTS, type DomainsCalls, type DomainsEvents } from './contract/domains';
import type { ApiError, ApiResult } from './contract/errors';
import { FLEET_CALLS, FLEET_EVENTS, type FleetCalls, type FleetEvents } from './contract/fleet';
import { HOST_CONFIG_CALLS, type HostConfigCalls } from './contract/host-config';
import { HOST_DEVICES_CALLS, type HostDevicesCalls } from './contract/host-devices';
import { HOSTS_CALLS, HOSTS_EVENTS, type HostsCalls, type HostsEvents } from './contract/hosts';
import { MIGRATION_CALLS, MIGRATION_EVENTS, type MigrationCalls, type MigrationEvents } from './contract/migration';
import { NEW_VM_CALLS, NEW_VM_EVENTS, type NewVmCalls, type NewVmEvents } from './contract/new-vm';
import { NETWORKS_CALLS, NETWORKS_EVENTS, type NetworksCalls, type NetworksEvents } from './contract/networks';
import { SETTINGS_CALLS, type SettingsCalls } from './contract/settings';
import { METRICS_HISTORY_CALLS, type MetricsHistoryCalls } from './contract/metrics-history';
import { ALERTS_CALLS, ALERTS_EVENTS, type AlertsCalls, type AlertsEvents } from './contract/alerts';
import { STORAGE_CALLS, STORAGE_EVENTS, STORAGE_STREAMS, type StorageCalls, type StorageEvents, type StorageStreams } from './contract/storage';
import { METRICS_EXPORT_CALLS, type MetricsExportCalls } from './contract/metrics-export';
import { HOST_IO_CALLS, HOST_IO_EVENTS, type HostIoCalls, type HostIoEvents } from './contract/host-io';
import { STORAGE_BENCHMARK_CALLS, STORAGE_BENCHMARK_EVENTS, type StorageBenchmarkCalls, type StorageBenchmarkEvents } from './contract/storage-benchmark';
import { GUEST_AGENT_CALLS, type GuestAgentCalls } from './contract/guest-agent';

export * from './contract/app';
export * from './contract/consoles';
export * from './contract/cpuset';
export * from './contract/domain-backups';
export * from './contract/domain-clone';
export * from './contract/domain-media';
export * from './contract/domain-snapshots';
export * from './contract/domain-hardware';
export * from './contract/domain-tuning';
export * from './contract/domain-xml';
export * from './contract/domains';
export * from './contract/errors';
export * from './contract/fleet';
export * from './contract/host-config';
export * from './contract/host-devices';
export * from './contract/long-jobs';
export * from './contract/hosts';
export * from './contract/migration';
export * from './contract/new-vm';
export * from './contract/networks';
export * from './contract/settings';
export * from './contract/storage';
export * from './contract/metrics-export';
export * from './contract/host-io';
export * from './contract/storage-benchmark';
export * from './contract/guest-agent';
export * from './contract/metrics-history';
export * from './contract/alerts';

// ---------------------------------------------------------------------------------------------------
// The whole API: every area's calls, events and streams (a name used twice is a type error).

export interface ApiCalls
  extends AppCalls,
    SettingsCalls,
    HostsCalls,
    DomainsCalls,
    FleetCalls,
    ConsolesCalls,
    DomainXmlCalls,
    DomainTuningCalls,
    HostConfigCalls,
    DomainCloneCalls,
    DomainMediaCalls,
    DomainSnapshotsCalls,
    DomainHardwareCalls,
    NewVmCalls,
    NetworksCalls,
    HostDevicesCalls,
    StorageCalls,
    MetricsExportCalls,
    HostIoCalls,
    StorageBenchmarkCalls,
    GuestAgentCalls,
    MetricsHistoryCalls,
    AlertsCalls,
    MigrationCalls,
    DomainBackupsCalls {}

export interface ApiEvents
  extends HostsEvents,
    DomainsEvents,
    FleetEvents,
    NewVmEvents,
    NetworksEvents,
    StorageEvents,
    DomainCloneEvents,
    HostIoEvents,
    StorageBenchmarkEvents,
    AlertsEvents,
    MigrationEvents,
    DomainBackupsEvents {}

export type ApiStreams = ConsolesStreams & StorageStreams;

export const API_CALL_NAMES = [
  ...APP_CALLS,
  ...SETTINGS_CALLS,
  ...HOSTS_CALLS,
  ...DOMAINS_CALLS,
  ...FLEET_CALLS,
  ...CONSOLES_CALLS,
  ...DOMAIN_XML_CALLS,
  ...DOMAIN_TUNING_CALLS,
  ...DOMAIN_CLONE_CALLS,
  ...DOMAIN_MEDIA_CALLS,
  ...DOMAIN_SNAPSHOTS_CALLS,
  ...DOMAIN_HARDWARE_CALLS,
  ...HOST_CONFIG_CALLS,
  ...NEW_VM_CALLS,
  ...NETWORKS_CALLS,
  ...HOST_DEVICES_CALLS,
  ...STORAGE_CALLS,
  ...METRICS_EXPORT_CALLS,
  ...HOST_IO_CALLS,
  ...STORAGE_BENCHMARK_CALLS,
  ...GUEST_AGENT_CALLS,
  ...METRICS_HISTORY_CALLS,
  ...ALERTS_CALLS,
  ...MIGRATION_CALLS,
  ...DOMAIN_BACKUPS_CALLS,
] as const;
export const API_EVENT_NAMES = [
  ...HOSTS_EVENTS,
  ...DOMAINS_EVENTS,
  ...FLEET_EVENTS,
  ...NEW_VM_EVENTS,
  ...NETWORKS_EVENTS,
  ...STORAGE_EVENTS,
  ...DOMAIN_CLONE_EVENTS,
  ...HOST_IO_EVENTS,
  ...STORAGE_BENCHMARK_EVENTS,
  ...ALERTS_EVENTS,
  ...MIGRATION_EVENTS,
  ...DOMAIN_BACKUPS_EVENTS,
] as const;
export const API_STREAM_KINDS = [...CONSOLES_STREAMS, ...STORAGE_STREAMS] as const;

export type ApiCallName = keyof ApiCalls;
export type ApiRequest<K extends ApiCallName> = ApiCalls[K]['request'];
export type ApiResponse<K extends ApiCallName> = ApiCalls[K]['response'];

export type ApiEventName = keyof ApiEvents;

export type ApiStreamKind = keyof ApiStreams;
export type ApiStreamParams<K extends ApiStreamKind> = ApiStreams[K]['params'];

/** Why a stream ended; `error` is set unless it was a clean close by either side. */
export interface StreamCloseInfo {
  byPeer: boolean;
  error?: ApiError;
}

/** Electron IPC channel names used by the preload bridge and the main shell. */
export const IPC_CHANNELS = {
  call: 'virtdeck:call',
  subscribe: 'virtdeck:subscribe',
  unsubscribe: 'virtdeck:unsubscribe',
  event: 'virtdeck:event',
  streamOpen: 'virtdeck:stream-open',
  /** window.postMessage tag the preload uses to hand a stream's MessagePort to the page. */
  streamPortMessage: 'virtdeck:stream-port',
} as const;

/** Name of the object the preload exposes on `window` via contextBridge. */
export const BRIDGE_GLOBAL = 'virtdeck' as const;

// ---------------------------------------------------------------------------------------------------
// The bridge the preload exposes (Electron). Renderer code never uses it directly: it goes through the
// renderer's client, which picks this bridge or the serve-mode WebSocket.

export interface VirtDeckBridge {
  call<K extends ApiCallName>(name: K, request: ApiRequest<K>): Promise<ApiResult<ApiResponse<K>>>;
  /** Starts delivery of an event; returns a function that stops it. */
  subscribe<K extends ApiEventName>(name: K, listener: (payload: ApiEvents[K]) => void): () => void;
  /**
   * Opens a stream. On success the preload posts `{ type: IPC_CHANNELS.streamPortMessage, streamId }`
   * with the stream's MessagePort to the window; the renderer client matches it by streamId.
   */
  openStream<K extends ApiStreamKind>(
    kind: K,
    params: ApiStreamParams<K>,
  ): Promise<ApiResult<{ streamId: string }>>;
}

/** Messages exchanged on a stream's MessagePort (Electron) — data is a Uint8Array. */
export type StreamPortMessage =
  | { type: 'data'; data: Uint8Array }
  | { type: 'close'; info: StreamCloseInfo };

// ---------------------------------------------------------------------------------------------------
// Serve-mode wire protocol (JSON text frames for control; binary frames carry stream bytes as
// [4-byte big-endian stream number][payload]).

export type ServeClientMessage =
  | { t: 'call'; id: number; name: string; request: unknown }
  | { t: 'subscribe'; name: string }
  | { t: 'unsubscribe'; name: string }
  | { t: 'stream.open'; id: number; kind: string; params: unknown }
  | { t: 'stream.close'; stream: number };

export type ServeServerMessage =
  | { t: 'result'; id: number; result: ApiResult<unknown> }
  | { t: 'event'; name: string; payload: unknown }
  | { t: 'stream.opened'; id: number; result: ApiResult<{ stream: number }> }
  | { t: 'stream.closed'; stream: number; info: StreamCloseInfo };

/** Serve mode: query parameter and cookie that carry the access token. */
export const SERVE_TOKEN_PARAM = 'token' as const;
export const SERVE_SESSION_COOKIE = 'virtdeck_session' as const;
export const SERVE_WEBSOCKET_PATH = '/api' as const;
