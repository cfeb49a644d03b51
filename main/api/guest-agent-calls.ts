import { z } from 'zod';
import type { GuestAgentCalls } from '../../preload/api-contract';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainRef } from './request-schemas';

const mountpoints = z.array(z.string().min(1).max(4096)).max(256);

export function createGuestAgentCalls({ guestAgent }: CallHandlerDeps): AreaCallHandlers<GuestAgentCalls> {
  return {
    'guestAgent.info': { request: domainRef, handle: ({ hostId, uuid }) => guestAgent.info(hostId, uuid) },
    'guestAgent.freeze': {
      request: domainRef.extend({ mountpoints }),
      handle: async ({ hostId, uuid, mountpoints: list }) => ({ filesystems: await guestAgent.freeze(hostId, uuid, list) }),
    },
    'guestAgent.thaw': {
      request: domainRef.extend({ mountpoints }),
      handle: async ({ hostId, uuid, mountpoints: list }) => ({ filesystems: await guestAgent.thaw(hostId, uuid, list) }),
    },
    'guestAgent.setTime': {
      request: domainRef.extend({ sync: z.boolean() }),
      handle: async ({ hostId, uuid, sync }) => {
        await guestAgent.setTime(hostId, uuid, sync);
        return null;
      },
    },
  };
}
