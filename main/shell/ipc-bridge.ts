import { ipcMain, MessageChannelMain, type IpcMainEvent, type IpcMainInvokeEvent, type MessagePortMain, type WebContents } from 'electron';
import { randomUUID } from 'node:crypto';
import { IPC_CHANNELS, type ApiError, type ApiResult, type StreamCloseInfo, type StreamPortMessage } from '../../preload/api-contract';
import type { ApiRouter } from '../api/api-router';
import type { ByteStreamPeer } from '../services/byte-stream-peer';
import type { TrustedSenders } from './trusted-sender';

const untrusted: ApiError = { code: 'unauthorized', message: 'IPC from an untrusted frame was refused' };

class MessagePortStreamPeer implements ByteStreamPeer {
  private dataListeners: Array<(data: Uint8Array) => void> = [];
  private closeListeners: Array<(info: StreamCloseInfo) => void> = [];
  private closed = false;

  constructor(private readonly port: MessagePortMain) {
    port.on('message', (event) => {
      const message = event.data as StreamPortMessage;
      if (message.type === 'data' && message.data instanceof Uint8Array) {
        for (const listener of this.dataListeners) listener(message.data);
      } else if (message.type === 'close') this.finish({ byPeer: true });
    });
    port.on('close', () => this.finish({ byPeer: true }));
    port.start();
  }

  send(data: Uint8Array): boolean {
    if (this.closed) return false;
    const message: StreamPortMessage = { type: 'data', data };
    this.port.postMessage(message);
    return true;
  }

  close(error?: ApiError): void {
    const info: StreamCloseInfo = error ? { byPeer: false, error } : { byPeer: false };
    if (this.closed) return;
    const message: StreamPortMessage = { type: 'close', info };
    this.port.postMessage(message);
    this.finish(info);
    this.port.close();
  }

  onData(listener: (data: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }
  onClose(listener: (info: StreamCloseInfo) => void): void {
    this.closeListeners.push(listener);
  }
  onDrain(): void {
    // MessagePorts queue without limit inside Electron; send() never reports backpressure.
  }

  private finish(info: StreamCloseInfo): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners) listener(info);
  }
}

/**
 * Wires the API router to Electron IPC. The only file that touches ipcMain; every message's sender is
 * checked before anything reaches the router.
 */
export function installIpcBridge(router: ApiRouter, senders: TrustedSenders): void {
  const subscriptions = new Map<number, Map<string, () => void>>();

  ipcMain.handle(IPC_CHANNELS.call, async (event: IpcMainInvokeEvent, name: unknown, request: unknown) => {
    if (!senders.isTrusted(event.sender, event.senderFrame)) return { ok: false, error: untrusted };
    return router.call(String(name), request);
  });

  ipcMain.on(IPC_CHANNELS.subscribe, (event: IpcMainEvent, name: unknown) => {
    if (!senders.isTrusted(event.sender, event.senderFrame) || typeof name !== 'string') return;
    const contents: WebContents = event.sender;
    let perWindow = subscriptions.get(contents.id);
    if (!perWindow) {
      const created = new Map<string, () => void>();
      subscriptions.set(contents.id, created);
      contents.once('destroyed', () => {
        for (const stop of created.values()) stop();
        subscriptions.delete(contents.id);
      });
      perWindow = created;
    }
    if (perWindow.has(name)) return;
    try {
      perWindow.set(
        name,
        router.subscribe(name, (payload) => {
          if (!contents.isDestroyed()) contents.send(IPC_CHANNELS.event, name, payload);
        }),
      );
    } catch (error) {
      console.warn(`[ipc] refused subscription to ${name}:`, error);
    }
  });

  ipcMain.on(IPC_CHANNELS.unsubscribe, (event: IpcMainEvent, name: unknown) => {
    if (!senders.isTrusted(event.sender, event.senderFrame) || typeof name !== 'string') return;
    const perWindow = subscriptions.get(event.sender.id);
    perWindow?.get(name)?.();
    perWindow?.delete(name);
  });

  ipcMain.handle(
    IPC_CHANNELS.streamOpen,
    async (event: IpcMainInvokeEvent, kind: unknown, params: unknown): Promise<ApiResult<{ streamId: string }>> => {
      if (!senders.isTrusted(event.sender, event.senderFrame)) return { ok: false, error: untrusted };
      const { port1, port2 } = new MessageChannelMain();
      const peer = new MessagePortStreamPeer(port1);
      const result = await router.openStream(String(kind), params, peer);
      if (!result.ok) {
        port1.close();
        return result;
      }
      const streamId = randomUUID();
      event.sender.postMessage(IPC_CHANNELS.streamPortMessage, { streamId }, [port2]);
      return { ok: true, value: { streamId } };
    },
  );
}
