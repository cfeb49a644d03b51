import {
  IPC_CHANNELS,
  type StreamPortMessage,
  type TransportKind,
  type VirtDeckBridge,
} from '../../../preload/api-contract';
import { ApiCallError, ByteChannelListeners, type ApiClient, type ByteChannel } from './api-client';

/** Streams' MessagePorts arrive by window message, tagged with the id openStream returned. */
const arrivedPorts = new Map<string, MessagePort>();
const waitingPorts = new Map<string, (port: MessagePort) => void>();

window.addEventListener('message', (event: MessageEvent) => {
  const data: unknown = event.data;
  if (event.source !== window || typeof data !== 'object' || data === null) return;
  const message = data as { type?: unknown; streamId?: unknown };
  if (message.type !== IPC_CHANNELS.streamPortMessage || typeof message.streamId !== 'string') return;
  const port = event.ports[0];
  if (!port) return;
  const waiter = waitingPorts.get(message.streamId);
  if (waiter) {
    waitingPorts.delete(message.streamId);
    waiter(port);
  } else arrivedPorts.set(message.streamId, port);
});

function portFor(streamId: string): Promise<MessagePort> {
  const port = arrivedPorts.get(streamId);
  if (port) {
    arrivedPorts.delete(streamId);
    return Promise.resolve(port);
  }
  return new Promise((resolve) => waitingPorts.set(streamId, resolve));
}

function portChannel(port: MessagePort): ByteChannel {
  const listeners = new ByteChannelListeners();
  port.onmessage = (event: MessageEvent<StreamPortMessage>) => {
    if (event.data.type === 'data') listeners.emitData(event.data.data);
    else listeners.emitClose(event.data.info);
  };
  return {
    send: (data) => {
      if (!listeners.closed) port.postMessage({ type: 'data', data } satisfies StreamPortMessage);
    },
    close: () => {
      if (listeners.closed) return;
      port.postMessage({ type: 'close', info: { byPeer: true } } satisfies StreamPortMessage);
      listeners.emitClose({ byPeer: false });
      port.close();
    },
    onData: (listener) => listeners.addData(listener),
    onClose: (listener) => listeners.addClose(listener),
  };
}

/** The client over the preload's contextBridge (desktop app). */
export function createElectronClient(bridge: VirtDeckBridge): ApiClient {
  const transport: TransportKind = 'electron';
  return {
    transport,
    async call(name, request) {
      const result = await bridge.call(name, request);
      if (!result.ok) throw new ApiCallError(result.error);
      return result.value;
    },
    subscribe: (name, listener) => bridge.subscribe(name, listener),
    async openStream(kind, params) {
      const result = await bridge.openStream(kind, params);
      if (!result.ok) throw new ApiCallError(result.error);
      return portChannel(await portFor(result.value.streamId));
    },
    onConnectionChange(listener) {
      listener('connected');
      return () => undefined;
    },
  };
}
