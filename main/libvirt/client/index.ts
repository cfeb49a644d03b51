/**
 * The libvirt client: one connection (handshake, reconnect, calls, events) with one module per libvirt
 * object on it (client.domain, client.storagePool, … — main/libvirt/objects/).
 * Plain Node (no Electron); the transport is whatever Duplex the dialer returns.
 */
export {
  LibvirtClient,
  ClientClosedError,
  type Dialer,
  type ClientState,
  type StateChange,
  type ReconnectOptions,
  type LibvirtClientOptions,
  type LibvirtClientEvents,
  type Subscription,
} from './libvirt-client';
export { versionString, type ConnectInfo, type NodeInfo } from '../objects/host';
export type { DomainInfo, DomainInterface } from '../objects/domain';
export type { DhcpLease } from '../objects/network';
export type { StreamOpenOptions } from '../objects/streams';
export type { Secret } from '../objects/secret';
export {
  handshake,
  HandshakeError,
  VIR_DRV_FEATURE_PROGRAM_KEEPALIVE,
  VIR_DRV_FEATURE_REMOTE_EVENT_CALLBACK,
  VIR_DRV_FEATURE_REMOTE_CLOSE_CALLBACK,
  type HandshakeOptions,
  type HandshakeResult,
} from './handshake';
export {
  DOMAIN_EVENT_IDS,
  NETWORK_EVENT_IDS,
  STORAGE_POOL_EVENT_IDS,
  eventNameOf,
  lifecycleEventName,
  normalizeEventBody,
  type DomainEvent,
  type DomainEventName,
  type DomainEventData,
  type NetworkEvent,
  type NetworkEventName,
  type StoragePoolEvent,
  type StoragePoolEventName,
} from './events';
export { statField, summarizeDomainStats, type DomainStatsRecord, type DomainSummary, type StatField } from './stats';
export {
  tp,
  fromRemoteTypedParam,
  fromRemoteTypedParams,
  toRemoteTypedParam,
  toRemoteTypedParams,
  typedParamsToMap,
  typedParamsToRecord,
  typedParamsToJson,
  getParam,
  getAllParams,
  paramNumber,
  paramBigint,
  paramString,
  groupIndexed,
  type TypedParam,
  type TypedParamType,
  type TypedParamValue,
} from './typed-params';
export {
  uuidToString,
  uuidFromString,
  fromRemoteDomain,
  toRemoteDomain,
  type Domain,
  type DomainRef,
  type Network,
  type NetworkRef,
  type StoragePool,
  type StoragePoolRef,
  type StorageVol,
  type StorageVolRef,
  type DomainSnapshot,
} from './types';
export {
  LibvirtError,
  isLibvirtError,
  ConnectionClosedError,
  CallTimeoutError,
  CallAbortedError,
  ProtocolError,
  StreamOverflowError,
  RpcStream,
  isStreamHole,
  type CloseReason,
  type StreamHole,
} from '../rpc';
