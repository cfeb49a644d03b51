import type { ByteChannel } from '../api';

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * A WebSocket-like face on a ByteChannel, for noVNC (`new RFB(target, socket)`; it matches the
 * `RfbRawChannel` shape of novnc.d.ts): the channel is
 * already open, so readyState starts OPEN and noVNC starts the RFB handshake at once. Incoming
 * chunks become `{ data: ArrayBuffer }` messages; bytes that arrive before noVNC sets `onmessage`
 * wait in order. noVNC hands send() a view over a buffer it reuses at once, so send() copies it.
 */
export class ByteChannelSocket {
  binaryType = 'arraybuffer';
  protocol = '';
  readyState: number = OPEN;
  onopen: ((event: Event) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  private messageListener: ((event: { data: ArrayBuffer }) => void) | null = null;
  private readonly pending: ArrayBuffer[] = [];
  private closeReason: string | null = null;
  /** Called after each incoming chunk reached noVNC (timings: the first frame after the handshake). */
  onreceived: ((bytes: number) => void) | null = null;

  constructor(private readonly channel: ByteChannel) {
    channel.onData((chunk) => {
      const data = chunk.slice().buffer;
      // In order: while earlier bytes still wait for their hand-over, new ones queue behind them.
      if (this.messageListener && this.pending.length === 0) this.messageListener({ data });
      else this.pending.push(data);
      this.onreceived?.(data.byteLength);
    });
    channel.onClose((info) => {
      // Closed here: the close event is already on its way (clean).
      if (this.readyState !== CLOSING) this.closed(info.error?.message ?? null);
    });
  }

  get onmessage(): ((event: { data: ArrayBuffer }) => void) | null {
    return this.messageListener;
  }
  set onmessage(listener: ((event: { data: ArrayBuffer }) => void) | null) {
    this.messageListener = listener;
    if (listener && this.pending.length > 0) {
      // Bytes that arrived before anyone listened (a VNC server speaks first) are handed over after the
      // current task: noVNC sets onmessage before it handles the socket as open, and data delivered in
      // between fails its handshake ("Unknown init state").
      queueMicrotask(() => {
        while (this.messageListener && this.pending.length > 0) {
          const data = this.pending.shift();
          if (data) this.messageListener({ data });
        }
      });
    }
  }

  /** Why the channel closed (its error message), or null after a clean close. */
  get reason(): string | null {
    return this.closeReason;
  }

  send(data: Uint8Array): void {
    if (this.readyState !== OPEN) return;
    this.channel.send(data.slice());
  }

  close(): void {
    if (this.readyState !== OPEN) return;
    this.readyState = CLOSING;
    this.channel.close();
    // Like a real WebSocket, the close event comes later, not inside close(): noVNC arms its disconnect
    // timeout right after calling close() and only clears it when the close event arrives after that.
    queueMicrotask(() => this.closed(null));
  }

  private closed(reason: string | null): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.closeReason = reason;
    this.onclose?.({ code: reason ? 1006 : 1000, reason: reason ?? '', wasClean: reason === null });
  }
}
