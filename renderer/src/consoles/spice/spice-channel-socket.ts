import { errorMessage, type ByteChannel } from '../../api/api-client';

/** URI scheme of VirtDeck's SPICE channels: never a network address, only a key into {@link SPICE_SESSIONS}. */
export const SPICE_URI_SCHEME = 'virtdeck-spice:';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** What a SPICE session provides to the sockets spice-html5 creates for it. */
export interface SpiceSessionChannels {
  /** Opens a new byte channel to the guest's SPICE listener (one per SPICE channel). */
  open(): Promise<ByteChannel>;
  /** Called for every socket spice-html5 creates, in order (0 = main channel). */
  created?(socket: SpiceChannelSocket, index: number): void;
}

/** Live sessions by id; the id is the host part of their `virtdeck-spice://id` URI. */
export const SPICE_SESSIONS = new Map<string, SpiceSessionChannels & { count: number }>();

/**
 * A WebSocket-like object for spice-html5, whose bytes travel through one VirtDeck byte channel (a
 * 'console.graphics' stream: an SSH channel to the guest's SPICE listener) instead of a WebSocket.
 * spice-html5 uses addEventListener('open'|'message'|'close'|'error'), binaryType, readyState, url,
 * send(ArrayBuffer) and close(). The channel opens asynchronously, as a WebSocket does: readyState
 * starts CONNECTING and 'open' fires once the stream is there.
 *
 * Events are dispatched through `dispatch`, which runs spice-html5's handlers with VirtDeck's
 * WebSocket in place (the main channel opens the other channels from inside its message handler).
 * A failed or dropped channel fires only 'close' (never 'error': spice-html5 rethrows errors of
 * channels that have no error handler, which would surface as uncaught exceptions).
 */
export class SpiceChannelSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = 2;
  static readonly CLOSED = CLOSED;
  binaryType = 'arraybuffer';
  readonly protocol = 'binary';
  readyState: number = CONNECTING;
  /** Why the channel closed (its error message), or null. */
  reason: string | null = null;
  /** Bytes received so far. */
  received = 0;
  /** Called after every chunk spice-html5 processed (timings). */
  onreceived: ((bytes: number) => void) | null = null;
  private channel: ByteChannel | null = null;

  constructor(
    readonly url: string,
    opening: Promise<ByteChannel>,
    private readonly dispatch: (run: () => void) => void,
  ) {
    super();
    opening.then(
      (channel) => {
        if (this.readyState !== CONNECTING) {
          channel.close();
          return;
        }
        this.channel = channel;
        this.readyState = OPEN;
        channel.onData((chunk) => {
          if (this.readyState !== OPEN) return;
          const data = chunk.slice().buffer;
          this.received += data.byteLength;
          this.dispatch(() => this.dispatchEvent(new MessageEvent('message', { data })));
          this.onreceived?.(data.byteLength);
        });
        channel.onClose((info) => this.closed(info.error?.message ?? null));
        this.dispatch(() => this.dispatchEvent(new Event('open')));
      },
      (error: unknown) => this.closed(errorMessage(error)),
    );
  }

  send(data: ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== OPEN || !this.channel) return;
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data.slice(0))
        : new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.channel.send(bytes);
  }

  close(): void {
    if (this.readyState === CLOSED) return;
    this.channel?.close();
    this.closed(null);
  }

  private closed(reason: string | null): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.reason = reason;
    const event = Object.assign(new Event('close'), {
      code: reason ? 1006 : 1000,
      reason: reason ?? '',
      wasClean: reason === null,
    });
    this.dispatch(() => this.dispatchEvent(event));
  }
}

let depth = 0;
let realWebSocket: typeof WebSocket | undefined;
let hadWebSocket = false;

/**
 * The WebSocket constructor spice-html5 sees while `withSpiceSockets` runs: a `virtdeck-spice://id`
 * URI gives a SpiceChannelSocket of session `id`; anything else is a real WebSocket.
 */
const ScopedWebSocket = function (url: string | URL, protocols?: string | string[]): unknown {
  const text = String(url);
  if (text.startsWith(`${SPICE_URI_SCHEME}//`)) {
    const id = new URL(text).host;
    const session = SPICE_SESSIONS.get(id);
    const index = session ? session.count++ : -1;
    const socket = new SpiceChannelSocket(
      text,
      session ? session.open() : Promise.reject(new Error('This SPICE session is closed')),
      withSpiceSockets,
    );
    session?.created?.(socket, index);
    return socket;
  }
  if (!realWebSocket) throw new Error('WebSocket is not available');
  return new realWebSocket(url, protocols);
} as unknown as typeof WebSocket;
// Code that runs inside the scope and is not spice-html5 (VirtDeck's own serve-mode client, when
// spice-html5 sends through it) still reads WebSocket.OPEN and friends.
Object.assign(ScopedWebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });

/**
 * Runs `run` (spice-html5 code) with VirtDeck's WebSocket in place of the browser's, and puts the real
 * one back afterwards: only spice-html5's own synchronous code sees the replacement.
 */
export function withSpiceSockets<T>(run: () => T): T {
  if (depth === 0) {
    hadWebSocket = 'WebSocket' in globalThis;
    realWebSocket = hadWebSocket ? globalThis.WebSocket : undefined;
    // `x instanceof WebSocket` keeps working for real WebSockets.
    if (realWebSocket) ScopedWebSocket.prototype = realWebSocket.prototype;
    globalThis.WebSocket = ScopedWebSocket;
  }
  depth++;
  try {
    return run();
  } finally {
    depth--;
    if (depth === 0) {
      if (hadWebSocket && realWebSocket) globalThis.WebSocket = realWebSocket;
      else delete (globalThis as { WebSocket?: unknown }).WebSocket;
    }
  }
}
