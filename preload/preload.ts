/// <reference lib="dom" />
import { contextBridge, ipcRenderer } from 'electron';
import {
  BRIDGE_GLOBAL,
  IPC_CHANNELS,
  type ApiEventName,
  type ApiEvents,
  type VirtDeckBridge,
} from './api-contract';

/**
 * The sandboxed preload: exposes exactly the typed bridge of the contract on window.virtdeck. The page
 * never sees ipcRenderer. Stream ports arrive on IPC and are handed to the page with postMessage,
 * because MessagePorts cannot cross contextBridge.
 */
const listeners = new Map<ApiEventName, Set<(payload: unknown) => void>>();

ipcRenderer.on(IPC_CHANNELS.event, (_event, name: ApiEventName, payload: unknown) => {
  for (const listener of listeners.get(name) ?? []) listener(payload);
});

ipcRenderer.on(IPC_CHANNELS.streamPortMessage, (event, message: { streamId: string }) => {
  window.postMessage({ type: IPC_CHANNELS.streamPortMessage, streamId: message.streamId }, window.location.origin, [
    ...event.ports,
  ]);
});

const bridge: VirtDeckBridge = {
  call: (name, request) => ipcRenderer.invoke(IPC_CHANNELS.call, name, request),
  subscribe<K extends ApiEventName>(name: K, listener: (payload: ApiEvents[K]) => void) {
    let set = listeners.get(name);
    if (!set) {
      set = new Set();
      listeners.set(name, set);
      ipcRenderer.send(IPC_CHANNELS.subscribe, name);
    }
    const stored = listener as (payload: unknown) => void;
    set.add(stored);
    return () => {
      set.delete(stored);
      if (set.size === 0) {
        listeners.delete(name);
        ipcRenderer.send(IPC_CHANNELS.unsubscribe, name);
      }
    };
  },
  openStream: (kind, params) => ipcRenderer.invoke(IPC_CHANNELS.streamOpen, kind, params),
};

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
