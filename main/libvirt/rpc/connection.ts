/**
 * RpcConnection: the libvirt RPC engine over any Node Duplex (a local unix socket, an SSH exec
 * channel running virt-ssh-helper, a direct-streamlocal channel, or a test double).
 *
 * - Framing: see frame.ts (incremental, bounded, no quadratic copying).
 * - Calls: serial dispatch, replies in any order; at most `maxInFlight` (default 4) calls are
 *   outstanding, the rest wait in a FIFO queue. libvirtd's max_client_requests is 5 and a client
 *   that exceeds it stalls its own socket (the daemon stops reading it), keepalive included.
 *   Per-call timeout (default 60 s, measured from `call()`, queueing included). A call that times
 *   out (or is aborted) after it was sent keeps its in-flight slot until its late reply arrives —
 *   the daemon is still working on it and counts it against its limit — and that reply is dropped.
 * - Events: type MESSAGE is dispatched by program + procedure (never by serial: libvirt sends
 *   events with serial 1). Unknown programs/procedures are ignored. An event whose payload cannot
 *   be decoded is dropped and reported through the `warning` event; neither is ever fatal.
 * - Keepalive (program 0x6b656570): every PING is answered with a PONG; `startKeepalive()` adds our
 *   own PINGs and dead-peer detection (keepalive.ts) — surfaced as a close with reason
 *   'keepalive-timeout'.
 * - Streams: see stream.ts. `openStream()` registers the stream before the CALL goes out.
 * - Close: every queued or in-flight call is rejected with ConnectionClosedError (`sent` tells
 *   whether the daemon saw it), every stream is destroyed with it, timers are cleared, the
 *   transport is destroyed, and `close` is emitted once with the reason.
 *
 * Fatal (connection closes with 'protocol-error'): a length word < 28 or > 32 MiB + 4, a header
 * with an undeclared type/status, a CALL from the daemon. Not fatal: a REPLY whose payload does not
 * decode (that call is rejected with ProtocolError), unknown serials (late replies, dropped).
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { XdrReader } from '../xdr';
import type { XdrCodec } from '../xdr';
import {
  KEEPALIVE_PROGRAM,
  KeepaliveProcedure,
  decodeVirNetMessageError,
  lookupProcedure,
} from '../protocol';
import type { ProcedureInfo, VirNetMessageHeader } from '../protocol';
import {
  CallAbortedError,
  CallTimeoutError,
  ConnectionClosedError,
  LibvirtError,
  ProtocolError,
  type CloseReason,
} from './errors';
import { FrameDecoder, MessageStatus, MessageType, decodeFrame, encodeFrame, encodeKeepaliveFrame, encodeRawFrame } from './frame';
import { DEFAULT_KEEPALIVE, Keepalive, type KeepaliveOptions } from './keepalive';
import { RpcStream, type RpcStreamOptions, type StreamHost } from './stream';

export interface RpcConnectionOptions {
  /** Calls outstanding at once (default 4; libvirtd's max_client_requests is 5). */
  readonly maxInFlight?: number;
  /** Default per-call timeout in ms (default 60 000; 0 or Infinity = none). */
  readonly callTimeoutMs?: number;
  /** Default per-stream read buffer bound (see stream.ts; default 16 MiB). */
  readonly streamMaxBufferedBytes?: number;
  /** Timeout for the daemon's confirmation of a stream finish/abort (default 30 s). */
  readonly streamConfirmTimeoutMs?: number;
  /** Optional debug logger. */
  readonly log?: (message: string) => void;
}

export interface CallOptions {
  /** Overrides the connection's default timeout (ms; 0 or Infinity = none). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface StreamCallOptions extends CallOptions, Omit<RpcStreamOptions, 'confirmTimeoutMs'> {}

/** A MESSAGE from the daemon (events, and anything else sent as type MESSAGE). */
export interface RpcMessage {
  readonly program: number;
  readonly proc: number;
  readonly info: ProcedureInfo;
  /** Decoded with `info.msg`. */
  readonly body: unknown;
}

export interface CloseInfo {
  readonly reason: CloseReason;
  readonly error: ConnectionClosedError;
}

export interface RpcConnectionEvents {
  /** A decoded MESSAGE (events). */
  message: [RpcMessage];
  /** Something odd but not fatal happened (undecodable event, unknown message, …). */
  warning: [Error];
  /** Emitted once. */
  close: [CloseInfo];
}

const DEFAULT_MAX_IN_FLIGHT = 4;
const DEFAULT_CALL_TIMEOUT_MS = 60_000;

type CallState = 'queued' | 'sent' | 'abandoned' | 'done';

interface PendingCall {
  readonly serial: number;
  readonly info: ProcedureInfo;
  readonly frame: Uint8Array;
  state: CallState;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | null;
  cleanupSignal: (() => void) | null;
  stream: RpcStream | null;
}

export class RpcConnection extends EventEmitter<RpcConnectionEvents> implements StreamHost {
  private readonly transport: Duplex;
  private readonly decoder = new FrameDecoder();
  private readonly maxInFlight: number;
  private readonly callTimeoutMs: number;
  private readonly streamMaxBufferedBytes: number | undefined;
  private readonly streamConfirmTimeoutMs: number;
  private readonly log: (message: string) => void;

  private nextSerial = 1;
  private readonly queue: PendingCall[] = [];
  private queueHead = 0;
  /** Sent (or abandoned after sending) calls awaiting their REPLY; their count is the in-flight count. */
  private readonly inFlight = new Map<number, PendingCall>();
  private readonly streams = new Map<number, RpcStream>();
  private keepalive: Keepalive | null = null;
  private outFrames: Uint8Array[] = [];
  private outCallbacks: Array<(err?: Error | null) => void> = [];
  private outBytes = 0;
  private flushScheduled = false;
  private closeInfo: CloseInfo | null = null;
  private readonly closedPromise: Promise<CloseInfo>;
  private resolveClosed!: (info: CloseInfo) => void;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onEnd = (): void => this.peerGone('the peer closed the connection');
  private readonly onClose = (): void => this.peerGone('the transport closed');
  private readonly onError = (err: Error): void =>
    this.shutdown('transport-error', `transport error: ${err.message}`, err);

  constructor(transport: Duplex, options: RpcConnectionOptions = {}) {
    super();
    this.transport = transport;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.streamMaxBufferedBytes = options.streamMaxBufferedBytes;
    this.streamConfirmTimeoutMs = options.streamConfirmTimeoutMs ?? 30_000;
    this.log = options.log ?? (() => {});
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    // A 'warning' without listeners must not throw (EventEmitter only throws for 'error').
    transport.on('data', this.onData);
    transport.on('end', this.onEnd);
    transport.on('close', this.onClose);
    transport.on('error', this.onError);
    if (transport.destroyed) queueMicrotask(() => this.peerGone('the transport was already closed'));
  }

  /** Resolves when the connection has closed (never rejects). */
  get closed(): Promise<CloseInfo> {
    return this.closedPromise;
  }

  get isClosed(): boolean {
    return this.closeInfo !== null;
  }

  get closeReason(): CloseInfo | null {
    return this.closeInfo;
  }

  /** Calls written and not yet answered (including abandoned ones), and calls waiting for a slot. */
  get stats(): { inFlight: number; queued: number; streams: number } {
    return {
      inFlight: this.inFlight.size,
      queued: this.queue.length - this.queueHead,
      streams: this.streams.size,
    };
  }

  // ---- calls --------------------------------------------------------------------------------

  /** Calls `info` with `args`; resolves with the decoded reply or rejects (LibvirtError, …). */
  call<A, R>(info: ProcedureInfo<A, R, unknown>, args: A, options: CallOptions = {}): Promise<R> {
    return this.startCall(info, args, options, null) as Promise<R>;
  }

  /**
   * Calls a stream procedure. The stream is registered before the CALL is written, so data that
   * precedes the REPLY is kept. `reply` settles with the call; if it fails, the stream is
   * destroyed with the same error. Writes wait for the REPLY.
   */
  openStream<A, R>(
    info: ProcedureInfo<A, R, unknown>,
    args: A,
    options: StreamCallOptions,
  ): { stream: RpcStream; reply: Promise<R> } {
    const serial = this.allocSerial();
    const stream = new RpcStream(
      this,
      { program: info.program, version: info.version, proc: info.proc, serial, name: info.name },
      {
        mode: options.mode,
        sparse: options.sparse ?? false,
        maxBufferedBytes: options.maxBufferedBytes ?? this.streamMaxBufferedBytes,
        packetSize: options.packetSize,
        maxPacketsInFlight: options.maxPacketsInFlight,
        confirmTimeoutMs: this.streamConfirmTimeoutMs,
      },
    );
    if (!this.closeInfo) this.streams.set(serial, stream);
    const reply = this.startCall(info, args, options, stream, serial) as Promise<R>;
    reply.catch(() => {}); // the stream carries the error too; callers may ignore `reply`
    return { stream, reply };
  }

  private allocSerial(): number {
    const s = this.nextSerial;
    this.nextSerial = s >= 0xffffffff ? 1 : s + 1;
    return s;
  }

  private startCall(
    info: ProcedureInfo,
    args: unknown,
    options: CallOptions,
    stream: RpcStream | null,
    serialIn?: number,
  ): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      if (info.kind !== 'call') {
        const err = new TypeError(`${info.name} is not a call procedure`);
        stream?._onOpenFailed(err);
        reject(err);
        return;
      }
      if (this.closeInfo) {
        const err = this.closeInfo.error.forCall(info.name, false);
        stream?._onOpenFailed(err);
        reject(err);
        return;
      }
      const serial = serialIn ?? this.allocSerial();
      let frame: Uint8Array;
      try {
        frame = encodeFrame(
          {
            prog: info.program,
            vers: info.version,
            proc: info.proc,
            type: MessageType.VIR_NET_CALL,
            serial,
            status: MessageStatus.VIR_NET_OK,
          },
          info.args as XdrCodec<unknown>,
          args,
        );
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        const wrapped = new TypeError(`${info.name}: cannot encode the arguments: ${err.message}`, {
          cause: err,
        });
        stream?._onOpenFailed(wrapped);
        reject(wrapped);
        return;
      }
      const call: PendingCall = {
        serial,
        info,
        frame,
        state: 'queued',
        resolve,
        reject,
        timer: null,
        cleanupSignal: null,
        stream,
      };
      const timeoutMs = options.timeoutMs ?? this.callTimeoutMs;
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        call.timer = setTimeout(
          () => this.giveUp(call, new CallTimeoutError(info.name, timeoutMs, call.state === 'sent')),
          timeoutMs,
        );
        call.timer.unref();
      }
      const signal = options.signal;
      if (signal) {
        if (signal.aborted) {
          this.finishCall(call, new CallAbortedError(info.name, false, signal.reason));
          return;
        }
        const onAbort = (): void =>
          this.giveUp(call, new CallAbortedError(info.name, call.state === 'sent', signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        call.cleanupSignal = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(call);
      this.pump();
    });
  }

  /** Timeout or abort: reject now; if the call was sent, keep its slot until the late reply. */
  private giveUp(call: PendingCall, err: Error): void {
    if (call.state === 'done' || call.state === 'abandoned') return;
    if (call.state === 'sent') {
      call.state = 'abandoned';
      this.log(`${call.info.name} serial ${call.serial}: ${err.message}; its reply will be dropped`);
      this.settle(call, err);
    } else {
      this.finishCall(call, err); // queued: it simply never goes out (pump skips done calls)
    }
  }

  private settle(call: PendingCall, result: Error | { value: unknown }): void {
    if (call.timer) clearTimeout(call.timer);
    call.timer = null;
    call.cleanupSignal?.();
    call.cleanupSignal = null;
    if (result instanceof Error) {
      call.stream?._onOpenFailed(result);
      call.reject(result);
    } else {
      call.stream?._onOpen();
      call.resolve(result.value);
    }
  }

  private finishCall(call: PendingCall, result: Error | { value: unknown }): void {
    const wasAbandoned = call.state === 'abandoned';
    call.state = 'done';
    if (!wasAbandoned) this.settle(call, result);
  }

  private pump(): void {
    while (!this.closeInfo && this.inFlight.size < this.maxInFlight && this.queueHead < this.queue.length) {
      const call = this.queue[this.queueHead] as PendingCall;
      this.queue[this.queueHead] = undefined as unknown as PendingCall;
      this.queueHead++;
      if (call.state !== 'queued') continue;
      call.state = 'sent';
      this.inFlight.set(call.serial, call);
      this.write(call.frame);
    }
    if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    } else if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
  }

  /**
   * Queues a frame; everything written in the same tick goes to the transport as ONE write.
   * Several calls issued together (an inventory's listAllDomains + getAllDomainStats) then leave
   * in one SSH packet / TCP segment: with Nagle's algorithm on (ssh2's default) a second small
   * write would otherwise wait for the ACK of the first — a full round trip on a real link.
   */
  private write(frame: Uint8Array, cb?: (err?: Error | null) => void): boolean {
    if (this.closeInfo || this.transport.destroyed || !this.transport.writable) {
      cb?.(new Error('connection closed'));
      return false;
    }
    this.outFrames.push(frame);
    this.outBytes += frame.length;
    if (cb) this.outCallbacks.push(cb);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
    return true;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const frames = this.outFrames;
    const callbacks = this.outCallbacks;
    const bytes = this.outBytes;
    this.outFrames = [];
    this.outCallbacks = [];
    this.outBytes = 0;
    if (frames.length === 0) return;
    if (this.closeInfo || this.transport.destroyed || !this.transport.writable) {
      for (const cb of callbacks) cb(new Error('connection closed'));
      return;
    }
    const data = frames.length === 1 ? (frames[0] as Uint8Array) : Buffer.concat(frames, bytes);
    this.transport.write(
      data,
      callbacks.length === 0
        ? undefined
        : (err?: Error | null) => {
            for (const cb of callbacks) cb(err);
          },
    );
  };

  // ---- StreamHost ---------------------------------------------------------------------------

  sendStreamPacket(
    stream: RpcStream,
    type: number,
    status: number,
    payload: Uint8Array | null,
    flushed?: (err?: Error | null) => void,
  ): boolean {
    if (this.closeInfo) return false;
    const frame = encodeRawFrame(
      {
        prog: stream.id.program,
        vers: stream.id.version,
        proc: stream.id.proc,
        type: type as VirNetMessageHeader['type'],
        serial: stream.id.serial,
        status: status as VirNetMessageHeader['status'],
      },
      payload,
    );
    return this.write(frame, flushed);
  }

  releaseStream(stream: RpcStream): void {
    if (this.streams.get(stream.id.serial) === stream) this.streams.delete(stream.id.serial);
  }

  // ---- keepalive ----------------------------------------------------------------------------

  /**
   * Starts sending our own PINGs and detecting a dead peer. Only when the daemon supports the
   * keepalive program (CONNECT_SUPPORTS_FEATURE 10); PINGs from the daemon are answered anyway.
   */
  startKeepalive(options: KeepaliveOptions = DEFAULT_KEEPALIVE): void {
    if (this.closeInfo || this.keepalive) return;
    this.keepalive = new Keepalive(options, {
      sendPing: () => this.sendKeepalive(KeepaliveProcedure.KEEPALIVE_PROC_PING),
      dead: (silenceMs, pings) =>
        this.shutdown(
          'keepalive-timeout',
          `no answer from the peer for ${Math.round(silenceMs)} ms after ${pings} keepalive PING(s)`,
        ),
    });
    this.keepalive.start();
  }

  private sendKeepalive(proc: number): void {
    this.write(encodeKeepaliveFrame(proc));
  }

  // ---- receiving ----------------------------------------------------------------------------

  private receive(chunk: Uint8Array): void {
    if (this.closeInfo) return;
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.fatal(e);
      return;
    }
    for (const frame of frames) {
      if (this.closeInfo) return;
      try {
        this.dispatch(frame);
      } catch (e) {
        this.fatal(e);
        return;
      }
    }
  }

  private fatal(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.shutdown('protocol-error', `protocol error: ${err.message}`, err);
  }

  private dispatch(frame: Uint8Array): void {
    const { header, payload } = decodeFrame(frame);
    this.keepalive?.onPacket();
    switch (header.type) {
      case MessageType.VIR_NET_REPLY:
      case MessageType.VIR_NET_REPLY_WITH_FDS:
        this.onReply(header, payload);
        return;
      case MessageType.VIR_NET_MESSAGE:
        this.onMessage(header, payload);
        return;
      case MessageType.VIR_NET_STREAM:
      case MessageType.VIR_NET_STREAM_HOLE:
        this.onStreamPacket(header, payload);
        return;
      default:
        // CALL / CALL_WITH_FDS: the daemon never calls the client (libvirt's client closes too).
        throw new ProtocolError(
          `unexpected message type ${header.type} (prog 0x${header.prog.toString(16)} proc ${header.proc})`,
        );
    }
  }

  private onReply(header: VirNetMessageHeader, payload: Uint8Array): void {
    const call = this.inFlight.get(header.serial);
    if (!call) {
      const stream = this.streams.get(header.serial);
      if (stream && header.status === MessageStatus.VIR_NET_ERROR) {
        // The daemon reports errors of stream packets it received as REPLY/ERROR on the stream serial.
        stream._onRemoteError(this.decodeError(payload, stream.id.name));
        return;
      }
      this.log(`dropping reply for unknown serial ${header.serial} (proc ${header.proc})`);
      return;
    }
    this.inFlight.delete(header.serial);
    const abandoned = call.state === 'abandoned';
    let result: Error | { value: unknown };
    if (header.prog !== call.info.program || header.proc !== call.info.proc) {
      result = new ProtocolError(
        `${call.info.name}: reply carries prog 0x${header.prog.toString(16)} proc ${header.proc}`,
      );
    } else if (header.type === MessageType.VIR_NET_REPLY_WITH_FDS) {
      result = new ProtocolError(
        `${call.info.name}: replies with file descriptors cannot cross this transport`,
      );
    } else if (header.status === MessageStatus.VIR_NET_OK) {
      try {
        const r = new XdrReader(payload);
        const value = call.info.ret.decode(r);
        r.assertEnd(call.info.name);
        result = { value };
      } catch (e) {
        result = new ProtocolError(`${call.info.name}: cannot decode the reply: ${String(e)}`, { cause: e });
      }
    } else if (header.status === MessageStatus.VIR_NET_ERROR) {
      result = this.decodeError(payload, call.info.name);
    } else {
      result = new ProtocolError(`${call.info.name}: reply with status CONTINUE`);
    }
    if (!abandoned) this.finishCall(call, result);
    else {
      call.state = 'done';
      // A stream call we gave up on succeeded late: the daemon now holds an open stream nobody
      // reads (a console would block the next non-forced open). Abort it; its confirmation is
      // dropped like any packet for an unknown stream.
      if (call.stream && !(result instanceof Error)) {
        this.write(
          encodeRawFrame(
            {
              prog: call.info.program,
              vers: call.info.version,
              proc: call.info.proc,
              type: MessageType.VIR_NET_STREAM,
              serial: call.serial,
              status: MessageStatus.VIR_NET_ERROR,
            },
            null,
          ),
        );
      }
    }
    this.pump();
  }

  private decodeError(payload: Uint8Array, procedure: string): Error {
    try {
      const r = new XdrReader(payload);
      const err = decodeVirNetMessageError(r);
      return new LibvirtError(err, procedure);
    } catch (e) {
      return new ProtocolError(`${procedure}: cannot decode the error reply: ${String(e)}`, { cause: e });
    }
  }

  private onMessage(header: VirNetMessageHeader, payload: Uint8Array): void {
    if (header.prog === KEEPALIVE_PROGRAM) {
      if (header.proc === KeepaliveProcedure.KEEPALIVE_PROC_PING) {
        this.sendKeepalive(KeepaliveProcedure.KEEPALIVE_PROC_PONG);
      }
      return; // PONG: onPacket() already counted it
    }
    const info = lookupProcedure(header.prog, header.proc);
    if (!info || info.kind !== 'message') {
      this.log(`ignoring unknown message prog 0x${header.prog.toString(16)} proc ${header.proc}`);
      return;
    }
    let body: unknown;
    try {
      const r = new XdrReader(payload);
      body = info.msg.decode(r);
      r.assertEnd(info.name);
    } catch (e) {
      this.emit(
        'warning',
        new ProtocolError(`dropping ${info.name}: cannot decode it: ${String(e)}`, { cause: e }),
      );
      return;
    }
    try {
      this.emit('message', { program: header.prog, proc: header.proc, info, body });
    } catch (e) {
      // A throwing listener must not take the connection down.
      this.emit('warning', e instanceof Error ? e : new Error(String(e)));
    }
  }

  private onStreamPacket(header: VirNetMessageHeader, payload: Uint8Array): void {
    const stream = this.streams.get(header.serial);
    if (!stream || stream.id.proc !== header.proc || stream.id.program !== header.prog) {
      // Data for a stream we already finished or aborted: libvirt streams are not acknowledged.
      return;
    }
    if (header.type === MessageType.VIR_NET_STREAM_HOLE) {
      stream._onHole(payload);
      return;
    }
    switch (header.status) {
      case MessageStatus.VIR_NET_CONTINUE:
        if (payload.length === 0) stream._onRemoteEof();
        else stream._onData(payload);
        return;
      case MessageStatus.VIR_NET_OK:
        stream._onConfirm();
        return;
      default:
        stream._onRemoteError(this.decodeError(payload, stream.id.name));
    }
  }

  // ---- closing ------------------------------------------------------------------------------

  /** Closes the connection (reason 'local-close'); idempotent. Resolves when closed. */
  close(message = 'connection closed by the client'): Promise<CloseInfo> {
    this.shutdown('local-close', message);
    return this.closedPromise;
  }

  private peerGone(what: string): void {
    const pending = this.decoder.bufferedBytes;
    this.shutdown(
      'peer-closed',
      pending > 0 ? `${what} in the middle of a message (${pending} byte(s) of a partial frame)` : what,
    );
  }

  private shutdown(reason: CloseReason, message: string, cause?: unknown): void {
    if (this.closeInfo) return;
    const error = new ConnectionClosedError(reason, message, cause === undefined ? undefined : { cause });
    this.closeInfo = { reason, error };
    this.log(`connection closed (${reason}): ${message}`);
    this.keepalive?.stop();
    this.keepalive = null;
    const pendingWrites = this.outCallbacks;
    this.outFrames = [];
    this.outCallbacks = [];
    this.outBytes = 0;
    for (const cb of pendingWrites) cb(error);
    const t = this.transport;
    t.off('data', this.onData);
    t.off('end', this.onEnd);
    t.off('close', this.onClose);
    t.off('error', this.onError);
    t.on('error', () => {}); // late errors of a transport we are discarding
    if (!t.destroyed) t.destroy();
    // Reject everything, in order: queued (never sent), then in flight.
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const call = this.queue[i] as PendingCall;
      if (call.state === 'queued') this.finishCall(call, error.forCall(call.info.name, false));
    }
    this.queue.length = 0;
    this.queueHead = 0;
    for (const call of this.inFlight.values()) {
      if (call.state === 'sent') this.finishCall(call, error.forCall(call.info.name, true));
      call.state = 'done';
    }
    this.inFlight.clear();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) s._onConnectionClosed(error);
    this.resolveClosed(this.closeInfo);
    this.emit('close', this.closeInfo);
  }
}
