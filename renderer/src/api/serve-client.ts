import {
  SERVE_WEBSOCKET_PATH,
  type ApiEventName,
  type ApiResult,
  type ServeClientMessage,
  type ServeServerMessage,
  type TransportKind,
} from '../../../preload/api-contract';
import {
  ApiCallError,
  ByteChannelListeners,
  type ApiClient,
  type ByteChannel,
  type ConnectionState,
} from './api-client';

interface PendingCall {
  message: ServeClientMessage;
  resolve(result: ApiResult<unknown>): void;
  sent: boolean;
}

const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 5000];

/**
 * The client over serve mode's WebSocket (browser). The session cookie set when the page was opened
 * with the token authenticates the socket. Calls made while disconnected wait and go out once
 * connected; a call that was sent when the socket dropped is reported as failed, never re-sent, so a
 * dropped connection loses no action and repeats none.
 */
export function createServeClient(location: Location): ApiClient {
  const transport: TransportKind = 'serve';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${SERVE_WEBSOCKET_PATH}`;
  const pending = new Map<number, PendingCall>();
  const eventListeners = new Map<string, Set<(payload: unknown) => void>>();
  const streams = new Map<number, ByteChannelListeners>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let state: ConnectionState = 'connecting';
  let attempt = 0;

  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of connectionListeners) listener(next);
  };

  const sendNow = (message: ServeClientMessage): boolean => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  };

  const onServerMessage = (message: ServeServerMessage) => {
    switch (message.t) {
      case 'result':
      case 'stream.opened': {
        const call = pending.get(message.id);
        pending.delete(message.id);
        call?.resolve(message.result);
        return;
      }
      case 'event':
        for (const listener of eventListeners.get(message.name) ?? []) listener(message.payload);
        return;
      case 'stream.closed':
        streams.get(message.stream)?.emitClose(message.info);
        streams.delete(message.stream);
        return;
    }
  };

  const connect = () => {
    setState('connecting');
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState('connected');
      for (const name of eventListeners.keys()) sendNow({ t: 'subscribe', name });
      for (const call of pending.values()) {
        if (!call.sent) call.sent = sendNow(call.message);
      }
    };
    ws.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      if (typeof event.data === 'string') {
        onServerMessage(JSON.parse(event.data) as ServeServerMessage);
        return;
      }
      const frame = new DataView(event.data);
      if (frame.byteLength < 4) return;
      streams.get(frame.getUint32(0))?.emitData(new Uint8Array(event.data, 4));
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      setState('disconnected');
      for (const [id, call] of pending) {
        if (!call.sent) continue;
        pending.delete(id);
        call.resolve({
          ok: false,
          error: {
            code: 'io',
            message: 'The connection to VirtDeck closed before the answer came; the action may or may not have been applied.',
          },
        });
      }
      for (const channel of streams.values()) {
        channel.emitClose({ byPeer: true, error: { code: 'io', message: 'The connection to VirtDeck closed.' } });
      }
      streams.clear();
      const delay = RECONNECT_DELAYS_MS[Math.min(attempt++, RECONNECT_DELAYS_MS.length - 1)];
      setTimeout(connect, delay);
    };
  };

  const request = (build: (id: number) => ServeClientMessage): Promise<ApiResult<unknown>> =>
    new Promise((resolve) => {
      const id = nextId++;
      const message = build(id);
      const call: PendingCall = { message, resolve, sent: false };
      pending.set(id, call);
      call.sent = sendNow(message);
    });

  connect();

  return {
    transport,
    async call(name, requestValue) {
      const result = await request((id) => ({ t: 'call', id, name, request: requestValue }));
      if (!result.ok) throw new ApiCallError(result.error);
      return result.value as never;
    },
    subscribe(name: ApiEventName, listener) {
      let set = eventListeners.get(name);
      if (!set) {
        set = new Set();
        eventListeners.set(name, set);
        sendNow({ t: 'subscribe', name });
      }
      const stored = listener as (payload: unknown) => void;
      set.add(stored);
      return () => {
        set.delete(stored);
        if (set.size === 0) {
          eventListeners.delete(name);
          sendNow({ t: 'unsubscribe', name });
        }
      };
    },
    async openStream(kind, params): Promise<ByteChannel> {
      const result = await request((id) => ({ t: 'stream.open', id, kind, params }));
      if (!result.ok) throw new ApiCallError(result.error);
      const number = (result.value as { stream: number }).stream;
      const listeners = new ByteChannelListeners();
      streams.set(number, listeners);
      const carrier = socket;
      return {
        send(data) {
          if (listeners.closed || !carrier || carrier.readyState !== WebSocket.OPEN) return;
          const frame = new Uint8Array(4 + data.byteLength);
          new DataView(frame.buffer).setUint32(0, number);
          frame.set(data, 4);
          carrier.send(frame);
        },
        close() {
          if (listeners.closed) return;
          sendNow({ t: 'stream.close', stream: number });
          streams.delete(number);
          listeners.emitClose({ byPeer: false });
        },
        onData: (listener) => listeners.addData(listener),
        onClose: (listener) => listeners.addClose(listener),
      };
    },
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
  };
}
