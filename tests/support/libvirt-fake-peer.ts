/**
 * TEST HARNESS (not used by the app): an in-memory duplex pair and a scriptable fake libvirtd that
 * speaks the RPC protocol on its end. Unit tests of the RPC engine and the client run against it;
 * integration tests use the real libvirtd.
 *
 *   const [client, server] = duplexPair();
 *   const peer = new FakeLibvirtd(server);
 *   peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ ret: { hostname: 'h' } }));
 *   const conn = new RpcConnection(client);
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { XdrReader, XdrWriter } from '../../main/libvirt/xdr';
import type { XdrCodec } from '../../main/libvirt/xdr';
import {
  KEEPALIVE_PROGRAM,
  KeepaliveProcedure,
  REMOTE_PROGRAM,
  encodeVirNetMessageError,
  encodeVirNetStreamHole,
  lookupProcedure,
  remoteProcedures,
} from '../../main/libvirt/protocol';
import type { ProcedureInfo, VirNetMessageError, VirNetMessageHeader } from '../../main/libvirt/protocol';
import {
  FrameDecoder,
  MessageStatus,
  MessageType,
  decodeFrame,
  encodeFrame,
  encodeKeepaliveFrame,
  encodeRawFrame,
} from '../../main/libvirt/rpc/frame';

/** Two connected Duplex ends: bytes written to one are read from the other. */
export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (otherIndex: number): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        const other = ends[otherIndex];
        if (other && !other.destroyed) other.push(chunk);
        cb();
      },
      final(cb) {
        const other = ends[otherIndex];
        if (other && !other.destroyed) other.push(null);
        cb();
      },
      destroy(err, cb) {
        const other = ends[otherIndex];
        if (other && !other.destroyed && !other.readableEnded) other.push(null);
        cb(err);
      },
    });
  ends.push(make(1), make(0));
  return [ends[0] as Duplex, ends[1] as Duplex];
}

export interface FakeCall {
  readonly header: VirNetMessageHeader;
  readonly info: ProcedureInfo | undefined;
  /** Decoded arguments (undefined when the procedure is unknown or they do not decode). */
  readonly args: unknown;
  readonly payload: Uint8Array;
}

export interface FakePacket {
  readonly header: VirNetMessageHeader;
  readonly payload: Uint8Array;
}

export type FakeResponse =
  | { readonly ret: unknown }
  | { readonly error: Partial<VirNetMessageError> & { code: number; message: string } }
  /** The handler will answer later (peer.reply / peer.replyError) or never. */
  | { readonly noReply: true };

export type FakeHandler = (call: FakeCall, peer: FakeLibvirtd) => FakeResponse | void;

export interface FakeLibvirtdEvents {
  call: [FakeCall];
  /** A STREAM or STREAM_HOLE packet from the client. */
  stream: [FakePacket];
  /** A keepalive MESSAGE from the client. */
  keepalive: [FakePacket];
}

export function makeError(
  e: Partial<VirNetMessageError> & { code: number; message: string },
): VirNetMessageError {
  return {
    code: e.code,
    domain: e.domain ?? 7,
    message: e.message,
    level: e.level ?? 2,
    dom: e.dom ?? null,
    str1: e.str1 ?? null,
    str2: e.str2 ?? null,
    str3: e.str3 ?? null,
    int1: e.int1 ?? 0,
    int2: e.int2 ?? 0,
    net: e.net ?? null,
  };
}

export class FakeLibvirtd extends EventEmitter<FakeLibvirtdEvents> {
  readonly transport: Duplex;
  private readonly decoder = new FrameDecoder();
  private readonly handlers = new Map<string, FakeHandler>();
  /** Every CALL received, in order. */
  readonly calls: FakeCall[] = [];
  /** Every packet received (all types), in order. */
  readonly packets: FakePacket[] = [];
  /** CALLs not answered yet, by serial. */
  readonly outstanding = new Map<number, FakeCall>();
  /** Highest number of CALLs outstanding at once. */
  maxOutstanding = 0;
  /** Answer keepalive PINGs with PONGs (set false to play dead). */
  answerPings = true;
  /** Reply to unknown procedures with VIR_ERR_RPC (else leave them unanswered). */
  answerUnknown = true;

  constructor(transport: Duplex) {
    super();
    this.transport = transport;
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('error', () => {});
  }

  /** Handles procedure `name` (e.g. 'REMOTE_PROC_CONNECT_OPEN'). */
  handle(name: string, handler: FakeHandler): this {
    this.handlers.set(name, handler);
    return this;
  }

  /** Answers what a client's handshake asks (auth none, all features, open OK). */
  installHandshake(options: { features?: readonly number[]; authTypes?: readonly number[] } = {}): this {
    const features = new Set(options.features ?? [10, 14, 15]);
    this.handle('REMOTE_PROC_AUTH_LIST', () => ({ ret: { types: [...(options.authTypes ?? [0])] } }));
    this.handle('REMOTE_PROC_AUTH_POLKIT', () => ({ ret: { complete: 1 } }));
    this.handle('REMOTE_PROC_CONNECT_SUPPORTS_FEATURE', (c) => ({
      ret: { supported: features.has((c.args as { feature: number }).feature) ? 1 : 0 },
    }));
    this.handle('REMOTE_PROC_CONNECT_OPEN', () => ({ ret: undefined }));
    this.handle('REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK', () => ({ ret: undefined }));
    this.handle('REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK', () => ({ ret: undefined }));
    this.handle('REMOTE_PROC_CONNECT_CLOSE', () => ({ ret: undefined }));
    return this;
  }

  /** Resolves with the next CALL of `name` (or an already received one when `existing`). */
  waitForCall(name: string, existing = false): Promise<FakeCall> {
    if (existing) {
      const found = this.calls.find((c) => c.info?.name === name);
      if (found) return Promise.resolve(found);
    }
    return new Promise((resolve) => {
      const on = (c: FakeCall): void => {
        if (c.info?.name === name) {
          this.off('call', on);
          resolve(c);
        }
      };
      this.on('call', on);
    });
  }

  private receive(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(chunk);
    } catch {
      this.transport.destroy();
      return;
    }
    for (const f of frames) this.dispatch(f);
  }

  private dispatch(frame: Uint8Array): void {
    const { header, payload } = decodeFrame(frame);
    const packet: FakePacket = { header, payload: payload.slice() };
    this.packets.push(packet);
    if (header.type === MessageType.VIR_NET_MESSAGE && header.prog === KEEPALIVE_PROGRAM) {
      this.emit('keepalive', packet);
      if (header.proc === KeepaliveProcedure.KEEPALIVE_PROC_PING && this.answerPings) {
        this.sendKeepalive(KeepaliveProcedure.KEEPALIVE_PROC_PONG);
      }
      return;
    }
    if (header.type === MessageType.VIR_NET_STREAM || header.type === MessageType.VIR_NET_STREAM_HOLE) {
      this.emit('stream', packet);
      return;
    }
    if (header.type !== MessageType.VIR_NET_CALL) return;
    const info = lookupProcedure(header.prog, header.proc);
    let args: unknown;
    if (info) {
      try {
        args = info.args.decode(new XdrReader(payload));
      } catch {
        args = undefined;
      }
    }
    const call: FakeCall = { header, info, args, payload: packet.payload };
    this.calls.push(call);
    this.outstanding.set(header.serial, call);
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding.size);
    this.emit('call', call);
    const handler = info ? this.handlers.get(info.name) : undefined;
    if (!handler) {
      if (this.answerUnknown) {
        this.replyError(call, { code: 39, domain: 7, message: `unknown procedure: ${header.proc}` });
      }
      return;
    }
    const res = handler(call, this);
    if (!res || 'noReply' in res) return;
    if ('error' in res) this.replyError(call, res.error);
    else this.reply(call, res.ret);
  }

  /** Sends a REPLY/OK with `ret` encoded by the procedure's ret codec. */
  reply(call: FakeCall, ret: unknown): void {
    if (!this.outstanding.delete(call.header.serial)) return;
    const codec = (call.info?.ret ?? { name: 'void', encode() {}, decode() {} }) as XdrCodec<unknown>;
    this.write(
      encodeFrame(
        { ...call.header, type: MessageType.VIR_NET_REPLY, status: MessageStatus.VIR_NET_OK },
        codec,
        ret,
      ),
    );
  }

  /** Sends a REPLY/ERROR. */
  replyError(call: FakeCall, e: Partial<VirNetMessageError> & { code: number; message: string }): void {
    if (!this.outstanding.delete(call.header.serial)) return;
    this.write(this.errorFrame({ ...call.header, type: MessageType.VIR_NET_REPLY }, e));
  }

  errorFrame(
    header: VirNetMessageHeader,
    e: Partial<VirNetMessageError> & { code: number; message: string },
  ): Uint8Array {
    const w = new XdrWriter();
    encodeVirNetMessageError(w, makeError(e));
    const body = w.toBytes();
    return encodeRawFrame({ ...header, status: MessageStatus.VIR_NET_ERROR }, body);
  }

  /** Sends an event MESSAGE (serial 1, as libvirtd does). */
  sendEvent(name: keyof typeof remoteProcedures, body: unknown, serial = 1): void {
    const info = remoteProcedures[name] as ProcedureInfo;
    this.write(
      encodeFrame(
        {
          prog: REMOTE_PROGRAM,
          vers: 1,
          proc: info.proc,
          type: MessageType.VIR_NET_MESSAGE,
          serial,
          status: MessageStatus.VIR_NET_OK,
        },
        info.msg as XdrCodec<unknown>,
        body,
      ),
    );
  }

  /** Sends a stream packet on the stream opened by `call`. */
  sendStream(
    call: FakeCall,
    status: number,
    data: Uint8Array | null,
    type: number = MessageType.VIR_NET_STREAM,
  ): void {
    this.write(
      encodeRawFrame(
        {
          ...call.header,
          type: type as VirNetMessageHeader['type'],
          status: status as VirNetMessageHeader['status'],
        },
        data,
      ),
    );
  }

  sendStreamData(call: FakeCall, data: Uint8Array): void {
    this.sendStream(call, MessageStatus.VIR_NET_CONTINUE, data);
  }

  sendStreamEof(call: FakeCall): void {
    this.sendStream(call, MessageStatus.VIR_NET_CONTINUE, null);
  }

  sendStreamOk(call: FakeCall): void {
    this.sendStream(call, MessageStatus.VIR_NET_OK, null);
  }

  sendStreamError(call: FakeCall, e: { code: number; message: string }): void {
    this.write(this.errorFrame({ ...call.header, type: MessageType.VIR_NET_STREAM }, e));
  }

  sendStreamHole(call: FakeCall, length: bigint): void {
    const w = new XdrWriter();
    encodeVirNetStreamHole(w, { length, flags: 0 });
    this.sendStream(call, MessageStatus.VIR_NET_CONTINUE, w.toBytes(), MessageType.VIR_NET_STREAM_HOLE);
  }

  sendKeepalive(proc: number): void {
    this.write(encodeKeepaliveFrame(proc));
  }

  /** Writes raw bytes (for malformed-input tests). */
  write(bytes: Uint8Array): void {
    if (!this.transport.destroyed && this.transport.writable) this.transport.write(bytes);
  }

  /** Stream packets received for `call`'s serial. */
  streamPackets(call: FakeCall): FakePacket[] {
    return this.packets.filter(
      (p) =>
        (p.header.type === MessageType.VIR_NET_STREAM || p.header.type === MessageType.VIR_NET_STREAM_HOLE) &&
        p.header.serial === call.header.serial,
    );
  }
}
