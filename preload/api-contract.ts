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

/** A remote-viewer session: is the viewer running, which SPICE channels its tunnels carried. */
export interface RemoteViewerStatus {
  running: boolean;
  channels: Array<{ channel: string | null; state: 'linking' | 'ready' | 'refused' | 'not-spice' }>;
}

/** Switching a guest's graphics from SPICE to VNC: the proposed change of its persistent definition. */
export interface SpiceToVncPlan {
  /** Identifies the definition the plan was made from (a hash; the XML itself may hold passwords). */
  version: string;
  /** Unified diff, current definition → proposed one, passwords masked. */
  diff: string;
  changes: string[];
  warnings: string[];
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
// Domain tuning (forms that each transform the domain XML) and the sizing advisor

export type CpuMode = 'host-passthrough' | 'host-model' | 'custom';
export type BalloonModel = 'virtio' | 'virtio-transitional' | 'virtio-non-transitional' | 'none';
export type NumaMode = 'strict' | 'preferred' | 'interleave' | 'restrictive';
export type DiskBus = 'virtio' | 'scsi' | 'sata' | 'ide' | 'usb';
export type DiskCache = 'none' | 'writethrough' | 'writeback' | 'directsync' | 'unsafe';
export type DiskIo = 'native' | 'threads' | 'io_uring';
export type BootDevice = 'hd' | 'cdrom' | 'network' | 'fd';

/** One change a tuning form makes; the persistent definition always gets it, running guests may too. */
export type TuningChange =
  | {
      form: 'cpu';
      vcpus: number;
      maxVcpus: number;
      mode: CpuMode;
      /** CPU model name, only for mode custom. */
      model: string | null;
      topology: { sockets: number; cores: number; threads: number } | null;
    }
  | {
      form: 'pinning';
      /** cpuset per vCPU (libvirt syntax "0-3,^2"); null = not pinned. */
      vcpus: Array<{ vcpu: number; cpuset: string | null }>;
      emulator: string | null;
      iothreads: Array<{ iothread: number; cpuset: string | null }>;
    }
  | {
      form: 'memory';
      currentKiB: number;
      maxKiB: number;
      balloonModel: BalloonModel;
      /** Balloon statistics period in seconds; null = none. */
      statsPeriod: number | null;
      /** Hugepages backing; sizeKiB null = the host's default hugepage size. */
      hugepages: { sizeKiB: number | null } | null;
      locked: boolean;
      nosharepages: boolean;
      source: 'anonymous' | 'file' | 'memfd' | null;
      access: 'shared' | 'private' | null;
    }
  | {
      form: 'numa';
      numatune: { mode: NumaMode; nodeset: string } | null;
      /** Guest NUMA cells. */
      cells: Array<{ id: number; cpus: string; memoryKiB: number }>;
    }
  | {
      form: 'disk';
      /** Target dev of the disk to change (vda, sda…). */
      target: string;
      bus: DiskBus;
      cache: DiskCache | null;
      io: DiskIo | null;
      discard: 'unmap' | 'ignore' | null;
      detectZeroes: 'off' | 'on' | 'unmap' | null;
      iothread: number | null;
    }
  | { form: 'nic'; mac: string; model: string; queues: number | null }
  | { form: 'boot'; order: BootDevice[] }
  | {
      form: 'graphics';
      index: number;
      type: 'vnc' | 'spice';
      listen: { type: 'address'; address: string } | { type: 'none' } | { type: 'socket' };
    }
  | { form: 'tpm'; tpm: { model: 'tpm-tis' | 'tpm-crb'; version: '1.2' | '2.0' } | null };

export type TuningForm = TuningChange['form'];

/** What the forms start from: every form's values read from the persistent definition. */
export interface TuningState {
  cpu: Extract<TuningChange, { form: 'cpu' }>;
  pinning: Extract<TuningChange, { form: 'pinning' }>;
  memory: Extract<TuningChange, { form: 'memory' }>;
  numa: Extract<TuningChange, { form: 'numa' }>;
  disks: Array<Extract<TuningChange, { form: 'disk' }> & { device: string; source: string | null; sourceType: string; format: string | null }>;
  nics: Array<Extract<TuningChange, { form: 'nic' }> & { source: string | null }>;
  boot: Extract<TuningChange, { form: 'boot' }> & { perDevice: boolean };
  graphics: Array<Extract<TuningChange, { form: 'graphics' }>>;
  tpm: Extract<TuningChange, { form: 'tpm' }>;
  iothreads: number;
}

/** The host's CPUs and memory, from its capabilities. */
export interface HostTopology {
  cells: Array<{
    id: number;
    memoryKiB: number;
    cpus: Array<{ id: number; socket: number; die: number; core: number; siblings: string }>;
    /** Pages by size: total from capabilities; free from the host (NODE_GET_FREE_PAGES) when it answered. */
    pages: Array<{ sizeKiB: number; total: number; free: number | null }>;
  }>;
  /** Logical CPUs (threads) of the host. */
  threads: number;
  memoryKiB: number;
  /** Supported page sizes (KiB); the smallest one is the normal page. */
  pageSizesKiB: number[];
}

export interface TuningContext {
  uuid: string;
  name: string;
  running: boolean;
  /** The persistent definition the forms edit (send it back as basedOn). */
  inactiveXml: string;
  state: TuningState;
  /** What the running guest uses now; null when it is off. */
  live: { vcpus: number; maxVcpus: number; memoryKiB: number; balloonModel: BalloonModel | null; vcpuPins: string[] } | null;
  host: HostTopology;
}

/** A libvirt call that makes (part of) a change on the running guest. */
export type TuningLiveCall =
  | { call: 'setVcpus'; count: number }
  | { call: 'setMemory'; kib: number }
  | { call: 'pinVcpu'; vcpu: number; cpus: number[] }
  | { call: 'pinEmulator'; cpus: number[] }
  | { call: 'pinIothread'; iothread: number; cpus: number[] };

export interface TuningPlan {
  /** both = takes effect now and persists; next-boot = persisted, used from the next boot; mixed = some of each. */
  applies: 'both' | 'next-boot' | 'mixed' | 'nothing';
  /** Changed settings (keys of domainTuning.fields) and when each takes effect. */
  fields: Array<{ field: string; when: 'both' | 'next-boot'; reason: string | null }>;
  liveCalls: TuningLiveCall[];
}

/** A message for the user: key under domainTuning.messages and its values. */
export interface TuningMessage {
  key: string;
  values: Record<string, string | number>;
}

export interface TuningPreview {
  basedOn: string;
  xml: string;
  /** Unified diff of the persistent definition. */
  diff: string;
  plan: TuningPlan;
  warnings: TuningMessage[];
}

export interface TuningApplyResult {
  /** The definition as libvirt stored it. */
  xml: string;
  live: Array<{ call: TuningLiveCall; ok: boolean; error?: string }>;
}

export interface AdvisorFinding {
  rule:
    | 'vcpu-overcommit'
    | 'memory-overcommit'
    | 'pinning-across-numa'
    | 'hugepages-no-pool'
    | 'disk-cache'
    | 'disk-format'
    | 'no-virtio-disk'
    | 'no-virtio-nic'
    | 'no-balloon'
    | 'emulated-nic';
  severity: 'warning' | 'info';
  /** Values for the translated reason (domainTuning.advisor.<rule>.reason). */
  values: Record<string, string | number>;
  /** The change that fixes it, opened in its form; null when there is nothing to apply. */
  fix: TuningChange | null;
}

/** A problem in a domain XML document, at 1-based lines and columns (UTF-16, as editors count). */
export interface DomainXmlProblem {
  kind: 'well-formedness' | 'schema' | 'libvirt';
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** false when the position could not be determined: the UI shows it at the top of the document. */
  located: boolean;
}

/** Where the schema behind completion and validation came from. */
export interface DomainXmlSchemaInfo {
  libvirtVersion: string;
  /** `host`: just read from the host over SFTP (or this computer's disk); `cache`: the per-version cache. */
  source: 'host' | 'cache';
  files: number;
  loadMs: number;
}

/** A completion at an offset of a domain XML document; [from, to) is the text it replaces. */
export interface DomainXmlCompletion {
  label: string;
  kind: 'element' | 'attribute' | 'value' | 'closing-tag';
  insertText: string;
  /** insertText is a snippet ($1 = cursor). */
  snippet: boolean;
  detail: string;
  from: number;
  to: number;
}

export interface DomainXmlHover {
  markdown: string;
  from: number;
  to: number;
}

// ---------------------------------------------------------------------------------------------------
// Host configuration editor (qemu.conf, libvirtd.conf / virtqemud.conf)

export type HostConfigKeyType = 'string' | 'bool' | 'int' | 'string-list' | 'limit';
/** A value as a form edits it: bool for 0/1, number for integers, string[] for lists. */
export type HostConfigValue = string | number | boolean | string[];

export interface HostConfigKey {
  key: string;
  type: HostConfigKeyType;
  /** The comment block above the key's commented-out example in the file, when it has one. */
  doc: string | null;
  /** The commented-out example as the shipped file writes it (often the default), e.g. `"0.0.0.0"`. */
  example: string | null;
  exampleValue: HostConfigValue | null;
}

export interface HostConfigFile {
  path: string;
  /** qemu.conf, or the daemon's own file (libvirtd.conf / virtqemud.conf). */
  role: 'qemu' | 'daemon';
  text: string;
  /** SHA-256 of the bytes read: saving requires the host's file to still have it. */
  sha256: string;
  owner: string;
  mode: string;
  /** Where the keys and types come from: the host's augeas lens, or VirtDeck's built-in copy (libvirt 9.0). */
  schemaSource: 'host-lens' | 'built-in';
  lensPath: string | null;
  /** Groups and keys in the lens's order (the order of the shipped file). */
  groups: Array<{ name: string; keys: HostConfigKey[] }>;
}

export interface HostConfigDaemon {
  name: 'libvirtd' | 'virtqemud';
  pid: number | null;
  /** How it is restarted: systemctl, OpenRC, `service`, or its own command line again (no init system). */
  manager: 'systemd' | 'openrc' | 'service' | 'direct';
  commandLine: string | null;
}

export interface HostConfigSnapshot {
  hostId: string;
  /** How VirtDeck becomes root: the account is root, or sudo (with or without a password). */
  access: 'root' | 'sudo' | 'sudo-password';
  daemon: HostConfigDaemon;
  files: HostConfigFile[];
}

export interface HostConfigDiagnostic {
  line: number;
  severity: 'error' | 'warning';
  key: string | null;
  message: string;
  suggestion?: string;
  /** The configuration rule that found it (main/services/host-config/conf-rules.ts) and its libvirt source. */
  rule?: string;
  reference?: string;
}

export interface HostConfigAnalysis {
  /** The effective value of every set key (the first occurrence), null when it cannot be read as its type. */
  values: Record<string, { value: HostConfigValue | null; line: number }>;
  diagnostics: HostConfigDiagnostic[];
}

export interface HostConfigBackup {
  path: string;
  /** The file it is a copy of. */
  target: string;
  /** When it was taken (ISO 8601). */
  takenAt: string;
  size: number;
  /** A copy of a file that made the daemon fail, kept by an automatic rollback. */
  failed: boolean;
}

export interface HostConfigRestartReport {
  daemon: string;
  manager: HostConfigDaemon['manager'];
  outcome: 'ok' | 'rolled-back' | 'failed';
  /** What happened on the host, in order. */
  steps: string[];
  /** Files put back from their backups by the rollback. */
  restored: string[];
  /** libvirt's version as a fresh connection over SSH reported it afterwards (null: it did not answer). */
  libvirtVersion: string | null;
  durationMs: number;
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
  /** Whether remote-viewer (virt-viewer) is installed on the computer running VirtDeck's services. */
  'spice.remoteViewerAvailable': { request: null; response: { available: boolean } };
  /**
   * Starts remote-viewer for SPICE graphics device #channel, tunnelled through the host's SSH connection
   * (loopback listener, one tunnel per SPICE channel, connection file on stdin).
   */
  'spice.remoteViewerOpen': { request: DomainRef & { channel: number }; response: { sessionId: string } };
  /** Whether the viewer still runs, and the SPICE channels its tunnels carried. */
  'spice.remoteViewerStatus': { request: { sessionId: string }; response: RemoteViewerStatus };
  /** Ends the viewer and its tunnels. */
  'spice.remoteViewerClose': { request: { sessionId: string }; response: null };
  /** The persistent definition with SPICE graphics replaced by VNC, as a diff; changes nothing. */
  'spice.switchToVncPlan': { request: DomainRef; response: SpiceToVncPlan };
  /** Defines the switch planned from definition `version` (fails with conflict if it changed since). */
  'spice.switchToVncApply': { request: DomainRef & { version: string }; response: null };
  /** The persistent definition and, when running, the live XML (both with secrets when readable). */
  'domainXml.get': { request: DomainRef; response: { inactive: string; live: string | null } };
  /** Defines `xml` (VALIDATE) if the host's definition still equals `basedOn`; returns what libvirt stored. */
  'domainXml.define': { request: DomainRef & { xml: string; basedOn: string }; response: { inactive: string } };
  /** Loads (once per libvirt version) the host's domain schema. */
  'domainXml.schema': { request: { hostId: string }; response: DomainXmlSchemaInfo };
  /** Well-formedness and schema problems of a document against the host's schema. Touches nothing. */
  'domainXml.validate': { request: { hostId: string; xml: string }; response: { problems: DomainXmlProblem[] } };
  'domainXml.complete': { request: { hostId: string; xml: string; offset: number }; response: DomainXmlCompletion[] };
  'domainXml.hover': { request: { hostId: string; xml: string; offset: number }; response: DomainXmlHover | null };
  'fleet.snapshot': { request: null; response: FleetHostDomains[] };
  'fleet.history': { request: { hostId: string; uuid: string }; response: DomainHistory | null };
  /** The persistent definition, every tuning form's values, the live values and the host topology. */
  'domainTuning.context': { request: DomainRef; response: TuningContext };
  /** What a change would do: the diff of the persistent definition and when it takes effect. */
  'domainTuning.preview': { request: DomainRef & { change: TuningChange; basedOn: string }; response: TuningPreview };
  /** Defines the changed definition (conflict-checked, VALIDATE) and makes the live calls on a running guest. */
  'domainTuning.apply': { request: DomainRef & { change: TuningChange; basedOn: string }; response: TuningApplyResult };
  'domainTuning.advice': { request: DomainRef; response: AdvisorFinding[] };
  /** Reads qemu.conf and the daemon's .conf as root (sudo asks for its password through hosts.prompt). */
  'hostConfig.read': { request: { hostId: string }; response: HostConfigSnapshot };
  /** Values and problems of an edited text, checked as libvirt reads it (conf-rules.ts; may ask the host for users, paths…). Touches nothing. */
  'hostConfig.analyze': { request: { hostId: string; path: string; text: string }; response: HostConfigAnalysis };
  /** Applies form edits to the text (value null = remove the key); new keys go below their documentation. */
  'hostConfig.edit': {
    request: { hostId: string; path: string; text: string; edits: Array<{ key: string; value: HostConfigValue | null }> };
    response: { text: string; analysis: HostConfigAnalysis };
  };
  /** Writes `text` atomically with a backup if the host's file still has `basedOn` (SHA-256); errors block it. */
  'hostConfig.save': {
    request: { hostId: string; path: string; text: string; basedOn: string };
    response: { sha256: string; backup: HostConfigBackup };
  };
  /** Restarts the daemon, checks it answers, and rolls back the files saved since the last good restart if not. */
  'hostConfig.restart': { request: { hostId: string; timeoutSeconds?: number }; response: HostConfigRestartReport };
  'hostConfig.backups': { request: { hostId: string }; response: HostConfigBackup[] };
  /** The content of one backup (to preview a restore: restoring is saving it). */
  'hostConfig.readBackup': { request: { hostId: string; path: string }; response: { text: string; target: string } };
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
  /**
   * Serial/text console of a guest (libvirt console stream). `device`: the alias of the <serial> or
   * <console> device (e.g. "serial0", "console1"); null = the guest's first console.
   */
  'console.serial': { params: { hostId: string; domainUuid: string; force: boolean; device?: string | null } };
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
  'spice.remoteViewerAvailable',
  'spice.remoteViewerOpen',
  'spice.remoteViewerStatus',
  'spice.remoteViewerClose',
  'spice.switchToVncPlan',
  'spice.switchToVncApply',
  'domainXml.get',
  'domainXml.define',
  'domainXml.schema',
  'domainXml.validate',
  'domainXml.complete',
  'domainXml.hover',
  'fleet.snapshot',
  'fleet.history',
  'domainTuning.context',
  'domainTuning.preview',
  'domainTuning.apply',
  'domainTuning.advice',
  'hostConfig.read',
  'hostConfig.analyze',
  'hostConfig.edit',
  'hostConfig.save',
  'hostConfig.restart',
  'hostConfig.backups',
  'hostConfig.readBackup',
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
