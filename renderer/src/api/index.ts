import { BRIDGE_GLOBAL, type VirtDeckBridge } from '../../../preload/api-contract';
import type { ApiClient } from './api-client';
import { createElectronClient } from './electron-client';
import { createServeClient } from './serve-client';

export type { ApiClient, ByteChannel, ConnectionState } from './api-client';
export { ApiCallError, errorMessage } from './api-client';

/** Picks the transport: the preload's bridge in the desktop app, the WebSocket in a browser. */
export function createApiClient(): ApiClient {
  const bridge = (window as unknown as Record<string, VirtDeckBridge | undefined>)[BRIDGE_GLOBAL];
  return bridge ? createElectronClient(bridge) : createServeClient(window.location);
}
