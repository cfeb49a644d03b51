/**
 * For the relay bench only (`npm run bench -- migration --only relay-threads`; not used by the app): a
 * second SSH connection to a host that already has one, run on a worker thread, carrying the relay's
 * destination side, so that host B's encryption, packet building and socket writes run on another thread
 * than the source side's decryption. It answers one question: is a two-thread relay faster than the
 * single-thread one (main/services/migration/migration-relay.ts)? Measured 2026-12-07: not measurably, on
 * the shared 2-core machine (README, relay rows), so it is not wired into MigrationRelay.
 *
 * Security as a wired-in version would need it: the worker connects with the lab connection's target and
 * options (identity file, known_hosts file; no prompter, so nothing is asked and an unknown or changed key
 * is refused before authentication), then checks that the host presented the key the main connection
 * accepted (the fingerprint, `pinnedHostKey`) and refuses otherwise. No secret crosses the thread
 * boundary: only file paths.
 *
 * Channels: {@link BulkConnection.forwardTcp} returns a Duplex on the main thread that stands for a
 * direct-tcpip channel in the worker. Bytes written to it are copied once into a batch buffer per
 * event-loop turn (batched: one message per turn, not one per 32 KiB SSH packet) that is transferred (not
 * copied again) to the worker, and transferred back for reuse once ssh2 has copied it into its packets.
 * Backpressure: at most {@link IN_FLIGHT_BYTES} may be posted and not yet taken by the worker's channel
 * (acknowledged by the channel's write callback: ssh2 calls it once the bytes fit its send window);
 * beyond that the Duplex holds write callbacks, so its write() returns false like a channel's would and
 * the writer pauses. The return direction posts copies and is paused with the Duplex's own read
 * backpressure (the worker's channel is paused and its receive window no longer refilled).
 *
 * Teardown: destroying the Duplex destroys the worker's channel; the channel closing (EOF, error, the
 * connection lost) destroys the Duplex; close() (or the worker dying) destroys every Duplex, closes the
 * connection and ends the worker.
 */
import { Duplex } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { SshConnectOptions, SshTarget } from '../../main/ssh';

/** What the worker connects with (plain data, posted to the worker): no prompter, no secrets. */
export interface WorkerConnectParams {
  target: SshTarget;
  options: Pick<SshConnectOptions, 'knownHostsFiles' | 'sshConfigFile'> & { agent?: string | null };
  /** The SHA256 fingerprint of the host key the main connection accepted: any other key is refused. */
  pinnedHostKey: string;
}

/** Main thread → worker. */
export type WorkerIn =
  | { t: 'open'; id: number; host: string; port: number }
  | { t: 'data'; id: number; buffer: ArrayBuffer; length: number }
  | { t: 'end'; id: number }
  | { t: 'destroy'; id: number }
  | { t: 'read'; id: number; flowing: boolean }
  | { t: 'close' };

/** Worker → main thread. */
export type WorkerOut =
  | { t: 'ready'; fingerprint: string; cipher: string }
  | { t: 'failed'; message: string }
  | { t: 'gone'; message: string }
  | { t: 'opened'; id: number }
  | { t: 'open-failed'; id: number; message: string }
  /** `n` bytes were taken by the channel (copied into SSH packets); `buffer` is the batch's, back for reuse. */
  | { t: 'ack'; id: number; n: number; buffer?: ArrayBuffer }
  | { t: 'data'; id: number; bytes: Uint8Array }
  | { t: 'eof'; id: number }
  | { t: 'finished'; id: number }
  | { t: 'error'; id: number; message: string }
  | { t: 'closed'; id: number };

/** Bytes posted to the worker and not yet taken by its channel, per channel (the bounded queue between threads). */
export const IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** Bytes batched into one message at most. */
const BATCH_BYTES = 512 * 1024;

/** What the main thread needs of the worker (a real Worker, or a MessagePort-like fake in tests). */
export interface BulkWorkerLike {
  postMessage(message: WorkerIn, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (message: WorkerOut) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  terminate(): Promise<number>;
}

/** Starts the worker thread: its TypeScript source through tsx (the bench runs under tsx). */
function startWorker(params: WorkerConnectParams): BulkWorkerLike {
  // tsx's ESM register entry (require.resolve would give its CommonJS one), from its package.json's exports.
  const require = createRequire(import.meta.url);
  const tsxPackage = require.resolve('tsx/package.json');
  const { exports } = require(tsxPackage) as { exports: Record<string, { import: { default: string } }> };
  const esmApi = exports['./esm/api']?.import.default ?? './dist/esm/api/index.mjs';
  const tsx = pathToFileURL(join(dirname(tsxPackage), esmApi)).href;
  const entry = new URL('./relay-worker-thread.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: params }) as BulkWorkerLike;
}

class BulkChannel extends Duplex {
  private inFlight = 0;
  private heldCallback: (() => void) | null = null;
  private batch: Buffer | null = null;
  private batchLength = 0;
  private flushScheduled = false;
  private finalCallback: ((err?: Error | null) => void) | null = null;
  private readPaused = false;
  private closedByWorker = false;
  /** Batch buffers the worker handed back (enough for the bytes allowed in flight). */
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly id: number,
    private readonly post: (message: WorkerIn, transfer?: ArrayBuffer[]) => void,
  ) {
    super({ writableHighWaterMark: 1024 * 1024, allowHalfOpen: true });
  }

  /** Posted bytes not yet taken by the worker's channel. */
  get queuedInWorker(): number {
    return this.inFlight + this.batchLength;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.batch || this.batchLength === 0) return;
    const { buffer } = this.batch;
    const length = this.batchLength;
    this.batch = null;
    this.batchLength = 0;
    this.inFlight += length;
    this.post({ t: 'data', id: this.id, buffer: buffer as ArrayBuffer, length }, [buffer as ArrayBuffer]);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.batch) {
        // Its own ArrayBuffer (not the shared pool): it is transferred, not copied.
        this.batch = this.spare.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
        this.batchLength = 0;
      }
      const n = Math.min(chunk.length - offset, this.batch.length - this.batchLength);
      chunk.copy(this.batch, this.batchLength, offset, offset + n);
      this.batchLength += n;
      offset += n;
      if (this.batchLength === this.batch.length) this.flush();
    }
    if (!this.flushScheduled && this.batchLength > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (this.inFlight + this.batchLength <= IN_FLIGHT_BYTES) callback();
    else this.heldCallback = () => callback();
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.flush();
    this.finalCallback = callback;
    this.post({ t: 'end', id: this.id });
  }

  override _read(): void {
    if (this.readPaused) {
      this.readPaused = false;
      this.post({ t: 'read', id: this.id, flowing: true });
    }
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.batch = null;
    this.batchLength = 0;
    this.heldCallback = null;
    if (!this.closedByWorker) this.post({ t: 'destroy', id: this.id });
    callback(err);
  }

  /** A message from the worker about this channel. */
  receive(message: WorkerOut): void {
    switch (message.t) {
      case 'ack': {
        this.inFlight -= message.n;
        if (message.buffer?.byteLength === BATCH_BYTES && this.spare.length < IN_FLIGHT_BYTES / BATCH_BYTES)
          this.spare.push(Buffer.from(message.buffer));
        const held = this.heldCallback;
        if (held && this.inFlight + this.batchLength <= IN_FLIGHT_BYTES) {
          this.heldCallback = null;
          held();
        }
        break;
      }
      case 'data':
        if (
          !this.push(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.length)) &&
          !this.readPaused
        ) {
          this.readPaused = true;
          this.post({ t: 'read', id: this.id, flowing: false });
        }
        break;
      case 'eof':
        this.push(null);
        break;
      case 'finished': {
        const done = this.finalCallback;
        this.finalCallback = null;
        done?.();
        break;
      }
      case 'error':
        this.destroyFromWorker(new Error(message.message));
        break;
      case 'closed':
        this.destroyFromWorker(null);
        break;
    }
  }

  destroyFromWorker(err: Error | null): void {
    this.closedByWorker = true;
    this.destroy(err ?? undefined);
  }
}

export class BulkConnection {
  private readonly channels = new Map<number, BulkChannel>();
  private readonly opening = new Map<number, { resolve: (d: Duplex) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private goneReason: string | null = null;
  private exited: Promise<void>;

  private constructor(
    private readonly worker: BulkWorkerLike,
    /** The cipher the key exchange chose (client to server). */
    readonly cipher: string,
  ) {
    this.exited = new Promise((resolve) => worker.on('exit', () => resolve()));
    worker.on('message', (message) => this.onMessage(message));
    worker.on('error', (err) => this.gone(`the worker failed: ${err.message}`));
    worker.on('exit', () => this.gone('the worker ended'));
  }

  /**
   * Opens a dedicated connection on a worker thread. Rejects when it cannot be made without asking
   * anything, or the host presents another key than `params.pinnedHostKey`. `start` is for tests.
   */
  static async open(
    params: WorkerConnectParams,
    start: (params: WorkerConnectParams) => BulkWorkerLike = startWorker,
  ): Promise<BulkConnection> {
    const worker = start(params);
    return new Promise<BulkConnection>((resolve, reject) => {
      const onFirst = (message: WorkerOut) => {
        if (message.t === 'ready') {
          if (message.fingerprint !== params.pinnedHostKey) {
            // The worker checks this itself; checked here again, as it costs nothing.
            void worker.terminate();
            reject(new Error('the dedicated connection reached a host with another key'));
            return;
          }
          resolve(new BulkConnection(worker, message.cipher));
        } else if (message.t === 'failed') {
          void worker.terminate();
          reject(new Error(`the dedicated connection failed: ${message.message}`));
        }
      };
      worker.on('message', onFirst);
      worker.on('error', (err) => reject(err));
      worker.on('exit', () => reject(new Error('the dedicated connection worker ended')));
    });
  }

  get closed(): boolean {
    return this.goneReason !== null;
  }

  /** A direct-tcpip channel on the dedicated connection: the host connects to `host:port` for us. */
  forwardTcp(host: string, port: number): Promise<Duplex> {
    if (this.goneReason)
      return Promise.reject(new Error(`the dedicated connection is closed: ${this.goneReason}`));
    const id = this.nextId++;
    return new Promise<Duplex>((resolve, reject) => {
      this.opening.set(id, { resolve, reject });
      this.worker.postMessage({ t: 'open', id, host, port });
    });
  }

  private onMessage(message: WorkerOut): void {
    if (message.t === 'ready' || message.t === 'failed') return;
    if (message.t === 'gone') {
      this.gone(message.message);
      return;
    }
    if (message.t === 'opened' || message.t === 'open-failed') {
      const waiting = this.opening.get(message.id);
      this.opening.delete(message.id);
      if (!waiting) return;
      if (message.t === 'open-failed') {
        waiting.reject(new Error(message.message));
        return;
      }
      const channel = new BulkChannel(message.id, (m, transfer) => this.worker.postMessage(m, transfer));
      this.channels.set(message.id, channel);
      channel.once('close', () => this.channels.delete(message.id));
      if (this.goneReason) channel.destroyFromWorker(new Error(this.goneReason));
      waiting.resolve(channel);
      return;
    }
    this.channels.get(message.id)?.receive(message);
  }

  private gone(reason: string): void {
    if (this.goneReason) return;
    this.goneReason = reason;
    for (const waiting of this.opening.values()) waiting.reject(new Error(reason));
    this.opening.clear();
    for (const channel of this.channels.values()) channel.destroyFromWorker(new Error(reason));
    this.channels.clear();
    void this.worker.terminate();
  }

  /** Cuts every channel, closes the connection and ends the worker. */
  async close(): Promise<void> {
    if (!this.goneReason) {
      for (const channel of this.channels.values()) channel.destroy();
      this.worker.postMessage({ t: 'close' });
      // The worker closes its connection and says 'gone' (which terminates it); terminate it anyway after a grace.
      const grace = setTimeout(() => this.gone('closed'), 2000);
      await this.exited;
      clearTimeout(grace);
    }
    await this.exited;
  }
}
