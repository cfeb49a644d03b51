/**
 * The VirtDeck API contract: the one module shared by main (handlers), preload (bridge) and renderer
 * (client). Types and channel names only — this file must never import anything at runtime, so that
 * every layer can include it without pulling in another layer's code.
 *
 * Three kinds of traffic cross it, over both transports (Electron IPC and the serve-mode WebSocket):
 *  - calls:   request → response, typed per channel in {@link ApiCalls}; failures are typed {@link ApiError}s.
 *  - events:  main → renderer notifications, typed per name in {@link ApiEvents}; subscribe() returns an
 *             unsubscribe function.
 *  - streams: bidirectional byte channels (consoles, screenshots, uploads), opened by kind with typed
 *             parameters from {@link ApiStreams}; bytes travel as Uint8Array (a MessagePort in Electron,
 *             binary WebSocket frames in serve mode).
 */

// ---------------------------------------------------------------------------------------------------
// Domain types that cross the contract

export type TransportKind = 'electron' | 'serve';

export interface AppInfo {
  name: string;
  version: string;
  /** How this renderer reaches the main services. */
  transport: TransportKind;
  /** Platform of the process running the services (node's process.platform). */
  platform: string;
  /** Directory holding the user's VirtDeck configuration (hosts list, settings). */
  configDir: string;
}

/** How VirtDeck reaches libvirt on a host. */
export type LibvirtTransportChoice = 'auto' | 'ssh-helper' | 'ssh-socket' | 'local-socket';

/** A host as the user saved it. Never contains secrets (passwords, passphrases, keys). */
export interface HostEntry {
  id: string;
  displayName: string;
  ssh: {
    user: string;
    host: string;
    port: number;
    /** Path to a private key file on this computer; absent means ssh-agent / ~/.ssh/config. */
    identityFile?: string;
    /** OpenSSH ProxyJump syntax: `user@jump1:22,jump2`. */
    proxyJump?: string;
  };
  libvirtUri: string;
  transport: LibvirtTransportChoice;
  tags: string[];
  group?: string;
}

/** What the user fills in to add or edit a host; the id is assigned by main. */
export type HostDraft = Omit<HostEntry, 'id'>;

/** A `Host` entry of the user's ~/.ssh/config, resolved as ssh would, offered for import. */
export interface SshConfigCandidate {
  alias: string;
  hostName: string;
  user: string;
  port: number;
  proxyJump: string | null;
}

export interface AppSettings {
  /** How often every connected host's guests are sampled. */
  statsIntervalMs: number;
}

/** How a host's connection stands. Always visible per host in the UI. */
export type HostConnectionState =
  | { kind: 'disconnected' }
  | { kind: 'connecting'; step: 'ssh' | 'libvirt' }
  | {
      kind: 'connected';
      hostname: string;
      libvirtVersion: string;
      hypervisorVersion: string;
      /** How the libvirt stream is carried. */
      transport: Exclude<LibvirtTransportChoice, 'auto'>;
    }
  /** Waiting for the user: a host key to confirm or a secret to type; see {@link HostPrompt}. */
  | { kind: 'needs-input'; promptId: string }
  /** Could not connect; `reason` is the real one (refused, timeout, auth, changed host key…). */
  | { kind: 'unreachable'; reason: string; hostKeyChanged: boolean }
  /** Was connected and lost it; retrying with backoff. */
  | { kind: 'lost'; reason: string; attempt: number; retryAt: number };

export interface HostStatus {
  hostId: string;
  state: HostConnectionState;
  /** Epoch ms of the last state change. */
  since: number;
}

/** Something a host connection needs from the user, asked once per host per session. */
export type HostPrompt =
  | {
      promptId: string;
      hostId: string;
      kind: 'host-key';
      host: string;
      port: number;
      keyType: string;
      /** `SHA256:` + unpadded base64, exactly as `ssh-keygen -lf` prints it. */
      fingerprint: string;
    }
  | {
      promptId: string;
      hostId: string;
      kind: 'secret';
      secret: 'passphrase' | 'password' | 'keyboard-interactive';
      /** What the server or key asks, e.g. "Passphrase for ~/.ssh/id_ed25519". */
      message: string;
      echo: boolean;
    };

export type HostPromptAnswer =
  | { promptId: string; kind: 'host-key'; decision: 'accept-once' | 'accept-and-save' | 'reject' }
  | { promptId: string; kind: 'secret'; value: string | null };

/** libvirt's domain states (virDomainState). */
export type DomainState =
  | 'nostate'
  | 'running'
  | 'blocked'
  | 'paused'
  | 'shutdown'
  | 'shutoff'
  | 'crashed'
  | 'pmsuspended';

/** One guest as the fleet table shows it. Identity is (hostId, uuid). */
export interface FleetDomain {
  hostId: string;
  uuid: string;
  name: string;
  state: DomainState;
  persistent: boolean;
  autostart: boolean;
  vcpus: number;
  /** Current memory (balloon) in KiB. */
  memoryKiB: number;
  maxMemoryKiB: number;
  /** Guest CPU use over the last tick as a share of all its vCPUs, 0–100; null until two samples exist. */
  cpuPercent: number | null;
  /** Guest addresses from the agent or DHCP leases, when known. */
  addresses: string[];
}

/** Where a graphics console listens on its host. */
export type GraphicsListen =
  | { type: 'address'; address: string; port: number | null; tlsPort: number | null }
  | { type: 'socket'; path: string }
  | { type: 'none' };

/** A guest screenshot: libvirt's MIME type (QEMU gives image/png) and the bytes in base64. */
export interface DomainScreenshot {
  mime: string;
  dataBase64: string;
}

/** A guest, identified across hosts. */
export interface DomainRef {
  hostId: string;
  uuid: string;
}

/** Lifecycle and housekeeping actions on one guest or many (across hosts). */
export type DomainAction =
  | 'start'
  | 'shutdown'
  | 'reboot'
  | 'destroy'
  | 'reset'
  | 'suspend'
  | 'resume'
  | 'managedSave'
  | 'autostartOn'
  | 'autostartOff'
  | 'delete';

/** Actions that lose guest state or data: the UI confirms them with the names. */
export const DESTRUCTIVE_ACTIONS = ['destroy', 'reset', 'delete'] as const satisfies readonly DomainAction[];

export interface DomainActionRequest {
  /** Made by the client; a request with an id already seen is not run again. */
  actionId: string;
  action: DomainAction;
  targets: DomainRef[];
  /** For delete: storage volumes (by path) the user confirmed to remove with the guest. */
  removeStoragePaths?: string[];
}

export type DomainActionItemResult = DomainRef & { name: string } & ({ ok: true } | { ok: false; error: ApiError });

export interface DomainActionProgress {
  actionId: string;
  item: DomainRef & { name: string };
  status: 'running' | 'done' | 'failed';
  error?: ApiError;
}

/** What deleting a guest involves, shown before the user confirms. */
export interface DomainDeletionPlan {
  ref: DomainRef;
  name: string;
  running: boolean;
  hasManagedSave: boolean;
  snapshots: number;
  hasNvram: boolean;
  hasTpm: boolean;
  /** Disks whose storage could be removed with the guest (file/block/volume), by path. */
  volumes: Array<{ path: string; target: string; device: string }>;
}

/** What the VM page shows about a guest, parsed from its domain XML (secrets reduced to flags). */
export interface DomainDetails {
  hostId: string;
  uuid: string;
  name: string;
  title: string | null;
  description: string | null;
  /** Hypervisor type: kvm, qemu, … */
  virtType: string;
  arch: string | null;
  machine: string | null;
  firmware: string | null;
  cpuMode: string | null;
  vcpus: { current: number; max: number };
  memoryKiB: { current: number; max: number };
  disks: Array<{
    device: string;
    target: string;
    bus: string | null;
    /** File path, block device, pool/volume or network name, as the XML gives it. */
    source: string | null;
    sourceType: string;
    format: string | null;
    cache: string | null;
    io: string | null;
    readonly: boolean;
  }>;
  interfaces: Array<{ type: string; mac: string | null; source: string | null; model: string | null; target: string | null }>;
  graphics: Array<{ type: string; listen: GraphicsListen; autoport: boolean; hasPassword: boolean }>;
  consoles: Array<{ kind: 'serial' | 'console'; type: string; targetType: string | null; port: number | null; alias: string | null }>;
  guestAgentChannel: boolean;
  balloonModel: string | null;
  tpm: boolean;
}

/** What the host page shows about a host. */
export interface HostOverview {
  hostId: string;
  hostname: string;
  libvirtVersion: string;
  hypervisorVersion: string;
  node: {
    cpuModel: string;
    cpus: number;
    mhz: number;
    numaNodes: number;
    sockets: number;
    cores: number;
    threads: number;
    memoryKiB: number;
  };
  /** From the capabilities XML. */
  capabilities: { arch: string; domainTypes: string[]; machines: string[] };
  storagePools: Array<{
    name: string;
    active: boolean;
    capacityBytes: number;
    allocationBytes: number;
    availableBytes: number;
  }>;
}

/** Host CPU and memory use over time (oldest first), sampled by the fleet tick. */
export interface HostHistory {
  hostId: string;
  times: number[];
  cpuPercent: number[];
  memoryUsedKiB: number[];
  memoryTotalKiB: number;
}

/** One read-only check of a host (virtualisation support, IOMMU, hugepages…), with its evidence. */
export interface HostCheck {
  id: 'cpu-virtualization' | 'kvm-modules' | 'dev-kvm' | 'iommu' | 'hugepages' | 'virt-host-validate';
  status: 'ok' | 'info' | 'warn' | 'fail';
  /** Message variant and its values; the renderer translates `hostChecks.<id>.<variant>`. */
  variant: string;
  values: Record<string, string | number>;
  /** What the host printed (the raw evidence, untranslated). */
  evidence: string;
}

/** One host's guests, as published on every change and every stats tick. */
export interface FleetHostDomains {
  hostId: string;
  domains: FleetDomain[];
  /** Epoch ms of the sample the CPU figures come from. */
  sampledAt: number;
}

/** A guest's recent samples for charts: parallel arrays, oldest first, at least 10 minutes. */
export interface DomainHistory {
  hostId: string;
  uuid: string;
  /** Epoch ms. */
  times: number[];
  cpuPercent: number[];
  memoryKiB: number[];
  /** Bytes per second over each tick. */
  diskReadBps: number[];
  diskWriteBps: number[];
  netRxBps: number[];
  netTxBps: number[];
}

// ---------------------------------------------------------------------------------------------------
// Errors

export type ApiErrorCode =
  | 'invalid-request' // the request does not match the channel's schema; nothing was changed
  | 'unknown-channel' // no such call, event or stream kind
  | 'not-found' // the object named by the request does not exist
  | 'conflict' // the change collides with the current state (e.g. duplicate name)
  | 'unauthorized' // the transport refused the caller
  | 'ssh' // SSH-level failure (connect, auth, host key)
  | 'libvirt' // libvirt returned an error; see detail.libvirt
  | 'io' // local file or network I/O failed
  | 'internal'; // a bug: reported with its message, never silently swallowed

export interface ApiError {
  code: ApiErrorCode;
  /** Human-readable, already specific: says what failed and why. */
  message: string;
  /** For `invalid-request`: which field was wrong. */
  field?: string;
  /** For `libvirt`: libvirt's own error triple. */
  libvirt?: { code: number; domain: number; message: string };
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

// ---------------------------------------------------------------------------------------------------
// Calls: channel → request/response

export interface ApiCalls {
  'app.getInfo': { request: null; response: AppInfo };
  'hosts.list': { request: null; response: HostEntry[] };
  'hosts.add': { request: HostDraft; response: HostEntry };
  'hosts.update': { request: HostEntry; response: HostEntry };
  'hosts.remove': { request: { hostId: string }; response: null };
  'hosts.statuses': { request: null; response: HostStatus[] };
  'hosts.sshConfigCandidates': { request: null; response: SshConfigCandidate[] };
  /** The local libvirt socket when this computer runs libvirt and this account may use it. */
  'hosts.localSocket': { request: null; response: string | null };
  'settings.get': { request: null; response: AppSettings };
  'settings.set': { request: AppSettings; response: AppSettings };
  'hosts.connect': { request: { hostId: string }; response: null };
  'hosts.disconnect': { request: { hostId: string }; response: null };
  /** Questions still waiting for an answer (host keys, secrets). */
  'hosts.prompts': { request: null; response: HostPrompt[] };
  'hosts.answerPrompt': { request: HostPromptAnswer; response: null };
  'host.overview': { request: { hostId: string }; response: HostOverview };
  'host.checks': { request: { hostId: string }; response: HostCheck[] };
  'host.history': { request: { hostId: string }; response: HostHistory | null };
  'domains.act': { request: DomainActionRequest; response: DomainActionItemResult[] };
  'domains.deletionPlan': { request: { targets: DomainRef[] }; response: DomainDeletionPlan[] };
  'domain.details': { request: DomainRef & { inactive: boolean }; response: DomainDetails };
  /** A screenshot of a running guest's first screen, as libvirt returns it (QEMU: PNG). */
  'domain.screenshot': { request: DomainRef; response: DomainScreenshot };
  /**
   * The password of graphics device #channel from the live XML (null when it has none). Asked only
   * when the user opens that console; never logged, never in events.
   */
  'domain.graphicsPassword': { request: DomainRef & { channel: number }; response: { password: string | null } };
  'fleet.snapshot': { request: null; response: FleetHostDomains[] };
  'fleet.history': { request: { hostId: string; uuid: string }; response: DomainHistory | null };
}

export type ApiCallName = keyof ApiCalls;
export type ApiRequest<K extends ApiCallName> = ApiCalls[K]['request'];
export type ApiResponse<K extends ApiCallName> = ApiCalls[K]['response'];

// ---------------------------------------------------------------------------------------------------
// Events: name → payload (main → renderer)

export interface ApiEvents {
  'hosts.changed': { hosts: HostEntry[] };
  'hosts.status': HostStatus;
  /** A new question for the user, or `closed` when it was answered or withdrawn. */
  'hosts.prompt': HostPrompt | { kind: 'closed'; promptId: string; hostId: string };
  /** One host's guests changed (lifecycle event or stats tick). */
  'fleet.host': FleetHostDomains;
  'domains.actionProgress': DomainActionProgress;
}

export type ApiEventName = keyof ApiEvents;

// ---------------------------------------------------------------------------------------------------
// Streams: kind → open parameters. Bytes flow both ways once open.

export interface ApiStreams {
  /** Serial/text console of a guest (libvirt console stream). */
  'console.serial': { params: { hostId: string; domainUuid: string; force: boolean } };
  /** Graphics console bytes (RFB or SPICE) tunnelled from the host's graphics listener. */
  'console.graphics': { params: { hostId: string; domainUuid: string; channel: number } };
}

export type ApiStreamKind = keyof ApiStreams;
export type ApiStreamParams<K extends ApiStreamKind> = ApiStreams[K]['params'];

/** Why a stream ended; `error` is set unless it was a clean close by either side. */
export interface StreamCloseInfo {
  byPeer: boolean;
  error?: ApiError;
}

// ---------------------------------------------------------------------------------------------------
// Channel names (the only runtime values here: plain constants, no imports)

export const API_CALL_NAMES = [
  'app.getInfo',
  'hosts.list',
  'hosts.add',
  'hosts.update',
  'hosts.remove',
  'hosts.statuses',
  'hosts.sshConfigCandidates',
  'hosts.localSocket',
  'settings.get',
  'settings.set',
  'hosts.connect',
  'hosts.disconnect',
  'hosts.prompts',
  'hosts.answerPrompt',
  'host.overview',
  'host.checks',
  'host.history',
  'domains.act',
  'domains.deletionPlan',
  'domain.details',
  'domain.screenshot',
  'domain.graphicsPassword',
  'fleet.snapshot',
  'fleet.history',
] as const satisfies readonly ApiCallName[];

export const API_EVENT_NAMES = [
  'hosts.changed',
  'hosts.status',
  'hosts.prompt',
  'fleet.host',
  'domains.actionProgress',
] as const satisfies readonly ApiEventName[];

export const API_STREAM_KINDS = [
  'console.serial',
  'console.graphics',
] as const satisfies readonly ApiStreamKind[];

// Compile-time proof that the name lists above are complete: adding a channel to a map without
// listing it here is a type error.
type MissingNames<All, Listed> = Exclude<All, Listed>;
export type AssertNever<T extends never> = T;
export type _CallsListed = AssertNever<MissingNames<ApiCallName, (typeof API_CALL_NAMES)[number]>>;
export type _EventsListed = AssertNever<MissingNames<ApiEventName, (typeof API_EVENT_NAMES)[number]>>;
export type _StreamsListed = AssertNever<MissingNames<ApiStreamKind, (typeof API_STREAM_KINDS)[number]>>;

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
