import { z } from 'zod';
import { HISTORY_RANGES, HOST_METRICS, VM_METRICS, type MetricsHistoryCalls } from '../../preload/api-contract';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { noRequest } from './request-schemas';

const hostIdSchema = z.string().regex(/^[a-z0-9-]{1,64}$/, 'is not a host id');
const uuidSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'is not a UUID');
const metricSchema = z.enum([...HOST_METRICS, ...VM_METRICS]);
const entitySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('host'), hostId: hostIdSchema }),
  z.object({ kind: z.literal('vm'), hostId: hostIdSchema, uuid: uuidSchema }),
]);
const rangeSchema = z.enum(Object.keys(HISTORY_RANGES) as [keyof typeof HISTORY_RANGES, ...(keyof typeof HISTORY_RANGES)[]]);

export function createMetricsHistoryCalls({ monitoring }: CallHandlerDeps): AreaCallHandlers<MetricsHistoryCalls> {
  return {
    'metricsHistory.read': {
      request: z
        .object({
          entity: entitySchema,
          from: z.number().finite(),
          to: z.number().finite(),
          metrics: z.array(metricSchema).max(32).optional(),
        })
        .refine((r) => r.to > r.from && r.to - r.from <= 31 * 24 * 3600_000, { message: 'from must be before to, at most 31 days apart' }),
      handle: async ({ entity, from, to, metrics }) => monitoring.history.read(entity, from, to, metrics),
    },
    'metricsHistory.averages': {
      request: z.object({ metric: metricSchema, range: rangeSchema }),
      handle: async ({ metric, range }) => monitoring.history.averages(metric, range),
    },
    'metricsHistory.info': { request: noRequest, handle: async () => monitoring.history.info() },
  };
}
