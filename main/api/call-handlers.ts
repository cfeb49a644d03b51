import { z } from 'zod';
import type { AppInfo } from '../../preload/api-contract';
import type { HostStore } from '../services/hosts/host-store';
import { hostDraftSchema, hostEntrySchema } from '../services/hosts/host-schema';
import type { ApiEventBus } from './event-bus';
import type { CallHandlers } from './api-router';

const noRequest = z.null();

export interface CallHandlerDeps {
  appInfo: AppInfo;
  hosts: HostStore;
  events: ApiEventBus;
}

/** Binds every call of the contract to the service that serves it. */
export function createCallHandlers({ appInfo, hosts, events }: CallHandlerDeps): CallHandlers {
  const publishHosts = async () => events.publish('hosts.changed', { hosts: await hosts.list() });
  return {
    'app.getInfo': { request: noRequest, handle: async () => appInfo },
    'hosts.list': { request: noRequest, handle: () => hosts.list() },
    'hosts.add': {
      request: hostDraftSchema,
      handle: async (draft) => {
        const entry = await hosts.add(draft);
        await publishHosts();
        return entry;
      },
    },
    'hosts.update': {
      request: hostEntrySchema,
      handle: async (entry) => {
        const saved = await hosts.update(entry);
        await publishHosts();
        return saved;
      },
    },
    'hosts.remove': {
      request: z.object({ hostId: z.string().min(1) }),
      handle: async ({ hostId }) => {
        await hosts.remove(hostId);
        await publishHosts();
        return null;
      },
    },
  };
}
