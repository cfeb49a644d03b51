import type { WebSocket } from 'ws';
import type {
  ApiError,
  ServeClientMessage,
  ServeServerMessage,
  StreamCloseInfo,
} from '../../preload/api-contract';
import type { ApiRouter } from '../api/api-router';
import type { ByteStreamPeer } from '../services/byte-stream-peer';
import { toApiError } from '../services/api-failure';

/** Bytes queued in the WebSocket above which a stream's send() reports backpressure. */
const STREAM_HIGH_WATER = 1 << 20;
const STREAM_LOW_WATER = 1 << 18;
/** Streams one browser tab may hold open at once (consoles, screenshots, uploads). */
const MAX_STREAMS_PER_CONNECTION = 64;

function parseClientMessage(text: string): ServeClientMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const message = value as Record<string, unknown>;
  switch (message.t) {
    case 'call':
      return typeof message.id === 'number' && typeof message.name === 'string'
        ? { t: 'call', id: message.id, name: message.name, request: message.request ?? null }
        : null;
    case 'subscribe':
    case 'unsubscribe':
      return typeof message.name === 'string' ? { t: message.t, name: message.name } : null;
    case 'stream.open':
      return typeof message.id === 'number' && typeof message.kind === 'string'
        ? { t: 'stream.open', id: message.id, kind: message.kind, params: message.params ?? null }
        : null;
    case 'stream.close':
      return typeof message.stream === 'number' ? { t: 'stream.close', stream: message.stream } : null;
    default:
      return null;
  }
}

class WebSocketStreamPeer implements ByteStreamPeer {
  private dataListeners: Array<(data: Uint8Array) => void> = [];
  private closeListeners: Array<(info: StreamCloseInfo) => void> = [];
  private drainListeners: Array<() => void> = [];
  private queued = 0;
  private closed = false;
  /** Frames sent by the handler before the client was told the stream is open. */
  private held: Array<{ frame: Buffer; sent: () => void }> | null = [];
  private closedBeforeAnnounce: StreamCloseInfo | null = null;

  constructor(
    readonly number: number,
    private readonly connection: ServeConnection,
  ) {}

  send(data: Uint8Array): boolean {
    if (this.closed) return false;
    const frame = Buffer.allocUnsafe(4 + data.byteLength);
    frame.writeUInt32BE(this.number, 0);
    frame.set(data, 4);
    this.queued += frame.byteLength;
    const sent = () => {
      const wasAbove = this.queued > STREAM_LOW_WATER;
      this.queued -= frame.byteLength;
      if (wasAbove && this.queued <= STREAM_LOW_WATER) for (const listener of this.drainListeners) listener();
    };
    if (this.held) this.held.push({ frame, sent });
    else this.connection.sendBinary(frame, sent);
    return this.queued < STREAM_HIGH_WATER;
  }

  /** The client now knows this stream: release what the handler sent meanwhile, in order. */
  announced(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const { frame, sent } of held) this.connection.sendBinary(frame, sent);
    if (this.closedBeforeAnnounce) {
      this.connection.sendJson({ t: 'stream.closed', stream: this.number, info: this.closedBeforeAnnounce });
    }
  }

  close(error?: ApiError): void {
    const info: StreamCloseInfo = error ? { byPeer: false, error } : { byPeer: false };
    if (!this.finish(info)) return;
    if (this.held) this.closedBeforeAnnounce = info;
    else this.connection.sendJson({ t: 'stream.closed', stream: this.number, info });
  }

  onData(listener: (data: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }
  onClose(listener: (info: StreamCloseInfo) => void): void {
    this.closeListeners.push(listener);
  }
  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  deliver(data: Uint8Array): void {
    if (!this.closed) for (const listener of this.dataListeners) listener(data);
  }

  /** Marks the stream ended; returns false when it already was. */
  finish(info: StreamCloseInfo): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.connection.forgetStream(this.number);
    for (const listener of this.closeListeners) listener(info);
    this.dataListeners = [];
    this.closeListeners = [];
    this.drainListeners = [];
    return true;
  }
}

/** One browser tab's WebSocket: carries calls, event subscriptions and streams to the router. */
export class ServeConnection {
  private readonly subscriptions = new Map<string, () => void>();
  private readonly streams = new Map<number, WebSocketStreamPeer>();
  private nextStream = 1;

  constructor(
    private readonly socket: WebSocket,
    private readonly router: ApiRouter,
  ) {
    socket.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) this.onBinary(bytes);
      else void this.onText(bytes.toString('utf8'));
    });
    socket.on('close', () => this.dispose());
    socket.on('error', () => this.dispose());
  }

  sendJson(message: ServeServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  sendBinary(frame: Buffer, sent: () => void): void {
    if (this.socket.readyState !== this.socket.OPEN) return sent();
    this.socket.send(frame, { binary: true }, () => sent());
  }

  forgetStream(number: number): void {
    this.streams.delete(number);
  }

  private async onText(text: string): Promise<void> {
    const message = parseClientMessage(text);
    if (!message) {
      // A client that speaks something else is not ours: close with "unsupported data".
      this.socket.close(1003, 'Malformed message');
      return;
    }
    switch (message.t) {
      case 'call':
        this.sendJson({ t: 'result', id: message.id, result: await this.router.call(message.name, message.request) });
        return;
      case 'subscribe':
        this.subscribe(message.name);
        return;
      case 'unsubscribe':
        this.subscriptions.get(message.name)?.();
        this.subscriptions.delete(message.name);
        return;
      case 'stream.open':
        await this.openStream(message.id, message.kind, message.params);
        return;
      case 'stream.close':
        this.streams.get(message.stream)?.finish({ byPeer: true });
        return;
    }
  }

  private subscribe(name: string): void {
    if (this.subscriptions.has(name)) return;
    try {
      const unsubscribe = this.router.subscribe(name, (payload) => this.sendJson({ t: 'event', name, payload }));
      this.subscriptions.set(name, unsubscribe);
    } catch (error) {
      // Unknown event names are reported once on the console of the server; the client's typed API
      // cannot produce them, so this is a foreign or outdated client.
      console.warn(`[serve] refused subscription: ${toApiError(error).message}`);
    }
  }

  private async openStream(id: number, kind: string, params: unknown): Promise<void> {
    if (this.streams.size >= MAX_STREAMS_PER_CONNECTION) {
      this.sendJson({
        t: 'stream.opened',
        id,
        result: { ok: false, error: { code: 'conflict', message: `At most ${MAX_STREAMS_PER_CONNECTION} streams per window` } },
      });
      return;
    }
    const peer = new WebSocketStreamPeer(this.nextStream++, this);
    this.streams.set(peer.number, peer);
    const result = await this.router.openStream(kind, params, peer);
    if (result.ok) {
      this.sendJson({ t: 'stream.opened', id, result: { ok: true, value: { stream: peer.number } } });
      peer.announced();
    } else {
      this.streams.delete(peer.number);
      this.sendJson({ t: 'stream.opened', id, result });
    }
  }

  private onBinary(frame: Buffer): void {
    if (frame.byteLength < 4) return;
    const peer = this.streams.get(frame.readUInt32BE(0));
    peer?.deliver(new Uint8Array(frame.buffer, frame.byteOffset + 4, frame.byteLength - 4));
  }

  private dispose(): void {
    for (const unsubscribe of this.subscriptions.values()) unsubscribe();
    this.subscriptions.clear();
    for (const peer of [...this.streams.values()]) peer.finish({ byPeer: true });
  }
}
