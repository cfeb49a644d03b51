/**
 * Event names, payload types and normalisation for the callback-style event registrations
 * (CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY 316, NETWORK 313, STORAGE_POOL 368).
 *
 * The daemon's MESSAGE payloads come in two shapes: older domain events wrap the legacy message
 * (`{callbackID, msg: {dom, …}}`, PM events add a `reason` outside), newer ones are flat
 * (`{callbackID, dom, …}`). Handlers get one shape: `{ type, eventId, domain, data }` where `data`
 * is the payload without callbackID and the object, typed params converted to TypedParam[].
 * The event ID → procedure mapping comes from the generated tables (remote-events.gen.ts).
 */
import {
  domainEvents,
  enumName,
  networkEvents,
  storagePoolEvents,
  virDomainEventType,
  type EventFamilyInfo,
  type RemoteDomainEventBlockJob2Msg,
  type RemoteDomainEventBlockThresholdMsg,
  type RemoteDomainEventCallbackAgentLifecycleMsg,
  type RemoteDomainEventCallbackBalloonChangeMsg,
  type RemoteDomainEventCallbackBlockJobMsg,
  type RemoteDomainEventCallbackControlErrorMsg,
  type RemoteDomainEventCallbackDeviceAddedMsg,
  type RemoteDomainEventCallbackDeviceRemovalFailedMsg,
  type RemoteDomainEventCallbackDeviceRemovedMsg,
  type RemoteDomainEventCallbackDiskChangeMsg,
  type RemoteDomainEventCallbackGraphicsMsg,
  type RemoteDomainEventCallbackIoErrorMsg,
  type RemoteDomainEventCallbackIoErrorReasonMsg,
  type RemoteDomainEventCallbackJobCompletedMsg,
  type RemoteDomainEventCallbackLifecycleMsg,
  type RemoteDomainEventCallbackMetadataChangeMsg,
  type RemoteDomainEventCallbackMigrationIterationMsg,
  type RemoteDomainEventCallbackPmsuspendDiskMsg,
  type RemoteDomainEventCallbackPmsuspendMsg,
  type RemoteDomainEventCallbackPmwakeupMsg,
  type RemoteDomainEventCallbackRebootMsg,
  type RemoteDomainEventCallbackRtcChangeMsg,
  type RemoteDomainEventCallbackTrayChangeMsg,
  type RemoteDomainEventCallbackTunableMsg,
  type RemoteDomainEventCallbackWatchdogMsg,
  type RemoteDomainEventMemoryDeviceSizeChangeMsg,
  type RemoteDomainEventMemoryFailureMsg,
  type RemoteDomainEventNicMacChangeMsg,
  type RemoteNetworkEventCallbackMetadataChangeMsg,
  type RemoteNetworkEventLifecycleMsg,
  type RemoteNonnullDomain,
  type RemoteNonnullNetwork,
  type RemoteNonnullStoragePool,
  type RemoteStoragePoolEventLifecycleMsg,
  type RemoteStoragePoolEventRefreshMsg,
  type RemoteTypedParam,
} from '../protocol';
import { fromRemoteTypedParams, type TypedParam } from './typed-params';
import {
  fromRemoteDomain,
  fromRemoteNetwork,
  fromRemoteStoragePool,
  type Domain,
  type Network,
  type StoragePool,
} from './types';

/** Domain event names → virDomainEventID (checked against the generated table by a unit test). */
export const DOMAIN_EVENT_IDS = {
  lifecycle: 0,
  reboot: 1,
  'rtc-change': 2,
  watchdog: 3,
  'io-error': 4,
  graphics: 5,
  'io-error-reason': 6,
  'control-error': 7,
  'block-job': 8,
  'disk-change': 9,
  'tray-change': 10,
  pmwakeup: 11,
  pmsuspend: 12,
  'balloon-change': 13,
  'pmsuspend-disk': 14,
  'device-removed': 15,
  'block-job-2': 16,
  tunable: 17,
  'agent-lifecycle': 18,
  'device-added': 19,
  'migration-iteration': 20,
  'job-completed': 21,
  'device-removal-failed': 22,
  'metadata-change': 23,
  'block-threshold': 24,
  'memory-failure': 25,
  'memory-device-size-change': 26,
  'nic-mac-change': 27,
} as const;
export type DomainEventName = keyof typeof DOMAIN_EVENT_IDS;

export const NETWORK_EVENT_IDS = { lifecycle: 0, 'metadata-change': 1 } as const;
export type NetworkEventName = keyof typeof NETWORK_EVENT_IDS;

export const STORAGE_POOL_EVENT_IDS = { lifecycle: 0, refresh: 1 } as const;
export type StoragePoolEventName = keyof typeof STORAGE_POOL_EVENT_IDS;

/** The name used here for a generated event ID name: VIR_DOMAIN_EVENT_ID_RTC_CHANGE → rtc-change. */
export function eventNameOf(idName: string): string {
  return idName
    .replace(/^VIR_(DOMAIN|NETWORK|STORAGE_POOL|NODE_DEVICE|SECRET)_EVENT_ID_/, '')
    .toLowerCase()
    .replace(/_/g, '-');
}

// ---- payload types -----------------------------------------------------------------------------

type Flatten<M> = M extends { msg: infer Inner } ? Omit<M, 'msg'> & Inner : M;
type ObjectKey = 'callbackID' | 'dom' | 'net' | 'pool';
type Friendly<M> = {
  [K in keyof Flatten<M> as K extends ObjectKey ? never : K]: Flatten<M>[K] extends RemoteTypedParam[]
    ? TypedParam[]
    : Flatten<M>[K];
};

/** `data` of each domain event (payload minus callbackID and the domain). */
export interface DomainEventData {
  lifecycle: Friendly<RemoteDomainEventCallbackLifecycleMsg>;
  reboot: Friendly<RemoteDomainEventCallbackRebootMsg>;
  'rtc-change': Friendly<RemoteDomainEventCallbackRtcChangeMsg>;
  watchdog: Friendly<RemoteDomainEventCallbackWatchdogMsg>;
  'io-error': Friendly<RemoteDomainEventCallbackIoErrorMsg>;
  graphics: Friendly<RemoteDomainEventCallbackGraphicsMsg>;
  'io-error-reason': Friendly<RemoteDomainEventCallbackIoErrorReasonMsg>;
  'control-error': Friendly<RemoteDomainEventCallbackControlErrorMsg>;
  'block-job': Friendly<RemoteDomainEventCallbackBlockJobMsg>;
  'disk-change': Friendly<RemoteDomainEventCallbackDiskChangeMsg>;
  'tray-change': Friendly<RemoteDomainEventCallbackTrayChangeMsg>;
  pmwakeup: Friendly<RemoteDomainEventCallbackPmwakeupMsg>;
  pmsuspend: Friendly<RemoteDomainEventCallbackPmsuspendMsg>;
  'balloon-change': Friendly<RemoteDomainEventCallbackBalloonChangeMsg>;
  'pmsuspend-disk': Friendly<RemoteDomainEventCallbackPmsuspendDiskMsg>;
  'device-removed': Friendly<RemoteDomainEventCallbackDeviceRemovedMsg>;
  'block-job-2': Friendly<RemoteDomainEventBlockJob2Msg>;
  tunable: Friendly<RemoteDomainEventCallbackTunableMsg>;
  'agent-lifecycle': Friendly<RemoteDomainEventCallbackAgentLifecycleMsg>;
  'device-added': Friendly<RemoteDomainEventCallbackDeviceAddedMsg>;
  'migration-iteration': Friendly<RemoteDomainEventCallbackMigrationIterationMsg>;
  'job-completed': Friendly<RemoteDomainEventCallbackJobCompletedMsg>;
  'device-removal-failed': Friendly<RemoteDomainEventCallbackDeviceRemovalFailedMsg>;
  'metadata-change': Friendly<RemoteDomainEventCallbackMetadataChangeMsg>;
  'block-threshold': Friendly<RemoteDomainEventBlockThresholdMsg>;
  'memory-failure': Friendly<RemoteDomainEventMemoryFailureMsg>;
  'memory-device-size-change': Friendly<RemoteDomainEventMemoryDeviceSizeChangeMsg>;
  'nic-mac-change': Friendly<RemoteDomainEventNicMacChangeMsg>;
}

export interface DomainEvent<N extends DomainEventName = DomainEventName> {
  readonly type: N;
  readonly eventId: (typeof DOMAIN_EVENT_IDS)[N];
  readonly domain: Domain;
  readonly data: DomainEventData[N];
}

export interface NetworkEventData {
  lifecycle: Friendly<RemoteNetworkEventLifecycleMsg>;
  'metadata-change': Friendly<RemoteNetworkEventCallbackMetadataChangeMsg>;
}

export interface NetworkEvent<N extends NetworkEventName = NetworkEventName> {
  readonly type: N;
  readonly eventId: (typeof NETWORK_EVENT_IDS)[N];
  readonly network: Network;
  readonly data: NetworkEventData[N];
}

export interface StoragePoolEventData {
  lifecycle: Friendly<RemoteStoragePoolEventLifecycleMsg>;
  refresh: Friendly<RemoteStoragePoolEventRefreshMsg>;
}

export interface StoragePoolEvent<N extends StoragePoolEventName = StoragePoolEventName> {
  readonly type: N;
  readonly eventId: (typeof STORAGE_POOL_EVENT_IDS)[N];
  readonly pool: StoragePool;
  readonly data: StoragePoolEventData[N];
}

// ---- normalisation -----------------------------------------------------------------------------

export interface NormalizedEvent {
  readonly callbackID: number;
  /** The raw object struct (`dom`, `net` or `pool`), or null if absent. */
  readonly object: RemoteNonnullDomain | RemoteNonnullNetwork | RemoteNonnullStoragePool | null;
  readonly data: Record<string, unknown>;
}

function isRemoteTypedParamArray(v: unknown): v is RemoteTypedParam[] {
  return (
    Array.isArray(v) && v.every((p) => typeof p === 'object' && p !== null && 'field' in p && 'value' in p)
  );
}

/** Flattens `{callbackID, [reason], msg: {dom, …}}` and `{callbackID, dom, …}` into one shape. */
export function normalizeEventBody(body: unknown): NormalizedEvent | null {
  if (typeof body !== 'object' || body === null) return null;
  const outer = body as Record<string, unknown>;
  if (typeof outer.callbackID !== 'number') return null;
  let merged: Record<string, unknown> = { ...outer };
  const inner = outer.msg;
  if (
    typeof inner === 'object' &&
    inner !== null &&
    !Array.isArray(inner) &&
    !(inner instanceof Uint8Array)
  ) {
    delete merged.msg;
    merged = { ...(inner as Record<string, unknown>), ...merged };
  }
  const callbackID = merged.callbackID as number;
  delete merged.callbackID;
  let object: NormalizedEvent['object'] = null;
  for (const key of ['dom', 'net', 'pool'] as const) {
    if (key in merged) {
      object = merged[key] as NonNullable<NormalizedEvent['object']>;
      delete merged[key];
      break;
    }
  }
  for (const [k, v] of Object.entries(merged)) {
    if (isRemoteTypedParamArray(v)) merged[k] = fromRemoteTypedParams(v);
  }
  return { callbackID, object, data: merged };
}

export type EventFamilyName = EventFamilyInfo['family'];

/** Builds the user-facing event object of a family from a normalised payload. */
export function buildFamilyEvent(
  family: EventFamilyInfo,
  eventId: number,
  n: NormalizedEvent,
): DomainEvent | NetworkEvent | StoragePoolEvent | null {
  const info = family.events[eventId];
  if (!info || !n.object) return null;
  const type = eventNameOf(info.name);
  switch (family.family) {
    case 'domain':
      return {
        type: type as DomainEventName,
        eventId: eventId as DomainEvent['eventId'],
        domain: fromRemoteDomain(n.object as RemoteNonnullDomain),
        data: n.data as unknown as DomainEvent['data'],
      };
    case 'network':
      return {
        type: type as NetworkEventName,
        eventId: eventId as NetworkEvent['eventId'],
        network: fromRemoteNetwork(n.object as RemoteNonnullNetwork),
        data: n.data as unknown as NetworkEvent['data'],
      };
    case 'storagePool':
      return {
        type: type as StoragePoolEventName,
        eventId: eventId as StoragePoolEvent['eventId'],
        pool: fromRemoteStoragePool(n.object as RemoteNonnullStoragePool),
        data: n.data as unknown as StoragePoolEvent['data'],
      };
    default:
      return null;
  }
}

export const EVENT_FAMILIES = {
  domain: domainEvents,
  network: networkEvents,
  storagePool: storagePoolEvents,
} as const;

/** 'VIR_DOMAIN_EVENT_STARTED' for a lifecycle event's `event` value. */
export function lifecycleEventName(event: number): string | undefined {
  return enumName(virDomainEventType, event);
}
