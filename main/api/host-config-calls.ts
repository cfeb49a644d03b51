import { z } from 'zod';
import type { HostConfigCalls } from '../../preload/api-contract';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { hostId } from './request-schemas';

const path = z.string().min(1).max(4096);
const text = z.string().max(4_000_000);
const value = z.union([
  z.string().max(65_536),
  z.number(),
  z.boolean(),
  z.array(z.string().max(4096)).max(4096),
]);

/** The `hostConfig.*` calls of the contract. */
export function createHostConfigCalls(deps: CallHandlerDeps): AreaCallHandlers<HostConfigCalls> {
  const service = () => deps.hostConfig;
  return {
    'hostConfig.read': { request: z.object({ hostId }), handle: ({ hostId: id }) => service().read(id) },
    'hostConfig.analyze': {
      request: z.object({ hostId, path, text }),
      handle: async (request) => service().analyze(request.hostId, request.path, request.text),
    },
    'hostConfig.edit': {
      request: z.object({
        hostId,
        path,
        text,
        edits: z
          .array(z.object({ key: z.string().min(1).max(200), value: value.nullable() }))
          .min(1)
          .max(500),
      }),
      handle: async (request) => service().edit(request.hostId, request.path, request.text, request.edits),
    },
    'hostConfig.save': {
      request: z.object({
        hostId,
        path,
        text,
        basedOn: z.string().regex(/^[0-9a-f]{64}$/, 'is not a SHA-256'),
      }),
      handle: (request) => service().save(request.hostId, request.path, request.text, request.basedOn),
    },
    'hostConfig.restart': {
      request: z.object({ hostId, timeoutSeconds: z.number().int().min(5).max(600).optional() }),
      handle: (request) => service().restart(request.hostId, request.timeoutSeconds),
    },
    'hostConfig.backups': {
      request: z.object({ hostId }),
      handle: ({ hostId: id }) => service().backups(id),
    },
    'hostConfig.readBackup': {
      request: z.object({ hostId, path }),
      handle: (request) => service().readBackup(request.hostId, request.path),
    },
  };
}
