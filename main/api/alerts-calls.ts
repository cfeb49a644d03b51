import { z } from 'zod';
import type { AlertsCalls } from '../../preload/api-contract';
import { alertRuleSchema } from '../services/alerts/alerts-service';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { noRequest } from './request-schemas';

export function createAlertsCalls({ monitoring }: CallHandlerDeps): AreaCallHandlers<AlertsCalls> {
  // Resolved per call: building the handler table touches no service.
  const alerts = () => monitoring.alerts;
  return {
    'alerts.list': {
      request: z.object({ includeResolved: z.boolean() }),
      handle: async ({ includeResolved }) => alerts().list(includeResolved),
    },
    'alerts.acknowledge': {
      request: z.object({ ids: z.array(z.string().uuid()).min(1).max(1000) }),
      handle: async ({ ids }) => alerts().acknowledge(ids),
    },
    'alerts.rules': { request: noRequest, handle: async () => alerts().rules() },
    'alerts.saveRule': { request: alertRuleSchema, handle: async (rule) => alerts().saveRule(rule) },
    'alerts.deleteRule': {
      request: z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }),
      handle: async ({ id }) => alerts().deleteRule(id),
    },
    'alerts.restoreDefaults': { request: noRequest, handle: async () => alerts().restoreDefaults() },
  };
}
