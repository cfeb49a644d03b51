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
  remoteProcedures as P,
  type EventFamilyInfo,
  type ProcedureInfo,
  type RemoteNonnullDomain,
  type RemoteNonnullNetwork,
  type RemoteNonnullStoragePool,
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
import { toRemoteNetwork, toRemoteStoragePool, type DomainRef, type NetworkRef, type StoragePoolRef } from './types';
import { DomainBackupApi } from '../objects/domain-backup';
import { DomainCheckpointApi } from '../objects/domain-checkpoint';
import { DomainSnapshotApi } from '../objects/domain-snapshot';
import { DomainApi } from '../objects/domain';
import { HostApi } from '../objects/host';
import { NetworkApi } from '../objects/network';
import { NodeDeviceApi } from '../objects/node-device';
import { ObjectRefs } from '../objects/object-refs';
import { DomainMigrationApi } from '../objects/domain-migration';
import type { LibvirtRpcCore } from '../objects/rpc-core';
import { SecretApi } from '../objects/secret';
import { StoragePoolApi } from '../objects/storage-pool';
import { StorageVolumeApi } from '../objects/storage-volume';
import { StreamsApi } from '../objects/streams';
import { withTimeLimit } from '../../platform/time-limit';

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

/** Which daemon registration a subscription needs: its event and its object filter. */
function subscriptionKey(rec: SubRecord): string {
  const filter = rec.filter ? `${rec.filter.name}/${Array.from(rec.filter.uuid, (b) => b.toString(16).padStart(2, '0')).join('')}` : '*';
  return `${rec.family.family}:${rec.eventId}:${filter}`;
}

interface Waiter {
  resolve(conn: RpcConnection): void;
  reject(err: Error): void;
}

const DEFAULT_CALL_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const MAX_EARLY_EVENTS = 256;
/** How long close() waits for event (de)registration replies before it ends the connection anyway. */
const CLOSE_WAIT_FOR_EVENT_CALLS_MS = 2_000;
/** A connection that lived shorter than this counts as a flap (see onConnectionClosed). */
const STABLE_CONNECTION_MS = 10_000;

/** Resolves once every promise has settled, or after ms, whichever is first; never rejects. */
async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

export class LibvirtClient extends EventEmitter<LibvirtClientEvents> implements LibvirtRpcCore {
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
  /**
   * One daemon registration per event, object filter and connection, shared by every subscription to
   * it: libvirtd refuses a second registration of the same event and filter from one connection ("event
   * callback already tracked", object_event.c), so libvirt's own client fans one out locally, as we do.
   */
  private readonly registrations = new Map<string, { conn: RpcConnection; callbackId: Promise<number> }>();
  private nextSubId = 1;
  private pendingRegistrations = 0;
  /**
   * Event (de)registration calls sent and not answered yet. close() waits for them before it ends the
   * connection: libvirtd 9.0 frees a closing client's callback list without the lock its dispatch workers
   * take (remoteClientFreePrivateCallbacks), so a connection that ends while a deregistration is being
   * dispatched can make the daemon free the same callback twice and crash.
   */
  private readonly eventCallsInFlight = new Set<Promise<unknown>>();
  private earlyEvents: Array<{ conn: RpcConnection; message: RpcMessage }> = [];
  private connectedAt = 0;
  private flaps = 0;
  /** Object references shared by the object modules (domain names by UUID, pools, volumes). */
  private readonly refs = new ObjectRefs(this);

  // ---- the object modules: one per libvirt object, over call() and openStream() ------------------
  /** The host: versions, node info and counters, capabilities. */
  readonly host = new HostApi(this);
  readonly domain = new DomainApi(this, this.refs);
  readonly snapshot = new DomainSnapshotApi(this, this.refs);
  readonly checkpoint = new DomainCheckpointApi(this, this.refs);
  readonly backup = new DomainBackupApi(this, this.refs);
  readonly storagePool = new StoragePoolApi(this, this.refs);
  readonly storageVolume = new StorageVolumeApi(this, this.refs);
  readonly network = new NetworkApi(this, this.refs);
  readonly nodeDevice = new NodeDeviceApi(this);
  readonly secret = new SecretApi(this);
  readonly migration = new DomainMigrationApi(this, this.refs);
  /** Consoles, screenshots, volume uploads and downloads. */
  readonly streams = new StreamsApi(this, this.refs);

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

  /**
   * Closes for good: waits (≤ 2 s) for event (de)registration replies, sends no new deregistration,
   * then CONNECT_CLOSE (best effort, 2 s), then the transport; pending work rejects.
   */
  async close(): Promise<void> {
    if (this._state === 'closed' && !this.conn) return;
    this.closing = true;
    this.cancelSleep();
    const conn = this.conn;
    this.conn = null;
    this.handshakeInfo = null;
    if (this.attemptConn) void this.attemptConn.close('the client was closed while connecting');
    if (conn && !conn.isClosed) {
      await settledWithin([...this.eventCallsInFlight], CLOSE_WAIT_FOR_EVENT_CALLS_MS);
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
    const transport = await withTimeLimit(this.dial(), this.connectTimeoutMs, 'dialing', (late) =>
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
    for (const [key, shared] of this.registrations) if (shared.conn === conn) this.registrations.delete(key);
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
    const filter = options.domain ? await this.refs.domain(options.domain) : null;
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
    const filter = options.network ? toRemoteNetwork(await this.refs.network(options.network)) : null;
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
    const filter = options.pool ? toRemoteStoragePool(await this.refs.pool(options.pool)) : null;
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
        // Others on the same daemon registration keep it.
        const shared = [...this.subs.values()].some((s) => s.active && s.conn === conn && s.callbackId === cb && s.family === family);
        // Closing drops every registration with the connection: no deregistration races the close.
        if (conn && cb !== null && !conn.isClosed && !shared && !this.closing) {
          const key = subscriptionKey(rec);
          if (this.registrations.get(key)?.conn === conn) this.registrations.delete(key);
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
      const key = subscriptionKey(rec);
      let shared = this.registrations.get(key);
      if (!shared || shared.conn !== conn) {
        const entry = { conn, callbackId: this.registerWithDaemon(conn, rec, timeoutMs) };
        this.registrations.set(key, entry);
        entry.callbackId.catch(() => {
          if (this.registrations.get(key) === entry) this.registrations.delete(key);
        });
        shared = entry;
      }
      const callbackID = await shared.callbackId;
      if (!rec.active) {
        // Unsubscribed while registering: let go of the registration when nobody else uses it.
        const others = [...this.subs.values()].some((s) => s.active && s.conn === conn && s.callbackId === callbackID && s.family === rec.family);
        if (!others && this.registrations.get(key) === shared) {
          this.registrations.delete(key);
          if (!this.closing) void this.deregister(conn, rec.family, callbackID).catch(() => {});
        }
        return;
      }
      rec.conn = conn;
      rec.callbackId = callbackID;
    } finally {
      this.pendingRegistrations--;
      this.replayEarlyEvents();
    }
  }

  private registerWithDaemon(conn: RpcConnection, rec: SubRecord, timeoutMs: number): Promise<number> {
    return this.trackEventCall(this.sendRegistration(conn, rec, timeoutMs));
  }

  /** Keeps an event (de)registration call in eventCallsInFlight until it settles. */
  private trackEventCall<T>(call: Promise<T>): Promise<T> {
    this.eventCallsInFlight.add(call);
    const forget = (): void => {
      this.eventCallsInFlight.delete(call);
    };
    call.then(forget, forget);
    return call;
  }

  private async sendRegistration(conn: RpcConnection, rec: SubRecord, timeoutMs: number): Promise<number> {
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
    return callbackID;
  }

  private deregister(conn: RpcConnection, family: EventFamilyInfo, callbackID: number): Promise<void> {
    return this.trackEventCall(this.sendDeregistration(conn, family, callbackID));
  }

  private async sendDeregistration(conn: RpcConnection, family: EventFamilyInfo, callbackID: number): Promise<void> {
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
      if ('domain' in event) this.refs.remember(event.domain.uuid, event.domain.name);
      try {
        sub.handler(event);
      } catch (e) {
        this.emit('warning', e instanceof Error ? e : new Error(String(e)));
      }
    }
    return matched;
  }

}
