/**
 * A libvirt data stream (console, screenshot, volume upload/download, …) as a Node Duplex.
 *
 * Wire protocol (src/rpc/virnetclientstream.c, src/remote/remote_daemon_stream.c):
 * - The stream's serial is the serial of the CALL that opened it; RpcConnection registers the
 *   stream before it sends that CALL, because data can arrive before the REPLY.
 * - Data: type STREAM, status CONTINUE, raw bytes (≤ 256 KiB per packet). An empty CONTINUE is EOF.
 * - Finish: the client sends STREAM/OK (empty) after the daemon's EOF, or when it has no more data
 *   to send; the daemon confirms with STREAM/OK, or reports a failure with STREAM/ERROR (or
 *   REPLY/ERROR) carrying a remote_error.
 * - Abort: the client sends STREAM/ERROR with an empty payload; the daemon confirms (STREAM/OK or
 *   an error). Packets for a stream the daemon already closed are dropped by the daemon.
 * - Holes: type STREAM_HOLE with `virNetStreamHole {hyper length; unsigned flags}`, only when the
 *   procedure's sparse flag was passed (VIR_STORAGE_VOL_*_SPARSE_STREAM).
 *
 * BACKPRESSURE POLICY (read direction). libvirt has no flow control from client to daemon per
 * stream: the daemon sends the next packet as soon as the previous one left its socket buffer. The
 * only way to slow it down would be to stop reading the connection's socket, which would also stall
 * every other call, event, stream and keepalive of the connection — so we never do that. Instead each
 * stream buffers what its consumer has not read yet (the Readable's own buffer; `push()` returning
 * false is ignored) up to `maxBufferedBytes` (default 16 MiB; in sparse/object mode a chunk count
 * derived from it). When a slow consumer lets the buffer exceed the bound, the stream is ABORTED
 * (STREAM/ERROR to the daemon) and destroyed with a StreamOverflowError: a bounded, explicit failure
 * instead of unbounded memory or a stalled connection. A consumer that reads continuously (a file
 * write stream, an xterm) never hits it.
 *
 * BACKPRESSURE POLICY (write direction). The daemon does not acknowledge data packets, and each
 * packet it has not yet written to its end of the stream counts against its per-client request
 * limit (max_client_requests, 5): when that is full the daemon stops reading the socket, so the
 * transport's own flow control (TCP / SSH window) eventually pushes back. We cooperate with that:
 * data is split into packets of ≤ `packetSize`, and at most `maxPacketsInFlight` (default 2) packets
 * may be handed to the transport and not yet flushed by it (write callback); `_write` waits otherwise.
 * Node's Writable then applies normal backpressure (`write()` returns false) to the producer.
 *
 * Sparse streams use object mode: the readable yields `Buffer` chunks and `{ hole: bigint }` items
 * in wire order; the writable accepts the same.
 */
import { Duplex } from 'node:stream';
import { XdrReader, XdrWriter } from '../xdr';
import {
  decodeVirNetStreamHole,
  encodeVirNetStreamHole,
  VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX,
} from '../protocol';
import { ProtocolError, StreamOverflowError, type ConnectionClosedError } from './errors';
import { MessageStatus, MessageType } from './frame';

export type StreamMode = 'read' | 'write' | 'both';

/** A hole in a sparse stream: `length` bytes of zeros not sent on the wire. */
export interface StreamHole {
  readonly hole: bigint;
}

export function isStreamHole(v: unknown): v is StreamHole {
  return typeof v === 'object' && v !== null && typeof (v as { hole?: unknown }).hole === 'bigint';
}

export interface RpcStreamOptions {
  /** read: daemon → client; write: client → daemon; both: console/channel. */
  readonly mode: StreamMode;
  /** Holes may be sent/received (object mode). */
  readonly sparse?: boolean;
  /** Read-side bound before the stream is aborted (default 16 MiB). */
  readonly maxBufferedBytes?: number;
  /** Write-side packet size (default and maximum 262120, VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX). */
  readonly packetSize?: number;
  /** Write-side packets handed to the transport and not flushed yet (default 2). */
  readonly maxPacketsInFlight?: number;
  /** How long to wait for the daemon to confirm a finish/abort (default 30 s). */
  readonly confirmTimeoutMs?: number;
}

export const DEFAULT_STREAM_BUFFER_BYTES = 16 * 1024 * 1024;

/** What the stream needs from its connection. */
export interface StreamHost {
  /**
   * Writes one packet of this stream. `flushed` is called once the transport took it (or failed).
   * Returns false when the connection is closed (nothing was written).
   */
  sendStreamPacket(
    stream: RpcStream,
    type: number,
    status: number,
    payload: Uint8Array | null,
    flushed?: (err?: Error | null) => void,
  ): boolean;
  /** The stream is finished: packets for its serial are dropped from now on. */
  releaseStream(stream: RpcStream): void;
}

export interface StreamIdentity {
  readonly program: number;
  readonly version: number;
  readonly proc: number;
  readonly serial: number;
  /** Procedure name, for messages. */
  readonly name: string;
}

type State = 'opening' | 'open' | 'finishing' | 'aborting' | 'done';

export class RpcStream extends Duplex {
  readonly id: StreamIdentity;
  readonly mode: StreamMode;
  readonly sparse: boolean;
  private readonly host: StreamHost;
  private readonly maxBufferedBytes: number;
  private readonly maxBufferedChunks: number;
  private readonly packetSize: number;
  private readonly maxPacketsInFlight: number;
  private readonly confirmTimeoutMs: number;

  private state: State = 'opening';
  private openWaiters: Array<(err: Error | null) => void> = [];
  private openError: Error | null = null;
  private abortWhenOpen = false;
  private finalCallback: ((err?: Error | null) => void) | null = null;
  private confirmTimer: NodeJS.Timeout | null = null;
  private packetsInFlight = 0;
  private slotWaiters: Array<() => void> = [];

  constructor(host: StreamHost, id: StreamIdentity, options: RpcStreamOptions) {
    const sparse = options.sparse ?? false;
    super({
      allowHalfOpen: options.mode === 'write',
      readableObjectMode: sparse,
      writableObjectMode: sparse,
    });
    this.host = host;
    this.id = id;
    this.mode = options.mode;
    this.sparse = sparse;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_STREAM_BUFFER_BYTES;
    this.maxBufferedChunks = Math.max(
      16,
      Math.ceil(this.maxBufferedBytes / VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX),
    );
    this.packetSize = Math.min(
      VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX,
      Math.max(1, options.packetSize ?? VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX),
    );
    this.maxPacketsInFlight = Math.max(1, options.maxPacketsInFlight ?? 2);
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 30_000;
    if (this.mode === 'write') {
      // Nothing will ever be read: end the readable side now so the Duplex can close on 'finish'.
      this.push(null);
      this.resume();
    }
  }

  /** Where the stream is in its life cycle (for diagnostics). */
  get streamState(): State {
    return this.state;
  }

  // ---- called by RpcConnection -------------------------------------------------------------

  /** The opening call succeeded. */
  _onOpen(): void {
    if (this.state === 'opening') this.state = 'open';
    if (this.abortWhenOpen && (this.state === 'open' || this.state === 'finishing')) this.sendAbort();
    this.wakeOpenWaiters(null);
  }

  /** The opening call failed (error reply, timeout, connection closed). */
  _onOpenFailed(err: Error): void {
    this.openError = err;
    const wasOpening = this.state !== 'done';
    this.toDone();
    this.wakeOpenWaiters(err);
    if (wasOpening) this.failWith(err);
  }

  _onData(data: Uint8Array): void {
    if (this.state === 'aborting' || this.state === 'done' || this.destroyed) return;
    if (this.mode === 'write') return; // an upload receives no data; ignore rather than fail
    const over = this.sparse
      ? this.readableLength >= this.maxBufferedChunks
      : this.readableLength + data.length > this.maxBufferedBytes;
    if (over) {
      this.destroy(
        this.sparse
          ? new StreamOverflowError(this.maxBufferedChunks, 'chunks')
          : new StreamOverflowError(this.maxBufferedBytes, 'bytes'),
      );
      return;
    }
    this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  _onHole(payload: Uint8Array): void {
    if (this.state === 'aborting' || this.state === 'done' || this.destroyed) return;
    if (!this.sparse) {
      this.destroy(new ProtocolError(`${this.id.name}: stream hole received on a non-sparse stream`));
      return;
    }
    let length: bigint;
    try {
      const r = new XdrReader(payload);
      length = decodeVirNetStreamHole(r).length;
      r.assertEnd('virNetStreamHole');
    } catch (e) {
      this.destroy(new ProtocolError(`${this.id.name}: invalid stream hole: ${String(e)}`, { cause: e }));
      return;
    }
    if (this.readableLength >= this.maxBufferedChunks) {
      this.destroy(new StreamOverflowError(this.maxBufferedChunks, 'chunks'));
      return;
    }
    const hole: StreamHole = { hole: length };
    this.push(hole);
  }

  /** Empty CONTINUE from the daemon: its side is at EOF. We answer with the finish handshake. */
  _onRemoteEof(): void {
    if (this.state === 'opening' || this.state === 'open') this.beginFinish();
  }

  /** STREAM/OK from the daemon: confirmation of our finish or abort. */
  _onConfirm(): void {
    const state = this.state;
    this.toDone();
    if (state === 'aborting') return;
    // Finish confirmed (or an unsolicited OK, which we treat the same way: the stream is over).
    if (this.mode !== 'write' && !this.readableEnded) this.push(null);
    const cb = this.finalCallback;
    this.finalCallback = null;
    if (cb) cb();
  }

  /** STREAM/ERROR (or REPLY/ERROR after the stream was opened) from the daemon. */
  _onRemoteError(err: Error): void {
    const state = this.state;
    this.toDone();
    if (state === 'aborting' || state === 'done') return;
    this.failWith(err);
  }

  /** The connection closed. */
  _onConnectionClosed(err: ConnectionClosedError): void {
    this.wakeOpenWaiters(err);
    this.wakeSlotWaiters();
    if (this.state === 'done' || this.state === 'aborting') {
      this.toDone();
      return;
    }
    this.toDone();
    this.failWith(err);
  }

  // ---- Duplex implementation ---------------------------------------------------------------

  override _read(): void {
    // Data is pushed as it arrives (see the backpressure policy above).
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.writeChunk(chunk).then(
      () => callback(),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.mode === 'read') {
      callback();
      return;
    }
    this.whenOpen().then(
      () => {
        switch (this.state) {
          case 'open':
            this.finalCallback = callback;
            this.beginFinish();
            return;
          case 'finishing':
            this.finalCallback = callback;
            return;
          default:
            callback();
        }
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    switch (this.state) {
      case 'opening':
        this.abortWhenOpen = true;
        break;
      case 'open':
        this.sendAbort();
        break;
      case 'finishing':
        // The finish is on its way; its confirmation releases the stream.
        this.state = 'aborting';
        break;
      default:
        break;
    }
    const closed = err ?? new Error(`${this.id.name}: stream destroyed`);
    this.wakeOpenWaiters(closed);
    this.wakeSlotWaiters();
    const cb = this.finalCallback;
    this.finalCallback = null;
    if (cb) cb(closed);
    callback(err);
  }

  // ---- internals ---------------------------------------------------------------------------

  private async writeChunk(chunk: unknown): Promise<void> {
    if (this.mode === 'read') throw new Error(`${this.id.name}: this stream is read-only`);
    await this.whenOpen();
    if (this.sparse && isStreamHole(chunk)) {
      if (chunk.hole < 0n) throw new RangeError('stream hole length must be >= 0');
      if (chunk.hole === 0n) return;
      const w = new XdrWriter(16);
      encodeVirNetStreamHole(w, { length: chunk.hole, flags: 0 });
      await this.sendData(MessageType.VIR_NET_STREAM_HOLE, w.toBytes());
      return;
    }
    let bytes: Uint8Array;
    if (chunk instanceof Uint8Array) bytes = chunk;
    else if (typeof chunk === 'string') bytes = Buffer.from(chunk, 'utf8');
    else
      throw new TypeError(
        `${this.id.name}: write Buffer/Uint8Array chunks${this.sparse ? ' or { hole }' : ''}`,
      );
    // An empty CONTINUE would mean EOF: never send one for an empty write.
    for (let off = 0; off < bytes.length; off += this.packetSize) {
      await this.sendData(
        MessageType.VIR_NET_STREAM,
        bytes.subarray(off, Math.min(bytes.length, off + this.packetSize)),
      );
    }
  }

  private async sendData(type: number, payload: Uint8Array): Promise<void> {
    while (this.packetsInFlight >= this.maxPacketsInFlight) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    if (this.state !== 'open') {
      throw (
        this.openError ??
        new Error(`${this.id.name}: stream is ${this.state === 'done' ? 'closed' : this.state}`)
      );
    }
    this.packetsInFlight++;
    const ok = this.host.sendStreamPacket(this, type, MessageStatus.VIR_NET_CONTINUE, payload, () => {
      this.packetsInFlight--;
      const next = this.slotWaiters.shift();
      if (next) next();
    });
    if (!ok) {
      this.packetsInFlight--;
      throw new Error(`${this.id.name}: connection closed`);
    }
  }

  private whenOpen(): Promise<void> {
    if (this.state !== 'opening') {
      return this.openError ? Promise.reject(this.openError) : Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.openWaiters.push((err) => (err ? reject(err) : resolve()));
    });
  }

  private wakeOpenWaiters(err: Error | null): void {
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const w of waiters) w(err);
  }

  private wakeSlotWaiters(): void {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    this.packetsInFlight = 0;
    for (const w of waiters) w();
  }

  private beginFinish(): void {
    this.state = 'finishing';
    if (!this.host.sendStreamPacket(this, MessageType.VIR_NET_STREAM, MessageStatus.VIR_NET_OK, null)) return;
    this.armConfirmTimer('finish');
  }

  private sendAbort(): void {
    this.state = 'aborting';
    if (!this.host.sendStreamPacket(this, MessageType.VIR_NET_STREAM, MessageStatus.VIR_NET_ERROR, null)) {
      this.toDone();
      return;
    }
    this.armConfirmTimer('abort');
  }

  private armConfirmTimer(what: 'finish' | 'abort'): void {
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.confirmTimer = setTimeout(() => {
      this.confirmTimer = null;
      const state = this.state;
      this.toDone();
      if (what === 'finish' && state === 'finishing') {
        this.failWith(
          new Error(
            `${this.id.name}: the daemon did not confirm the end of the stream within ${this.confirmTimeoutMs} ms`,
          ),
        );
      }
    }, this.confirmTimeoutMs);
    this.confirmTimer.unref();
  }

  private toDone(): void {
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.confirmTimer = null;
    if (this.state !== 'done') {
      this.state = 'done';
      this.host.releaseStream(this);
    }
  }

  private failWith(err: Error): void {
    const cb = this.finalCallback;
    this.finalCallback = null;
    if (cb) cb(err);
    else if (!this.destroyed) this.destroy(err);
  }
}
