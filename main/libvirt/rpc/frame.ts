/**
 * libvirt RPC framing: a 4-byte big-endian length word that counts itself, a 24-byte header
 * (`virNetMessageHeader`), then the payload (XDR, or raw bytes for stream data).
 *
 * {@link FrameDecoder} splits an arbitrary byte stream into frames incrementally. Chunks are kept
 * as received (no concatenation of the whole buffer on every chunk): a frame that lies inside one
 * chunk is returned as a view without copying, a frame that spans chunks is copied exactly once
 * into a buffer of its final size. Every byte is therefore copied at most once, whatever the chunk
 * boundaries (no quadratic behaviour with many tiny chunks or one huge frame).
 */
import { XdrReader, XdrWriter } from '../xdr';
import type { XdrCodec } from '../xdr';
import {
  KEEPALIVE_PROGRAM,
  VIR_NET_MESSAGE_LEN_MAX,
  VIR_NET_MESSAGE_MAX,
  VirNetMessageStatus,
  VirNetMessageType,
  decodeVirNetMessageHeader,
  encodeVirNetMessageHeader,
} from '../protocol';
import type { VirNetMessageHeader } from '../protocol';
import { ProtocolError } from './errors';

export const LENGTH_WORD_SIZE = VIR_NET_MESSAGE_LEN_MAX; // 4
export const HEADER_SIZE = 24;
/** The smallest valid frame: length word + header, no payload. */
export const MIN_FRAME_SIZE = LENGTH_WORD_SIZE + HEADER_SIZE; // 28
/**
 * The largest frame accepted: libvirt's own decoder (virNetMessageDecodeLength) accepts
 * `length - 4 <= VIR_NET_MESSAGE_MAX`, and its encoder produces frames up to that size, so a
 * frame of exactly VIR_NET_MESSAGE_MAX + 4 bytes is legitimate; one byte more is not.
 */
export const MAX_FRAME_SIZE = VIR_NET_MESSAGE_MAX + VIR_NET_MESSAGE_LEN_MAX;

export const MessageType = VirNetMessageType;
export const MessageStatus = VirNetMessageStatus;

export interface DecodedFrame {
  readonly header: VirNetMessageHeader;
  /** The payload bytes (a view; valid as long as the caller keeps it). */
  readonly payload: Uint8Array;
}

export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  /** Index of the first chunk still holding unread bytes. */
  private first = 0;
  /** Read offset inside chunks[first]. */
  private offset = 0;
  private buffered = 0;
  /** Length of the frame being assembled, once its length word has been read; -1 before. */
  private need = -1;
  private readonly maxFrame: number;

  constructor(maxFrame: number = MAX_FRAME_SIZE) {
    this.maxFrame = maxFrame;
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Adds a chunk; returns the complete frames it finished (each including its length word).
   * Throws ProtocolError for a length word below 28 or above the maximum; the decoder is then
   * unusable (the stream cannot be resynchronised).
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < LENGTH_WORD_SIZE) break;
        const len = this.peekLength();
        if (len < MIN_FRAME_SIZE) {
          throw new ProtocolError(
            `invalid frame length ${len} (a frame is at least ${MIN_FRAME_SIZE} bytes)`,
          );
        }
        if (len > this.maxFrame) {
          throw new ProtocolError(`invalid frame length ${len} (maximum ${this.maxFrame})`);
        }
        this.need = len;
      }
      if (this.buffered < this.need) break;
      out.push(this.take(this.need));
      this.need = -1;
    }
    return out;
  }

  private peekLength(): number {
    let v = 0;
    let got = 0;
    let i = this.first;
    let off = this.offset;
    while (got < 4) {
      const c = this.chunks[i] as Uint8Array;
      while (off < c.length && got < 4) {
        v = v * 256 + (c[off] as number);
        off++;
        got++;
      }
      i++;
      off = 0;
    }
    return v;
  }

  private take(n: number): Uint8Array {
    const head = this.chunks[this.first] as Uint8Array;
    let result: Uint8Array;
    if (head.length - this.offset >= n) {
      result = head.subarray(this.offset, this.offset + n);
      this.offset += n;
      if (this.offset === head.length) this.advance();
    } else {
      result = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[this.first] as Uint8Array;
        const m = Math.min(c.length - this.offset, n - filled);
        result.set(c.subarray(this.offset, this.offset + m), filled);
        filled += m;
        this.offset += m;
        if (this.offset === c.length) this.advance();
      }
    }
    this.buffered -= n;
    return result;
  }

  private advance(): void {
    this.chunks[this.first] = EMPTY;
    this.first++;
    this.offset = 0;
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first > 1024 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);

/** Decodes the header of a complete frame (as returned by FrameDecoder.push). */
export function decodeFrame(input: Uint8Array): DecodedFrame {
  // A plain Uint8Array view: Node Buffers' slice() does not copy, and decoded opaques (UUIDs)
  // must not alias the receive buffer.
  const frame =
    Object.getPrototypeOf(input) === Uint8Array.prototype
      ? input
      : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const r = new XdrReader(frame, LENGTH_WORD_SIZE, HEADER_SIZE);
  let header: VirNetMessageHeader;
  try {
    header = decodeVirNetMessageHeader(r);
  } catch (e) {
    throw new ProtocolError(`invalid message header: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  return { header, payload: frame.subarray(MIN_FRAME_SIZE) };
}

/** Encodes a complete frame: length word, header, XDR payload. Throws if it exceeds the maximum. */
export function encodeFrame<T>(header: VirNetMessageHeader, codec: XdrCodec<T>, body: T): Uint8Array {
  const w = new XdrWriter(256);
  w.writeUint(0);
  encodeVirNetMessageHeader(w, header);
  codec.encode(w, body);
  const len = w.length;
  if (len > MAX_FRAME_SIZE) {
    throw new ProtocolError(`message of ${len} bytes exceeds libvirt's maximum of ${MAX_FRAME_SIZE}`);
  }
  w.patchUint(0, len);
  return w.toBytes();
}

/** A keepalive PING or PONG (keepalive program, no payload, serial 0): what both ends send. */
export function encodeKeepaliveFrame(proc: number): Uint8Array {
  return encodeRawFrame(
    {
      prog: KEEPALIVE_PROGRAM,
      vers: 1,
      proc,
      type: MessageType.VIR_NET_MESSAGE,
      serial: 0,
      status: MessageStatus.VIR_NET_OK,
    },
    null,
  );
}

/** Encodes a frame whose payload is raw bytes (stream data) or empty. */
export function encodeRawFrame(header: VirNetMessageHeader, data: Uint8Array | null): Uint8Array {
  const n = data?.length ?? 0;
  const len = MIN_FRAME_SIZE + n;
  if (len > MAX_FRAME_SIZE) throw new ProtocolError(`stream packet of ${len} bytes exceeds the maximum`);
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  v.setUint32(0, len);
  v.setUint32(4, header.prog);
  v.setUint32(8, header.vers);
  v.setInt32(12, header.proc);
  v.setInt32(16, header.type);
  v.setUint32(20, header.serial);
  v.setInt32(24, header.status);
  if (data && n > 0) out.set(data, MIN_FRAME_SIZE);
  return out;
}
