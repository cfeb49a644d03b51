import { z } from 'zod';
import type { HostIoCalls } from '../../preload/api-contract';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { hostId } from './request-schemas';

export function createHostIoCalls({ hostIo }: CallHandlerDeps): AreaCallHandlers<HostIoCalls> {
  return {
    'hostIo.latest': { request: z.object({ hostId }), handle: async ({ hostId: id }) => hostIo.latest(id) },
  };
}
