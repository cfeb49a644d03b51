import type { MetricsExportCalls } from '../../preload/api-contract';
import { metricsExportConfigSchema } from '../services/metrics-export/metrics-export-service';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { noRequest } from './request-schemas';

export function createMetricsExportCalls({ metricsExport }: CallHandlerDeps): AreaCallHandlers<MetricsExportCalls> {
  return {
    'metricsExport.get': { request: noRequest, handle: () => metricsExport.state() },
    'metricsExport.set': { request: metricsExportConfigSchema, handle: (config) => metricsExport.configure(config) },
    'metricsExport.newToken': { request: noRequest, handle: () => metricsExport.newToken() },
    'metricsExport.clearToken': { request: noRequest, handle: () => metricsExport.clearToken() },
  };
}
