import type {
  ApiCallName,
  ApiError,
  ApiEventName,
  ApiEvents,
  ApiRequest,
  ApiResponse,
  ApiStreamKind,
  ApiStreamParams,
  StreamCloseInfo,
  TransportKind,
} from '../../../preload/api-contract';

/** A failed call, carrying the typed error from main. */
export class ApiCallError extends Error {
  readonly error: ApiError;
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.error = error;
  }
}

/** A failure as the UI shows it: the message main sent for a failed call, or the error's own message. */
export function errorMessage(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}

/** The renderer's end of a stream: bytes both ways until either side closes it. */
export interface ByteChannel {
  send(data: Uint8Array): void;
  close(): void;
  onData(listener: (data: Uint8Array) => void): void;
  onClose(listener: (info: StreamCloseInfo) => void): void;
}

/** What UI code uses to reach main, whichever transport carries it. */
export interface ApiClient {
  readonly transport: TransportKind;
  call<K extends ApiCallName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>>;
  subscribe<K extends ApiEventName>(name: K, listener: (payload: ApiEvents[K]) => void): () => void;
  openStream<K extends ApiStreamKind>(kind: K, params: ApiStreamParams<K>): Promise<ByteChannel>;
  /** Serve mode: follows the WebSocket's state; Electron: always 'connected'. */
  onConnectionChange(listener: (state: ConnectionState) => void): () => void;
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/** Fan-out helper for the byte channels of both transports. */
export class ByteChannelListeners {
  private data: Array<(data: Uint8Array) => void> = [];
  private close: Array<(info: StreamCloseInfo) => void> = [];
  private pending: Uint8Array[] = [];
  private closedWith: StreamCloseInfo | null = null;

  addData(listener: (data: Uint8Array) => void): void {
    this.data.push(listener);
    // Bytes that arrived before anyone listened are delivered now, in order.
    for (const chunk of this.pending.splice(0)) listener(chunk);
  }
  addClose(listener: (info: StreamCloseInfo) => void): void {
    if (this.closedWith) listener(this.closedWith);
    else this.close.push(listener);
  }
  emitData(chunk: Uint8Array): void {
    if (this.data.length === 0) this.pending.push(chunk);
    else for (const listener of this.data) listener(chunk);
  }
  emitClose(info: StreamCloseInfo): void {
    if (this.closedWith) return;
    this.closedWith = info;
    for (const listener of this.close) listener(info);
    this.data = [];
    this.close = [];
  }
  get closed(): boolean {
    return this.closedWith !== null;
  }
}
