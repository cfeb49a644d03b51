import { z } from 'zod';
import type { FleetCalls } from '../../preload/api-contract';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { noRequest } from './request-schemas';

export function createFleetCalls({ fleet }: CallHandlerDeps): AreaCallHandlers<FleetCalls> {
  return {
    'fleet.snapshot': { request: noRequest, handle: async () => fleet.snapshot() },
    'fleet.history': {
      request: z.object({ hostId: z.string().min(1), uuid: z.string().min(1) }),
      handle: async ({ hostId, uuid }) => fleet.history(hostId, uuid),
    },
  };
}
