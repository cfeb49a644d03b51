import { z } from 'zod';
import type { StorageBenchmarkCalls } from '../../preload/api-contract';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { hostId, noRequest } from './request-schemas';

const pool = z.string().min(1).max(255);

export function createStorageBenchmarkCalls({ storageBenchmark }: CallHandlerDeps): AreaCallHandlers<StorageBenchmarkCalls> {
  return {
    'storageBenchmark.check': { request: z.object({ hostId, pool }), handle: ({ hostId: id, pool: p }) => storageBenchmark.check(id, p) },
    'storageBenchmark.start': {
      request: z.object({
        hostId,
        pool,
        sizeMiB: z.number().int().min(1).max(1024 * 1024),
        durationSec: z.number().int().min(4).max(3600),
      }),
      handle: (request) => storageBenchmark.start(request),
    },
    'storageBenchmark.cancel': { request: z.object({ jobId: z.string().uuid() }), handle: async ({ jobId }) => storageBenchmark.cancel(jobId) },
    'storageBenchmark.jobs': { request: noRequest, handle: async () => storageBenchmark.list() },
    'storageBenchmark.results': { request: z.object({ hostId }), handle: ({ hostId: id }) => storageBenchmark.results(id) },
  };
}
