import type { TransportKind } from '../preload/api-contract';
import { ApiRouter, type StreamHandlers } from './api/api-router';
import { createCallHandlers } from './api/call-handlers';
import { ApiEventBus } from './api/event-bus';
import { HostStore } from './services/hosts/host-store';
import { userConfigDir } from './platform/user-dirs';
import { APP_NAME, APP_VERSION } from './app-version';

export interface AppServicesOptions {
  transport: TransportKind;
  configDir?: string;
}

export interface AppServices {
  router: ApiRouter;
  /** Stops background work (connections, timers) so the process can exit. */
  dispose(): Promise<void>;
}

/**
 * The composition root shared by Electron and serve mode: builds every service once and the router
 * that both transports call. Nothing here may import Electron.
 */
export function createAppServices(options: AppServicesOptions): AppServices {
  const configDir = options.configDir ?? userConfigDir();
  const events = new ApiEventBus();
  const hosts = new HostStore(configDir);
  const appInfo = {
    name: APP_NAME,
    version: APP_VERSION,
    transport: options.transport,
    platform: process.platform,
    configDir,
  };
  const streams: StreamHandlers = {};
  const router = new ApiRouter(createCallHandlers({ appInfo, hosts, events }), streams, events);
  return {
    router,
    dispose: async () => {},
  };
}
