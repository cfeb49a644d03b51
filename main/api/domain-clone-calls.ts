/**
 * Clone and rename: every request checked here (names, modes, sizes of strings) before the service reads
 * the host. The service lives as long as the API (one per app): its jobs outlive windows and reconnects.
 */
import { z } from 'zod';
import type { DomainCloneCalls } from '../../preload/api-contract';
import { DomainCloneService } from '../services/domain-clone/clone-service';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainRef, noRequest } from './request-schemas';

const name = z.string().min(1).max(200);
const jobId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'is not a job id');
const cloneRequest = domainRef.extend({
  name,
  disks: z
    .array(
      z.object({
        target: z.string().min(1).max(32),
        mode: z.enum(['copy', 'link', 'share']),
        volumeName: name.nullable(),
      }),
    )
    .max(64),
  basedOn: z.string().min(1).max(4_000_000),
});

export function createDomainCloneCalls(deps: CallHandlerDeps): AreaCallHandlers<DomainCloneCalls> {
  const service = new DomainCloneService(
    {
      libvirt: (hostId) => requireLink(deps, hostId).libvirt,
      ssh: (hostId) => requireLink(deps, hostId).ssh,
    },
    (job) => deps.events.publish('domainClone.progress', job),
  );
  return {
    'domainClone.plan': { request: domainRef, handle: ({ hostId, uuid }) => service.plan(hostId, uuid) },
    'domainClone.preview': { request: cloneRequest, handle: (request) => service.preview(request) },
    'domainClone.start': { request: cloneRequest.extend({ jobId }), handle: (request) => service.start(request) },
    'domainClone.cancel': { request: z.object({ jobId }), handle: async ({ jobId: id }) => service.cancel(id) },
    'domainClone.jobs': { request: noRequest, handle: async () => service.list() },
    'domainClone.renameCheck': { request: domainRef, handle: ({ hostId, uuid }) => service.renameCheck(hostId, uuid) },
    'domainClone.rename': {
      request: domainRef.extend({ from: name, name }),
      handle: ({ hostId, uuid, from, name: to }) => service.rename(hostId, uuid, from, to),
    },
  };
}
