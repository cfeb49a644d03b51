import type { AppCalls } from '../../preload/api-contract';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { noRequest } from './request-schemas';

export function createAppCalls({ appInfo }: CallHandlerDeps): AreaCallHandlers<AppCalls> {
  return { 'app.getInfo': { request: noRequest, handle: async () => appInfo } };
}
