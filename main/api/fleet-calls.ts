import type { FleetCalls } from '../../preload/api-contract';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { noRequest } from './request-schemas';

export function createFleetCalls({ fleet }: CallHandlerDeps): AreaCallHandlers<FleetCalls> {
  return {
    'fleet.snapshot': { request: noRequest, handle: async () => fleet.snapshot() },
  };
}
