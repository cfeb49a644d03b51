import { UPLOAD_ACK_BYTES, UPLOAD_WINDOW_BYTES, type ApiError, type StreamCloseInfo } from '../../preload/api-contract';
import type { ByteStreamPeer } from '../../main/services/byte-stream-peer';

/** The renderer's side of an upload stream, in memory: sends chunks within the window, reads acks. */
export class TestUploadPeer implements ByteStreamPeer {
  private dataListeners: Array<(d: Uint8Array) => void> = [];
  private closeListeners: Array<(i: StreamCloseInfo) => void> = [];
  acked = 0;
  private ackWaiters: Array<() => void> = [];
  closed: Promise<ApiError | null>;
  private resolveClosed!: (e: ApiError | null) => void;
  private isClosed = false;

  constructor() {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }
  send(data: Uint8Array): boolean {
    if (data.length === UPLOAD_ACK_BYTES) this.acked = Number(Buffer.from(data).readBigUInt64BE(0));
    for (const w of this.ackWaiters.splice(0)) w();
    return true;
  }
  close(error?: ApiError): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const l of this.closeListeners) l(error ? { byPeer: false, error } : { byPeer: false });
    for (const w of this.ackWaiters.splice(0)) w();
    this.resolveClosed(error ?? null);
  }
  onData(l: (d: Uint8Array) => void): void {
    this.dataListeners.push(l);
  }
  onClose(l: (i: StreamCloseInfo) => void): void {
    this.closeListeners.push(l);
  }
  onDrain(): void {}
  /** The renderer closes the stream (cancel). */
  cancel(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const l of this.closeListeners) l({ byPeer: true });
    this.resolveClosed(null);
  }
  async sendAll(chunks: Iterable<Buffer> | AsyncIterable<Buffer>, stopAfter = Infinity): Promise<number> {
    let sent = 0;
    for await (const chunk of chunks) {
      if (this.isClosed || sent >= stopAfter) break;
      while (sent + chunk.length - this.acked > UPLOAD_WINDOW_BYTES && !this.isClosed) {
        await new Promise<void>((resolve) => this.ackWaiters.push(resolve));
      }
      if (this.isClosed) break;
      for (const l of this.dataListeners) l(chunk);
      sent += chunk.length;
    }
    return sent;
  }
}

