/**
 * LibvirtClient: one logical connection to one libvirt daemon, over whatever byte stream a dialer
 * returns (an SSH exec of virt-ssh-helper, a direct-streamlocal channel, a local unix socket).
 *
 * STATES: idle → connecting → connected → (lost → connecting → connected)* → closed.
 * A `state` event is emitted on every change, with the reason and error of a loss.
 *
 * RECONNECT SEMANTICS
 * - After a successful connect(), losing the connection (peer closed, keepalive timeout, protocol
 *   error, transport error, the daemon's connection-closed event) starts a reconnect loop: dial
 *   again, redo the whole handshake, re-register the close callback and every event subscription,
 *   then announce `connected` (with `reconnected: true`). Backoff: initialDelayMs × factor^(n-1),
 *   capped at maxDelayMs, ± jitter; maxAttempts (default unlimited) ends in `closed`.
 * - Event subscriptions are owned by the client and survive reconnects: the daemon's callback IDs
 *   change, the Subscription objects handed to the caller do not. Events that happened while the
 *   connection was down are lost: consumers should resynchronise (re-list) on a `connected`
 *   state with `reconnected: true`.
 * - Calls are NEVER retried once written to a transport (libvirt has no idempotency tokens; a
 *   destroy or define must not run twice). A call in flight when the connection drops rejects with
 *   ConnectionClosedError (`sent: true`). A call made while the client is connecting/lost waits
 *   for the connection, within its own timeout, then goes out once. A call still queued behind the
 *   in-flight limit when the connection dropped (`sent: false`) was never seen by the daemon and
 *   is transparently sent on the next connection (still within its timeout).
 * - Streams (console, screenshot, volume transfers) die with their connection; open a new one.
 * - The first connect() does not retry by default (`reconnect.retryInitialConnect`): a wrong
 *   host/URI/permission should fail fast.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  cString,
  combineFlags,
  remoteProcedures as P,
  virConnectGetAllDomainStatsFlags,
  virDomainStatsTypes,
  virStorageVolDownloadFlags,
  virStorageVolUploadFlags,
  virTypedParameterFlags,
  type EventFamilyInfo,
  type ProcedureInfo,
  type RemoteNonnullDomain,
  type RemoteNonnullDomainSnapshot,
  type RemoteNonnullNetwork,
  type RemoteNonnullStoragePool,
  type RemoteNonnullStorageVol,
} from '../protocol';
import {
  CallAbortedError,
  CallTimeoutError,
  ConnectionClosedError,
  DEFAULT_KEEPALIVE,
  RpcConnection,
  type CallOptions,
  type CloseInfo,
  type KeepaliveOptions,
  type RpcConnectionOptions,
  type RpcMessage,
  type RpcStream,
  type StreamCallOptions,
} from '../rpc';
import {
  DOMAIN_EVENT_IDS,
  EVENT_FAMILIES,
  NETWORK_EVENT_IDS,
  STORAGE_POOL_EVENT_IDS,
  buildFamilyEvent,
  normalizeEventBody,
  type DomainEvent,
  type DomainEventName,
  type NetworkEvent,
  type NetworkEventName,
  type StoragePoolEvent,
  type StoragePoolEventName,
} from './events';
import { handshake, type HandshakeResult } from './handshake';
import { summarizeDomainStats, type DomainStatsRecord, type DomainSummary } from './stats';
import { fromRemoteTypedParams, toRemoteTypedParams, type TypedParam } from './typed-params';
import {
  fromRemoteDomain,
  fromRemoteNetwork,
  fromRemoteSnapshot,
  fromRemoteStoragePool,
  fromRemoteStorageVol,
  toRemoteDomain,
  toRemoteNetwork,
  toRemoteStoragePool,
  uuidFromString,
  uuidToString,
  type Domain,
  type DomainRef,
  type DomainSnapshot,
  type Network,
  type NetworkRef,
  type StoragePool,
  type StoragePoolRef,
  type StorageVol,
  type StorageVolRef,
} from './types';

/** Returns a fresh byte stream to the daemon for every (re)connection attempt. */
export type Dialer = () => Promise<Duplex>;

export type ClientState = 'idle' | 'connecting' | 'connected' | 'lost' | 'closed';

export interface StateChange {
  readonly state: ClientState;
  readonly previous: ClientState;
  /** Connection attempt number within the current (re)connect loop. */
  readonly attempt?: number;
  /** True when `connected` follows a loss. */
  readonly reconnected?: boolean;
  /** Why the connection was lost / an attempt failed / the client closed. */
  readonly reason?: string;
  readonly error?: Error;
  /** When `lost`: ms until the next attempt. */
  readonly retryInMs?: number;
}

export interface ReconnectOptions {
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly factor?: number;
  /** ± fraction of the delay, default 0.2. */
  readonly jitter?: number;
  readonly maxAttempts?: number;
  /** Retry the very first connect() too (default false: fail fast). */
  readonly retryInitialConnect?: boolean;
}

export interface LibvirtClientOptions {
  readonly dial: Dialer;
  /** Default 'qemu:///system'; null = the daemon's default. */
  readonly uri?: string | null;
  readonly readOnly?: boolean;
  /** Default per-call timeout, ms (default 60 000). */
  readonly callTimeoutMs?: number;
  /** Dial + handshake budget per attempt, ms (default 30 000). */
  readonly connectTimeoutMs?: number;
  /** Our keepalive (default libvirt's 5 s × 5); false = only answer the daemon's PINGs. */
  readonly keepalive?: KeepaliveOptions | false;
  /** false = no automatic reconnect (a loss ends in `closed`). */
  readonly reconnect?: ReconnectOptions | false;
  readonly rpc?: Omit<RpcConnectionOptions, 'callTimeoutMs'>;
  readonly log?: (message: string) => void;
}

export interface LibvirtClientEvents {
  state: [StateChange];
  /** Non-fatal problems: an event handler threw, a re-registration failed, an odd packet. */
  warning: [Error];
  /** The daemon reported that its hypervisor connection closed (close callback, reason code). */
  'server-close': [{ reason: number }];
}

export interface Subscription {
  readonly id: number;
  /** Stops delivery now and deregisters on the daemon (best effort). */
  unsubscribe(): Promise<void>;
}

export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
}

export interface ConnectInfo {
  readonly hostname: string;
  readonly uri: string;
  /** Hypervisor driver name, e.g. 'QEMU'. */
  readonly type: string;
  readonly libVersion: string;
  readonly libVersionNumber: number;
  readonly hypervisorVersion: string;
  readonly hypervisorVersionNumber: number;
}

export interface NodeInfo {
  readonly model: string;
  readonly memoryKiB: number;
  readonly cpus: number;
  readonly mhz: number;
  readonly nodes: number;
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

export interface DomainInfo {
  readonly state: number;
  readonly maxMemKiB: number;
  readonly memoryKiB: number;
  readonly nrVirtCpu: number;
  readonly cpuTimeNs: bigint;
}

export interface DomainInterface {
  readonly name: string;
  readonly hwaddr: string | null;
  readonly addrs: ReadonlyArray<{
    readonly type: 'ipv4' | 'ipv6';
    readonly addr: string;
    readonly prefix: number;
  }>;
}

export interface DhcpLease {
  readonly iface: string;
  /** Seconds since the epoch. */
  readonly expiryTime: number;
  readonly type: 'ipv4' | 'ipv6';
  readonly mac: string | null;
  readonly iaid: string | null;
  readonly ipaddr: string;
  readonly prefix: number;
  readonly hostname: string | null;
  readonly clientid: string | null;
}

export interface StreamOpenOptions {
  readonly timeoutMs?: number;
  /** Read-side buffer bound before the stream is aborted (see rpc/stream.ts). */
  readonly maxBufferedBytes?: number;
}

type EventHandler = (event: DomainEvent | NetworkEvent | StoragePoolEvent) => void;

interface SubRecord {
  readonly id: number;
  readonly family: EventFamilyInfo;
  readonly eventId: number;
  /** The object filter as wire struct (dom/net/pool), or null for all objects. */
  readonly filter: RemoteNonnullDomain | RemoteNonnullNetwork | RemoteNonnullStoragePool | null;
  readonly handler: EventHandler;
  conn: RpcConnection | null;
  callbackId: number | null;
  active: boolean;
}

interface Waiter {
  resolve(conn: RpcConnection): void;
  reject(err: Error): void;
}

const DEFAULT_CALL_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_STATS =
  virDomainStatsTypes.VIR_DOMAIN_STATS_STATE |
  virDomainStatsTypes.VIR_DOMAIN_STATS_CPU_TOTAL |
  virDomainStatsTypes.VIR_DOMAIN_STATS_BALLOON |
  virDomainStatsTypes.VIR_DOMAIN_STATS_VCPU;
const MAX_EARLY_EVENTS = 256;
/** A connection that lived shorter than this counts as a flap (see onConnectionClosed). */
const STABLE_CONNECTION_MS = 10_000;
const MAX_CACHED_NAMES = 20_000;

function versionString(n: number): string {
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}

function timeoutPromise<T>(p: Promise<T>, ms: number, what: string, onLate?: (v: T) => void): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return p;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`${what} did not complete within ${ms} ms`));
    }, ms);
    timer.unref();
    p.then(
      (v) => {
        if (done) onLate?.(v);
        else {
          done = true;
          clearTimeout(timer);
          resolve(v);
        }
      },
      (e: unknown) => {
        if (!done) {
          done = true;
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      },
    );
  });
}

export class LibvirtClient extends EventEmitter<LibvirtClientEvents> {
  private readonly dial: Dialer;
  private readonly uri: string | null;
  private readonly readOnly: boolean;
  private readonly callTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly keepaliveOptions: KeepaliveOptions | false;
  private readonly reconnectOptions: Required<ReconnectOptions> | null;
  private readonly rpcOptions: RpcConnectionOptions;
  private readonly log: (message: string) => void;

  private _state: ClientState = 'idle';
  private conn: RpcConnection | null = null;
  private attemptConn: RpcConnection | null = null;
  private handshakeInfo: HandshakeResult | null = null;
  private connectPromise: Promise<void> | null = null;
  private closing = false;
  private sleepTimer: NodeJS.Timeout | null = null;
  private wakeSleep: (() => void) | null = null;
  private readonly waiters = new Set<Waiter>();
  private readonly subs = new Map<number, SubRecord>();
  private nextSubId = 1;
  private pendingRegistrations = 0;
  private earlyEvents: Array<{ conn: RpcConnection; message: RpcMessage }> = [];
  private connectedAt = 0;
  private flaps = 0;
  /** uuid → last name seen (see dom()). */
  private readonly domainNames = new Map<string, string>();

  constructor(options: LibvirtClientOptions) {
    super();
    this.dial = options.dial;
    this.uri = options.uri === undefined ? 'qemu:///system' : options.uri;
    this.readOnly = options.readOnly ?? false;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.keepaliveOptions = options.keepalive === undefined ? DEFAULT_KEEPALIVE : options.keepalive;
    this.reconnectOptions =
      options.reconnect === false
        ? null
        : {
            initialDelayMs: options.reconnect?.initialDelayMs ?? 500,
            maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000,
            factor: options.reconnect?.factor ?? 2,
            jitter: options.reconnect?.jitter ?? 0.2,
            maxAttempts: options.reconnect?.maxAttempts ?? Infinity,
            retryInitialConnect: options.reconnect?.retryInitialConnect ?? false,
          };
    this.rpcOptions = { ...options.rpc, callTimeoutMs: this.callTimeoutMs };
    this.log = options.log ?? (() => {});
  }

  get state(): ClientState {
    return this._state;
  }

  /** What the handshake of the current connection found (null when not connected). */
  get serverInfo(): HandshakeResult | null {
    return this.handshakeInfo;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Connects (dial + handshake). Resolves when connected; idempotent while connecting/connected. */
  connect(): Promise<void> {
    if (this._state === 'closed') return Promise.reject(new ClientClosedError('the client is closed'));
    if (this._state === 'connected') return Promise.resolve();
    if (!this.connectPromise) {
      const initial = this._state === 'idle';
      this.connectPromise = this.connectLoop(initial).finally(() => {
        this.connectPromise = null;
      });
    }
    return this.connectPromise;
  }

  /** Closes for good: CONNECT_CLOSE (best effort, 2 s), then the transport; pending work rejects. */
  async close(): Promise<void> {
    if (this._state === 'closed' && !this.conn) return;
    this.closing = true;
    this.cancelSleep();
    const conn = this.conn;
    this.conn = null;
    this.handshakeInfo = null;
    if (this.attemptConn) void this.attemptConn.close('the client was closed while connecting');
    if (conn && !conn.isClosed) {
      try {
        await conn.call(P.REMOTE_PROC_CONNECT_CLOSE, undefined, { timeoutMs: 2000 });
      } catch {
        // best effort
      }
      await conn.close();
    }
    for (const s of this.subs.values()) s.active = false;
    this.subs.clear();
    this.setState('closed', { reason: 'closed by the client' });
  }

  private setState(state: ClientState, extra: Omit<StateChange, 'state' | 'previous'> = {}): void {
    const previous = this._state;
    if (previous === 'closed') return;
    this._state = state;
    const change: StateChange = { state, previous, ...extra };
    this.log(`state ${previous} → ${state}${extra.reason ? ` (${extra.reason})` : ''}`);
    if (state === 'connected' && this.conn) {
      const conn = this.conn;
      for (const w of [...this.waiters]) w.resolve(conn);
      this.waiters.clear();
    } else if (state === 'closed') {
      const err = new ClientClosedError(
        `the libvirt client is closed${extra.reason ? `: ${extra.reason}` : ''}`,
        {
          cause: extra.error,
        },
      );
      for (const w of [...this.waiters]) w.reject(err);
      this.waiters.clear();
    }
    try {
      this.emit('state', change);
    } catch (e) {
      this.emit('warning', e instanceof Error ? e : new Error(String(e)));
    }
  }

  private backoffDelay(step: number): number {
    const r = this.reconnectOptions;
    if (!r) return 0;
    const base = Math.min(r.maxDelayMs, r.initialDelayMs * r.factor ** (step - 1));
    return Math.max(0, Math.round(base * (1 + (Math.random() * 2 - 1) * r.jitter)));
  }

  /** `flaps`: how many connections in a row died young; the first attempt then waits too. */
  private async connectLoop(initial: boolean, flaps = 0, firstDelayMs = 0): Promise<void> {
    const r = this.reconnectOptions;
    let attempt = 0;
    if (firstDelayMs > 0) await this.sleep(firstDelayMs);
    for (;;) {
      if (this.closing) throw new ClientClosedError('the client was closed');
      attempt++;
      this.setState('connecting', { attempt });
      let conn: RpcConnection;
      try {
        conn = await this.attempt();
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        if (this.closing) throw new ClientClosedError('the client was closed', { cause: err });
        const giveUp = !r || (initial && !r.retryInitialConnect) || attempt >= r.maxAttempts;
        if (giveUp) {
          this.setState('closed', { attempt, reason: `connection failed: ${err.message}`, error: err });
          throw err;
        }
        const delay = this.backoffDelay(attempt + flaps);
        this.setState('lost', {
          attempt,
          reason: `connection attempt failed: ${err.message}`,
          error: err,
          retryInMs: delay,
        });
        await this.sleep(delay);
        continue;
      }
      if (this.closing) {
        await conn.close();
        throw new ClientClosedError('the client was closed');
      }
      this.conn = conn;
      this.connectedAt = Date.now();
      conn.once('close', (info) => this.onConnectionClosed(conn, info));
      this.setState('connected', { attempt, reconnected: !initial });
      return;
    }
  }

  /** One dial + handshake + registrations. */
  private async attempt(): Promise<RpcConnection> {
    const started = Date.now();
    const transport = await timeoutPromise(this.dial(), this.connectTimeoutMs, 'dialing', (late) =>
      late.destroy(),
    );
    const conn = new RpcConnection(transport, this.rpcOptions);
    this.attemptConn = conn;
    conn.on('message', (m) => this.onMessage(conn, m));
    conn.on('warning', (w) => this.emit('warning', w));
    try {
      const left = (): number => Math.max(1, this.connectTimeoutMs - (Date.now() - started));
      const info = await handshake(conn, {
        uri: this.uri,
        readOnly: this.readOnly,
        timeoutMs: left(),
        registerCloseCallback: true,
      });
      if (info.closeCallbackError) {
        this.emit(
          'warning',
          new Error(`close callback registration failed: ${info.closeCallbackError.message}`, {
            cause: info.closeCallbackError,
          }),
        );
      }
      // Re-register every subscription, pipelined (the RPC layer keeps ≤ 4 in flight).
      const results = await Promise.allSettled(
        [...this.subs.values()]
          .filter((s) => s.active)
          .map((sub) => this.register(conn, sub, left()).then(() => sub)),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') continue;
        if (r.reason instanceof ConnectionClosedError) throw r.reason;
        this.emit(
          'warning',
          new Error(`re-registering an event subscription failed: ${String(r.reason)}`, { cause: r.reason }),
        );
      }
      if (info.features.keepalive && this.keepaliveOptions) conn.startKeepalive(this.keepaliveOptions);
      if (conn.isClosed) throw conn.closeReason?.error ?? new Error('connection closed during the handshake');
      this.handshakeInfo = info;
      return conn;
    } catch (e) {
      await conn.close(`handshake failed: ${String(e)}`);
      throw e;
    } finally {
      if (this.attemptConn === conn) this.attemptConn = null;
    }
  }

  private onConnectionClosed(conn: RpcConnection, info: CloseInfo): void {
    if (this.conn !== conn) return;
    this.conn = null;
    this.handshakeInfo = null;
    for (const s of this.subs.values()) {
      if (s.conn === conn) {
        s.conn = null;
        s.callbackId = null;
      }
    }
    this.earlyEvents = this.earlyEvents.filter((e) => e.conn !== conn);
    if (this.closing) return;
    if (!this.reconnectOptions) {
      this.setState('closed', {
        reason: `connection lost (${info.reason}): ${info.error.message}`,
        error: info.error,
      });
      return;
    }
    // A connection that dies young (a daemon that accepts and drops us) must not become a tight
    // reconnect loop: consecutive short-lived connections keep the backoff growing.
    this.flaps = Date.now() - this.connectedAt < STABLE_CONNECTION_MS ? this.flaps + 1 : 0;
    const retryInMs = this.flaps > 0 ? this.backoffDelay(this.flaps) : 0;
    this.setState('lost', { reason: `${info.reason}: ${info.error.message}`, error: info.error, retryInMs });
    if (!this.connectPromise) {
      this.connectPromise = this.connectLoop(false, this.flaps, retryInMs)
        .catch((e: unknown) => this.log(`reconnect gave up: ${String(e)}`))
        .finally(() => {
          this.connectPromise = null;
        });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeSleep = resolve;
      this.sleepTimer = setTimeout(() => {
        this.sleepTimer = null;
        this.wakeSleep = null;
        resolve();
      }, ms);
    });
  }

  private cancelSleep(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.sleepTimer = null;
    const wake = this.wakeSleep;
    this.wakeSleep = null;
    wake?.();
  }

  /** The live connection, waiting for it while connecting/lost (bounded by `deadline`). */
  private waitForConnection(
    procedure: string,
    timeoutMs: number,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<RpcConnection> {
    if (this.conn && this._state === 'connected') return Promise.resolve(this.conn);
    if (this._state === 'closed')
      return Promise.reject(new ClientClosedError(`${procedure}: the libvirt client is closed`));
    if (this._state === 'idle')
      return Promise.reject(new ClientClosedError(`${procedure}: not connected (call connect() first)`));
    return new Promise<RpcConnection>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      const cleanup = (): void => {
        this.waiters.delete(waiter);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        resolve: (c) => {
          cleanup();
          resolve(c);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
      const onAbort = (): void => waiter.reject(new CallAbortedError(procedure, false, signal?.reason));
      if (Number.isFinite(deadline)) {
        timer = setTimeout(
          () => waiter.reject(new CallTimeoutError(procedure, timeoutMs, false)),
          Math.max(0, deadline - Date.now()),
        );
        timer.unref();
      }
      if (signal) {
        if (signal.aborted) {
          onAbort();
          return;
        }
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.waiters.add(waiter);
    });
  }

  // ---- raw calls ----------------------------------------------------------------------------

  /**
   * Any procedure of the generated tables: `client.call(remoteProcedures.REMOTE_PROC_X, args)`.
   * Waits for the connection when connecting/lost; never re-sends a call that was written.
   */
  async call<A, R>(info: ProcedureInfo<A, R, unknown>, args: A, options: CallOptions = {}): Promise<R> {
    const timeoutMs = options.timeoutMs ?? this.callTimeoutMs;
    const deadline = timeoutMs > 0 && Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : Infinity;
    for (;;) {
      const conn = await this.waitForConnection(info.name, timeoutMs, deadline, options.signal);
      const remaining = Number.isFinite(deadline) ? Math.max(1, deadline - Date.now()) : 0;
      try {
        return await conn.call(info, args, {
          timeoutMs: remaining,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (e) {
        // Never written: the daemon did not see it, so sending it on the next connection is safe.
        if (e instanceof ConnectionClosedError && e.sent === false && !this.closing && this.reconnectOptions)
          continue;
        throw e;
      }
    }
  }

  /** Opens a stream procedure; resolves once the daemon accepted the call (REPLY OK). */
  async openStream<A, R>(
    info: ProcedureInfo<A, R, unknown>,
    args: A,
    options: StreamCallOptions,
  ): Promise<{ stream: RpcStream; reply: R }> {
    const timeoutMs = options.timeoutMs ?? this.callTimeoutMs;
    const deadline = timeoutMs > 0 && Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : Infinity;
    const conn = await this.waitForConnection(info.name, timeoutMs, deadline, options.signal);
    const remaining = Number.isFinite(deadline) ? Math.max(1, deadline - Date.now()) : 0;
    const { stream, reply } = conn.openStream(info, args, { ...options, timeoutMs: remaining });
    // Until the opening call answers, nobody else listens to the stream: a failed open destroys it
    // with the same error the rejected reply carries, which must not become an unhandled 'error'.
    // On failure the listener stays (the stream is dead); on success the caller owns error handling.
    const ignoreOpenError = () => undefined;
    stream.on('error', ignoreOpenError);
    const value = await reply;
    stream.off('error', ignoreOpenError);
    return { stream, reply: value };
  }

  // ---- events -------------------------------------------------------------------------------

  /** Subscribes to a domain event (all domains, or one). Survives reconnects. */
  async onDomainEvent<N extends DomainEventName>(
    name: N,
    handler: (event: DomainEvent<N>) => void,
    options: { domain?: DomainRef; timeoutMs?: number } = {},
  ): Promise<Subscription> {
    const filter = options.domain ? await this.dom(options.domain) : null;
    return this.subscribe(
      EVENT_FAMILIES.domain,
      DOMAIN_EVENT_IDS[name],
      filter,
      handler as EventHandler,
      options.timeoutMs,
    );
  }

  /** Subscribes to every domain event ID the daemon knows (unknown ones are skipped). */
  async onAllDomainEvents(
    handler: (event: DomainEvent) => void,
    options: { timeoutMs?: number } = {},
  ): Promise<Subscription[]> {
    const names = Object.keys(DOMAIN_EVENT_IDS) as DomainEventName[];
    const results = await Promise.allSettled(
      names.map((name) =>
        this.onDomainEvent(name, handler as (e: DomainEvent<typeof name>) => void, options),
      ),
    );
    const subs: Subscription[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') subs.push(r.value);
      else
        this.emit(
          'warning',
          new Error(`domain event ${names[i]} not available: ${String(r.reason)}`, { cause: r.reason }),
        );
    });
    return subs;
  }

  async onNetworkEvent<N extends NetworkEventName>(
    name: N,
    handler: (event: NetworkEvent<N>) => void,
    options: { network?: NetworkRef; timeoutMs?: number } = {},
  ): Promise<Subscription> {
    const filter = options.network ? toRemoteNetwork(await this.network(options.network)) : null;
    return this.subscribe(
      EVENT_FAMILIES.network,
      NETWORK_EVENT_IDS[name],
      filter,
      handler as EventHandler,
      options.timeoutMs,
    );
  }

  async onStoragePoolEvent<N extends StoragePoolEventName>(
    name: N,
    handler: (event: StoragePoolEvent<N>) => void,
    options: { pool?: StoragePoolRef; timeoutMs?: number } = {},
  ): Promise<Subscription> {
    const filter = options.pool ? toRemoteStoragePool(await this.pool(options.pool)) : null;
    return this.subscribe(
      EVENT_FAMILIES.storagePool,
      STORAGE_POOL_EVENT_IDS[name],
      filter,
      handler as EventHandler,
      options.timeoutMs,
    );
  }

  private async subscribe(
    family: EventFamilyInfo,
    eventId: number,
    filter: SubRecord['filter'],
    handler: EventHandler,
    timeoutMs?: number,
  ): Promise<Subscription> {
    const t = timeoutMs ?? this.callTimeoutMs;
    const deadline = t > 0 && Number.isFinite(t) ? Date.now() + t : Infinity;
    const rec: SubRecord = {
      id: this.nextSubId++,
      family,
      eventId,
      filter,
      handler,
      conn: null,
      callbackId: null,
      active: true,
    };
    this.subs.set(rec.id, rec);
    try {
      for (;;) {
        const conn = await this.waitForConnection(family.registerProcName, t, deadline);
        // A reconnect may have registered it meanwhile (it registers every active subscription).
        if (rec.conn === conn) break;
        try {
          await this.register(conn, rec, Number.isFinite(deadline) ? Math.max(1, deadline - Date.now()) : 0);
          break;
        } catch (e) {
          // Lost the connection mid-registration: the reconnect registers it, or we retry.
          if (!(e instanceof ConnectionClosedError) || this.closing || !this.reconnectOptions) throw e;
          if (rec.conn && !rec.conn.isClosed) break;
        }
      }
    } catch (e) {
      rec.active = false;
      this.subs.delete(rec.id);
      throw e;
    }
    return {
      id: rec.id,
      unsubscribe: async () => {
        if (!rec.active) return;
        rec.active = false;
        this.subs.delete(rec.id);
        const conn = rec.conn;
        const cb = rec.callbackId;
        rec.conn = null;
        rec.callbackId = null;
        if (conn && cb !== null && !conn.isClosed) {
          try {
            await this.deregister(conn, family, cb);
          } catch (e) {
            this.emit(
              'warning',
              new Error(`deregistering event callback ${cb} failed: ${String(e)}`, { cause: e }),
            );
          }
        }
      },
    };
  }

  private async register(conn: RpcConnection, rec: SubRecord, timeoutMs: number): Promise<void> {
    this.pendingRegistrations++;
    try {
      let callbackID: number;
      const opts = { timeoutMs };
      switch (rec.family.family) {
        case 'domain':
          ({ callbackID } = await conn.call(
            P.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
            { eventID: rec.eventId, dom: rec.filter as RemoteNonnullDomain | null },
            opts,
          ));
          break;
        case 'network':
          ({ callbackID } = await conn.call(
            P.REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY,
            { eventID: rec.eventId, net: rec.filter as RemoteNonnullNetwork | null },
            opts,
          ));
          break;
        case 'storagePool':
          ({ callbackID } = await conn.call(
            P.REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY,
            { eventID: rec.eventId, pool: rec.filter as RemoteNonnullStoragePool | null },
            opts,
          ));
          break;
        default:
          throw new Error(`event family ${rec.family.family} is not supported`);
      }
      if (!rec.active) {
        // Unsubscribed while registering.
        void this.deregister(conn, rec.family, callbackID).catch(() => {});
        return;
      }
      rec.conn = conn;
      rec.callbackId = callbackID;
    } finally {
      this.pendingRegistrations--;
      this.replayEarlyEvents();
    }
  }

  private async deregister(conn: RpcConnection, family: EventFamilyInfo, callbackID: number): Promise<void> {
    switch (family.family) {
      case 'domain':
        await conn.call(P.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, { callbackID });
        return;
      case 'network':
        await conn.call(P.REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, { callbackID });
        return;
      case 'storagePool':
        await conn.call(P.REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY, { callbackID });
        return;
      default:
        return;
    }
  }

  private onMessage(conn: RpcConnection, message: RpcMessage): void {
    if (message.info === P.REMOTE_PROC_CONNECT_EVENT_CONNECTION_CLOSED) {
      const reason = (message.body as { reason: number }).reason;
      this.emit('server-close', { reason });
      if (conn === this.conn)
        void conn.close(`the daemon closed its hypervisor connection (reason ${reason})`);
      return;
    }
    if (
      !this.deliver(conn, message) &&
      this.pendingRegistrations > 0 &&
      this.earlyEvents.length < MAX_EARLY_EVENTS
    ) {
      // Possibly an event for a registration whose reply has not arrived yet.
      this.earlyEvents.push({ conn, message });
    }
  }

  private replayEarlyEvents(): void {
    if (this.earlyEvents.length === 0) return;
    const pending = this.earlyEvents;
    this.earlyEvents = [];
    for (const e of pending) {
      if (!this.deliver(e.conn, e.message) && this.pendingRegistrations > 0) this.earlyEvents.push(e);
    }
  }

  /** Returns false when no subscription matches (yet). */
  private deliver(conn: RpcConnection, message: RpcMessage): boolean {
    const family = Object.values(EVENT_FAMILIES).find((f) => f.events.some((e) => e.proc === message.proc));
    if (!family) return true; // not a callback event (legacy or unknown): nothing to deliver
    const eventInfo = family.events.find((e) => e.proc === message.proc);
    const n = normalizeEventBody(message.body);
    if (!eventInfo || !n) return true;
    let matched = false;
    for (const sub of this.subs.values()) {
      if (!sub.active || sub.conn !== conn || sub.callbackId !== n.callbackID || sub.family !== family)
        continue;
      matched = true;
      const event = buildFamilyEvent(family, eventInfo.eventId, n);
      if (!event) continue;
      if ('domain' in event) this.domainNames.set(event.domain.uuid, event.domain.name);
      try {
        sub.handler(event);
      } catch (e) {
        this.emit('warning', e instanceof Error ? e : new Error(String(e)));
      }
    }
    return matched;
  }

  // ---- object resolution --------------------------------------------------------------------

  /** A Domain from the wire, remembering its name for uuid-only references. */
  private seen(d: RemoteNonnullDomain): Domain {
    const domain = fromRemoteDomain(d);
    if (this.domainNames.size >= MAX_CACHED_NAMES) this.domainNames.clear();
    this.domainNames.set(domain.uuid, domain.name);
    return domain;
  }

  /**
   * The wire struct for a reference. `{name, uuid}` goes out as is. `{uuid}` alone uses the name
   * last seen for that UUID (listings, stats, lookups, events) — the drivers find domains by UUID,
   * the name only labels messages — and looks it up (one round trip) only when never seen.
   */
  private async dom(ref: DomainRef): Promise<RemoteNonnullDomain> {
    if (ref.name !== undefined && ref.uuid !== undefined) return toRemoteDomain(ref as Domain);
    if (ref.uuid !== undefined) {
      const known = this.domainNames.get(ref.uuid.toLowerCase());
      if (known !== undefined) return { name: known, uuid: uuidFromString(ref.uuid), id: -1 };
      const { dom } = await this.call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID, {
        uuid: uuidFromString(ref.uuid),
      });
      this.seen(dom);
      return dom;
    }
    if (ref.name !== undefined)
      return (await this.call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME, { name: ref.name })).dom;
    if ('id' in ref && typeof ref.id === 'number')
      return (await this.call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_ID, { id: ref.id })).dom;
    throw new TypeError('a domain reference needs a name, a uuid or an id');
  }

  private async network(ref: NetworkRef): Promise<Network> {
    if (ref.uuid !== undefined) return ref as Network;
    return fromRemoteNetwork((await this.call(P.REMOTE_PROC_NETWORK_LOOKUP_BY_NAME, { name: ref.name })).net);
  }

  private async pool(ref: StoragePoolRef): Promise<StoragePool> {
    if (ref.uuid !== undefined) return ref as StoragePool;
    return fromRemoteStoragePool(
      (await this.call(P.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_NAME, { name: ref.name })).pool,
    );
  }

  private async vol(ref: StorageVolRef): Promise<RemoteNonnullStorageVol> {
    if ('path' in ref)
      return (await this.call(P.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_PATH, { path: ref.path })).vol;
    if (ref.key !== undefined) return ref as StorageVol;
    const pool = toRemoteStoragePool(await this.pool({ name: ref.pool }));
    return (await this.call(P.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_NAME, { pool, name: ref.name })).vol;
  }

  // ---- connection and host ------------------------------------------------------------------

  async getConnectInfo(): Promise<ConnectInfo> {
    const [host, uri, type, lib, hv] = await Promise.all([
      this.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined),
      this.call(P.REMOTE_PROC_CONNECT_GET_URI, undefined),
      this.call(P.REMOTE_PROC_CONNECT_GET_TYPE, undefined),
      this.call(P.REMOTE_PROC_CONNECT_GET_LIB_VERSION, undefined),
      this.call(P.REMOTE_PROC_CONNECT_GET_VERSION, undefined),
    ]);
    const libN = Number(lib.lib_ver);
    const hvN = Number(hv.hv_ver);
    return {
      hostname: host.hostname,
      uri: uri.uri,
      type: type.type,
      libVersion: versionString(libN),
      libVersionNumber: libN,
      hypervisorVersion: versionString(hvN),
      hypervisorVersionNumber: hvN,
    };
  }

  async nodeGetInfo(): Promise<NodeInfo> {
    const r = await this.call(P.REMOTE_PROC_NODE_GET_INFO, undefined);
    return {
      model: cString(r.model),
      memoryKiB: Number(r.memory),
      cpus: r.cpus,
      mhz: r.mhz,
      nodes: r.nodes,
      sockets: r.sockets,
      cores: r.cores,
      threads: r.threads,
    };
  }

  /** Host CPU time counters (ns) as typed params (ULLONG): kernel, user, idle, iowait… */
  async nodeGetCpuStats(options: { cpu?: number; flags?: number } = {}): Promise<TypedParam[]> {
    const cpuNum = options.cpu ?? -1;
    const flags = options.flags ?? 0;
    const { nparams } = await this.call(P.REMOTE_PROC_NODE_GET_CPU_STATS, { cpuNum, nparams: 0, flags });
    if (nparams === 0) return [];
    const r = await this.call(P.REMOTE_PROC_NODE_GET_CPU_STATS, { cpuNum, nparams, flags });
    return r.params.map((p) => ({ field: p.field, type: 'ullong', value: p.value }));
  }

  /** Host memory counters (KiB) as typed params (ULLONG): total, free, buffers, cached. */
  async nodeGetMemoryStats(options: { cell?: number; flags?: number } = {}): Promise<TypedParam[]> {
    const cellNum = options.cell ?? -1;
    const flags = options.flags ?? 0;
    const { nparams } = await this.call(P.REMOTE_PROC_NODE_GET_MEMORY_STATS, { cellNum, nparams: 0, flags });
    if (nparams === 0) return [];
    const r = await this.call(P.REMOTE_PROC_NODE_GET_MEMORY_STATS, { cellNum, nparams, flags });
    return r.params.map((p) => ({ field: p.field, type: 'ullong', value: p.value }));
  }

  async getCapabilities(): Promise<string> {
    return (await this.call(P.REMOTE_PROC_CONNECT_GET_CAPABILITIES, undefined)).capabilities;
  }

  async getDomainCapabilities(
    options: { emulator?: string; arch?: string; machine?: string; virttype?: string; flags?: number } = {},
  ): Promise<string> {
    return (
      await this.call(P.REMOTE_PROC_CONNECT_GET_DOMAIN_CAPABILITIES, {
        emulatorbin: options.emulator ?? null,
        arch: options.arch ?? null,
        machine: options.machine ?? null,
        virttype: options.virttype ?? null,
        flags: options.flags ?? 0,
      })
    ).capabilities;
  }

  // ---- domains: listing and stats -----------------------------------------------------------

  /** virConnectListAllDomains; flags from virConnectListAllDomainsFlags (0 = all). */
  async listAllDomains(flags = 0): Promise<Domain[]> {
    const r = await this.call(P.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, {
      need_results: 1,
      flags: flags >>> 0,
    });
    return r.domains.map((d) => this.seen(d));
  }

  /**
   * virConnectGetAllDomainStats / virDomainListGetStats in ONE call. Defaults: STATE, CPU_TOTAL,
   * BALLOON, VCPU for all domains, with NOWAIT (a domain busy with a job reports what it can
   * instead of blocking the poll).
   */
  async getAllDomainStats(
    options: { domains?: readonly DomainRef[]; stats?: number; flags?: number; timeoutMs?: number } = {},
  ): Promise<DomainStatsRecord[]> {
    const doms = options.domains ? await Promise.all(options.domains.map((d) => this.dom(d))) : [];
    const flags = options.flags ?? virConnectGetAllDomainStatsFlags.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
    const r = await this.call(
      P.REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS,
      { doms, stats: (options.stats ?? DEFAULT_STATS) >>> 0, flags: flags >>> 0 },
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    );
    return r.retStats.map((rec) => ({
      domain: this.seen(rec.dom),
      params: fromRemoteTypedParams(rec.params),
    }));
  }

  /**
   * Inventory: every domain's name, uuid, state, vCPUs, memory and CPU time —
   * listAllDomains + one getAllDomainStats (NOWAIT), joined by UUID.
   */
  async inventory(): Promise<DomainSummary[]> {
    const [domains, stats] = await Promise.all([this.listAllDomains(), this.getAllDomainStats()]);
    const byUuid = new Map(stats.map((s) => [s.domain.uuid, s]));
    return domains.map((d) => summarizeDomainStats(byUuid.get(d.uuid) ?? { domain: d, params: [] }));
  }

  async domainLookup(ref: DomainRef): Promise<Domain> {
    if (ref.uuid !== undefined) {
      // Always asks the daemon: verifies it exists and learns its current name and id.
      return this.seen(
        (await this.call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID, { uuid: uuidFromString(ref.uuid) })).dom,
      );
    }
    return this.seen(await this.dom(ref));
  }

  // ---- domains: XML ---------------------------------------------------------------------------

  /** flags: virDomainXMLFlags (SECURE 1, INACTIVE 2, UPDATE_CPU 4, MIGRATABLE 8). */
  async domainGetXml(ref: DomainRef, flags = 0): Promise<string> {
    return (await this.call(P.REMOTE_PROC_DOMAIN_GET_XML_DESC, { dom: await this.dom(ref), flags })).xml;
  }

  /** flags: virDomainDefineFlags (VALIDATE 1). */
  async domainDefineXml(xml: string, flags = 0): Promise<Domain> {
    return this.seen((await this.call(P.REMOTE_PROC_DOMAIN_DEFINE_XML_FLAGS, { xml, flags })).dom);
  }

  /** flags: virDomainUndefineFlagsValues (MANAGED_SAVE, SNAPSHOTS_METADATA, NVRAM, …). */
  async domainUndefine(ref: DomainRef, flags = 0): Promise<void> {
    const dom = await this.dom(ref);
    await this.call(P.REMOTE_PROC_DOMAIN_UNDEFINE_FLAGS, { dom, flags });
    this.domainNames.delete(uuidToString(dom.uuid));
  }

  // ---- domains: lifecycle -------------------------------------------------------------------

  /** Starts a defined domain (virDomainCreateWithFlags; flags: virDomainCreateFlags). */
  async domainStart(ref: DomainRef, flags = 0): Promise<Domain> {
    return this.seen(
      (await this.call(P.REMOTE_PROC_DOMAIN_CREATE_WITH_FLAGS, { dom: await this.dom(ref), flags })).dom,
    );
  }

  /** flags: virDomainShutdownFlagValues (ACPI_POWER_BTN 1, GUEST_AGENT 2, …; 0 = hypervisor's choice). */
  async domainShutdown(ref: DomainRef, flags = 0): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_SHUTDOWN_FLAGS, { dom: await this.dom(ref), flags });
  }

  /** flags: virDomainRebootFlagValues. */
  async domainReboot(ref: DomainRef, flags = 0): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_REBOOT, { dom: await this.dom(ref), flags });
  }

  async domainReset(ref: DomainRef): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_RESET, { dom: await this.dom(ref), flags: 0 });
  }

  /** Hard power-off. flags: virDomainDestroyFlagsValues (GRACEFUL 1). */
  async domainDestroy(ref: DomainRef, flags = 0): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_DESTROY_FLAGS, { dom: await this.dom(ref), flags });
  }

  async domainSuspend(ref: DomainRef): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_SUSPEND, { dom: await this.dom(ref) });
  }

  async domainResume(ref: DomainRef): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_RESUME, { dom: await this.dom(ref) });
  }

  /** flags: virDomainSaveRestoreFlags. */
  async domainManagedSave(ref: DomainRef, flags = 0): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_MANAGED_SAVE, { dom: await this.dom(ref), flags });
  }

  async domainHasManagedSaveImage(ref: DomainRef): Promise<boolean> {
    return (
      (await this.call(P.REMOTE_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, { dom: await this.dom(ref), flags: 0 }))
        .result !== 0
    );
  }

  async domainManagedSaveRemove(ref: DomainRef): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_MANAGED_SAVE_REMOVE, { dom: await this.dom(ref), flags: 0 });
  }

  async domainSetAutostart(ref: DomainRef, autostart: boolean): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_SET_AUTOSTART, {
      dom: await this.dom(ref),
      autostart: autostart ? 1 : 0,
    });
  }

  async domainGetAutostart(ref: DomainRef): Promise<boolean> {
    return (
      (await this.call(P.REMOTE_PROC_DOMAIN_GET_AUTOSTART, { dom: await this.dom(ref) })).autostart !== 0
    );
  }

  // ---- domains: info and tuning -------------------------------------------------------------

  async domainGetInfo(ref: DomainRef): Promise<DomainInfo> {
    const r = await this.call(P.REMOTE_PROC_DOMAIN_GET_INFO, { dom: await this.dom(ref) });
    return {
      state: r.state,
      maxMemKiB: Number(r.maxMem),
      memoryKiB: Number(r.memory),
      nrVirtCpu: r.nrVirtCpu,
      cpuTimeNs: r.cpuTime,
    };
  }

  /** { state: virDomainState, reason: the state's reason enum }. */
  async domainGetState(ref: DomainRef): Promise<{ state: number; reason: number }> {
    return this.call(P.REMOTE_PROC_DOMAIN_GET_STATE, { dom: await this.dom(ref), flags: 0 });
  }

  /** flags: virDomainVcpuFlags / virDomainModificationImpact (LIVE 1, CONFIG 2, MAXIMUM 4, GUEST 8). */
  async domainSetVcpus(ref: DomainRef, count: number, flags = 0): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_SET_VCPUS_FLAGS, { dom: await this.dom(ref), nvcpus: count, flags });
  }

  async domainGetVcpus(ref: DomainRef, flags = 0): Promise<number> {
    return (await this.call(P.REMOTE_PROC_DOMAIN_GET_VCPUS_FLAGS, { dom: await this.dom(ref), flags })).num;
  }

  /** Memory in KiB. flags: virDomainMemoryModFlags (LIVE 1, CONFIG 2, MAXIMUM 4). */
  async domainSetMemory(ref: DomainRef, kib: number | bigint, flags = 0): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_SET_MEMORY_FLAGS, {
      dom: await this.dom(ref),
      memory: BigInt(kib),
      flags,
    });
  }

  /** Pins vCPU `vcpu` to host CPUs `cpus`. flags: virDomainModificationImpact. */
  async domainPinVcpu(ref: DomainRef, vcpu: number, cpus: readonly number[], flags = 0): Promise<void> {
    if (cpus.length === 0) throw new RangeError('pin to at least one host CPU');
    const max = Math.max(...cpus);
    const map = new Uint8Array(Math.floor(max / 8) + 1);
    for (const c of cpus) {
      if (!Number.isInteger(c) || c < 0) throw new RangeError(`bad host CPU number ${c}`);
      map[c >> 3] = (map[c >> 3] as number) | (1 << (c & 7));
    }
    await this.call(P.REMOTE_PROC_DOMAIN_PIN_VCPU_FLAGS, {
      dom: await this.dom(ref),
      vcpu,
      cpumap: map,
      flags,
    });
  }

  /** Per vCPU, the host CPUs it may run on. flags: virDomainModificationImpact. */
  async domainGetVcpuPinInfo(ref: DomainRef, flags = 0): Promise<number[][]> {
    const dom = await this.dom(ref);
    const hostCpus = (
      await this.call(P.REMOTE_PROC_NODE_GET_CPU_MAP, { need_map: 0, need_online: 0, flags: 0 })
    ).ret;
    const impact = flags & 3;
    const nvcpus = (
      await this.call(P.REMOTE_PROC_DOMAIN_GET_VCPUS_FLAGS, { dom, flags: impact | 4 /* MAXIMUM */ })
    ).num;
    const maplen = Math.ceil(hostCpus / 8);
    const r = await this.call(P.REMOTE_PROC_DOMAIN_GET_VCPU_PIN_INFO, {
      dom,
      ncpumaps: nvcpus,
      maplen,
      flags,
    });
    const out: number[][] = [];
    for (let v = 0; v < r.num; v++) {
      const cpus: number[] = [];
      for (let c = 0; c < hostCpus; c++) {
        const byte = r.cpumaps[v * maplen + (c >> 3)] ?? 0;
        if (byte & (1 << (c & 7))) cpus.push(c);
      }
      out.push(cpus);
    }
    return out;
  }

  /** Typed params out (call twice, STRING_OKAY as the C library adds it). */
  async domainGetMemoryParameters(ref: DomainRef, flags = 0): Promise<TypedParam[]> {
    const dom = await this.dom(ref);
    const f = combineFlags(flags, virTypedParameterFlags.VIR_TYPED_PARAM_STRING_OKAY);
    const { nparams } = await this.call(P.REMOTE_PROC_DOMAIN_GET_MEMORY_PARAMETERS, {
      dom,
      nparams: 0,
      flags: f,
    });
    if (nparams === 0) return [];
    const r = await this.call(P.REMOTE_PROC_DOMAIN_GET_MEMORY_PARAMETERS, { dom, nparams, flags: f });
    return fromRemoteTypedParams(r.params);
  }

  /** Typed params in, e.g. `[tp.ullong('hard_limit', 1048576n)]`. */
  async domainSetMemoryParameters(ref: DomainRef, params: readonly TypedParam[], flags = 0): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_SET_MEMORY_PARAMETERS, {
      dom: await this.dom(ref),
      params: toRemoteTypedParams(params),
      flags,
    });
  }

  /** source: virDomainInterfaceAddressesSource (LEASE 0, AGENT 1, ARP 2). */
  async domainInterfaceAddresses(ref: DomainRef, source = 0, flags = 0): Promise<DomainInterface[]> {
    const r = await this.call(P.REMOTE_PROC_DOMAIN_INTERFACE_ADDRESSES, {
      dom: await this.dom(ref),
      source,
      flags,
    });
    return r.ifaces.map((i) => ({
      name: i.name,
      hwaddr: i.hwaddr,
      addrs: i.addrs.map((a) => ({ type: a.type === 1 ? 'ipv6' : 'ipv4', addr: a.addr, prefix: a.prefix })),
    }));
  }

  // ---- snapshots ------------------------------------------------------------------------------

  private snap(dom: RemoteNonnullDomain, name: string): RemoteNonnullDomainSnapshot {
    return { name, dom };
  }

  async domainSnapshotList(ref: DomainRef, flags = 0): Promise<DomainSnapshot[]> {
    const r = await this.call(P.REMOTE_PROC_DOMAIN_LIST_ALL_SNAPSHOTS, {
      dom: await this.dom(ref),
      need_results: 1,
      flags,
    });
    return r.snapshots.map(fromRemoteSnapshot);
  }

  /** flags: virDomainSnapshotCreateFlags. */
  async domainSnapshotCreate(ref: DomainRef, xml: string, flags = 0): Promise<DomainSnapshot> {
    const r = await this.call(P.REMOTE_PROC_DOMAIN_SNAPSHOT_CREATE_XML, {
      dom: await this.dom(ref),
      xml_desc: xml,
      flags,
    });
    return fromRemoteSnapshot(r.snap);
  }

  async domainSnapshotGetXml(ref: DomainRef, name: string, flags = 0): Promise<string> {
    return (
      await this.call(P.REMOTE_PROC_DOMAIN_SNAPSHOT_GET_XML_DESC, {
        snap: this.snap(await this.dom(ref), name),
        flags,
      })
    ).xml;
  }

  /** flags: virDomainSnapshotRevertFlags. */
  async domainSnapshotRevert(ref: DomainRef, name: string, flags = 0): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_REVERT_TO_SNAPSHOT, {
      snap: this.snap(await this.dom(ref), name),
      flags,
    });
  }

  /** flags: virDomainSnapshotDeleteFlags. */
  async domainSnapshotDelete(ref: DomainRef, name: string, flags = 0): Promise<void> {
    await this.call(P.REMOTE_PROC_DOMAIN_SNAPSHOT_DELETE, {
      snap: this.snap(await this.dom(ref), name),
      flags,
    });
  }

  // ---- storage --------------------------------------------------------------------------------

  async listStoragePools(flags = 0): Promise<StoragePool[]> {
    const r = await this.call(P.REMOTE_PROC_CONNECT_LIST_ALL_STORAGE_POOLS, { need_results: 1, flags });
    return r.pools.map(fromRemoteStoragePool);
  }

  async storagePoolGetInfo(
    ref: StoragePoolRef,
  ): Promise<{ state: number; capacity: bigint; allocation: bigint; available: bigint }> {
    return this.call(P.REMOTE_PROC_STORAGE_POOL_GET_INFO, {
      pool: toRemoteStoragePool(await this.pool(ref)),
    });
  }

  async storagePoolGetXml(ref: StoragePoolRef, flags = 0): Promise<string> {
    return (
      await this.call(P.REMOTE_PROC_STORAGE_POOL_GET_XML_DESC, {
        pool: toRemoteStoragePool(await this.pool(ref)),
        flags,
      })
    ).xml;
  }

  async listStorageVolumes(ref: StoragePoolRef, flags = 0): Promise<StorageVol[]> {
    const pool = toRemoteStoragePool(await this.pool(ref));
    const r = await this.call(P.REMOTE_PROC_STORAGE_POOL_LIST_ALL_VOLUMES, { pool, need_results: 1, flags });
    return r.vols.map(fromRemoteStorageVol);
  }

  /** Creates and starts a transient pool. flags: virStoragePoolCreateFlags (WITH_BUILD 1, …). */
  async storagePoolCreateXml(xml: string, flags = 0): Promise<StoragePool> {
    return fromRemoteStoragePool(
      (await this.call(P.REMOTE_PROC_STORAGE_POOL_CREATE_XML, { xml, flags })).pool,
    );
  }

  /** Stops a pool (a transient one disappears). */
  async storagePoolDestroy(ref: StoragePoolRef): Promise<void> {
    await this.call(P.REMOTE_PROC_STORAGE_POOL_DESTROY, { pool: toRemoteStoragePool(await this.pool(ref)) });
  }

  /** flags: virStorageVolCreateFlags. */
  async storageVolCreateXml(pool: StoragePoolRef, xml: string, flags = 0): Promise<StorageVol> {
    const p = toRemoteStoragePool(await this.pool(pool));
    return fromRemoteStorageVol(
      (await this.call(P.REMOTE_PROC_STORAGE_VOL_CREATE_XML, { pool: p, xml, flags })).vol,
    );
  }

  /** flags: virStorageVolDeleteFlags. */
  async storageVolDelete(ref: StorageVolRef, flags = 0): Promise<void> {
    await this.call(P.REMOTE_PROC_STORAGE_VOL_DELETE, { vol: await this.vol(ref), flags });
  }

  async storageVolLookup(ref: StorageVolRef): Promise<StorageVol> {
    return fromRemoteStorageVol(await this.vol(ref));
  }

  async storageVolGetInfo(
    ref: StorageVolRef,
  ): Promise<{ type: number; capacity: bigint; allocation: bigint }> {
    return this.call(P.REMOTE_PROC_STORAGE_VOL_GET_INFO, { vol: await this.vol(ref) });
  }

  async storageVolGetXml(ref: StorageVolRef, flags = 0): Promise<string> {
    return (await this.call(P.REMOTE_PROC_STORAGE_VOL_GET_XML_DESC, { vol: await this.vol(ref), flags })).xml;
  }

  /**
   * Uploads into a volume: write to the returned stream and end() it; 'finish' fires once the
   * daemon confirmed. With VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM the stream is in object mode and
   * also accepts `{ hole: bigint }`.
   */
  async storageVolUpload(
    ref: StorageVolRef,
    options: { offset?: bigint; length?: bigint; flags?: number } & StreamOpenOptions = {},
  ): Promise<RpcStream> {
    const flags = options.flags ?? 0;
    const { stream } = await this.openStream(
      P.REMOTE_PROC_STORAGE_VOL_UPLOAD,
      { vol: await this.vol(ref), offset: options.offset ?? 0n, length: options.length ?? 0n, flags },
      {
        mode: 'write',
        sparse: (flags & virStorageVolUploadFlags.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) !== 0,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
    );
    return stream;
  }

  /**
   * Downloads a volume: read the returned stream to its end. With
   * VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM it yields Buffers and `{ hole: bigint }` items.
   */
  async storageVolDownload(
    ref: StorageVolRef,
    options: { offset?: bigint; length?: bigint; flags?: number } & StreamOpenOptions = {},
  ): Promise<RpcStream> {
    const flags = options.flags ?? 0;
    const { stream } = await this.openStream(
      P.REMOTE_PROC_STORAGE_VOL_DOWNLOAD,
      { vol: await this.vol(ref), offset: options.offset ?? 0n, length: options.length ?? 0n, flags },
      {
        mode: 'read',
        sparse: (flags & virStorageVolDownloadFlags.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM) !== 0,
        ...(options.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: options.maxBufferedBytes }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
    );
    return stream;
  }

  // ---- networks -------------------------------------------------------------------------------

  async listNetworks(flags = 0): Promise<Network[]> {
    const r = await this.call(P.REMOTE_PROC_CONNECT_LIST_ALL_NETWORKS, { need_results: 1, flags });
    return r.nets.map(fromRemoteNetwork);
  }

  async networkGetXml(ref: NetworkRef, flags = 0): Promise<string> {
    return (
      await this.call(P.REMOTE_PROC_NETWORK_GET_XML_DESC, {
        net: toRemoteNetwork(await this.network(ref)),
        flags,
      })
    ).xml;
  }

  async networkGetDhcpLeases(
    ref: NetworkRef,
    options: { mac?: string; flags?: number } = {},
  ): Promise<DhcpLease[]> {
    const r = await this.call(P.REMOTE_PROC_NETWORK_GET_DHCP_LEASES, {
      net: toRemoteNetwork(await this.network(ref)),
      mac: options.mac ?? null,
      need_results: 1,
      flags: options.flags ?? 0,
    });
    return r.leases.map((l) => ({
      iface: l.iface,
      expiryTime: Number(l.expirytime),
      type: l.type === 1 ? 'ipv6' : 'ipv4',
      mac: l.mac,
      iaid: l.iaid,
      ipaddr: l.ipaddr,
      prefix: l.prefix,
      hostname: l.hostname,
      clientid: l.clientid,
    }));
  }

  // ---- console and screenshot ---------------------------------------------------------------

  /**
   * Opens a serial/console device (null = the first console) as a bidirectional byte stream.
   * flags: virDomainConsoleFlags (FORCE 1 takes over an existing session, SAFE 2).
   * Ending the writable side (end()) closes the console; the daemon's EOF ends the readable side.
   */
  async openConsole(
    ref: DomainRef,
    devName: string | null = null,
    flags = 0,
    options: StreamOpenOptions = {},
  ): Promise<RpcStream> {
    const { stream } = await this.openStream(
      P.REMOTE_PROC_DOMAIN_OPEN_CONSOLE,
      { dom: await this.dom(ref), dev_name: devName, flags },
      {
        mode: 'both',
        ...(options.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: options.maxBufferedBytes }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
    );
    return stream;
  }

  /** Screenshot of `screen`: the MIME type libvirt reports and the image bytes as a stream. */
  async screenshot(
    ref: DomainRef,
    screen = 0,
    options: StreamOpenOptions = {},
  ): Promise<{ mime: string | null; stream: RpcStream }> {
    const { stream, reply } = await this.openStream(
      P.REMOTE_PROC_DOMAIN_SCREENSHOT,
      { dom: await this.dom(ref), screen, flags: 0 },
      {
        mode: 'read',
        ...(options.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: options.maxBufferedBytes }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
    );
    return { mime: reply.mime, stream };
  }
}
