/** CD-ROM and floppy media: requests checked here, then the media service on the host's connection. */
import { z } from 'zod';
import type { DomainMediaCalls } from '../../preload/api-contract';
import { fileStatFor } from '../services/domain-clone/clone-storage';
import { mediaApply, mediaPreview, mediaState } from '../services/domain-media/media-service';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainRef } from './request-schemas';

const target = z.string().min(1).max(32);
const mediaRequest = domainRef.extend({
  change: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('eject'), target }),
    z.object({
      kind: z.literal('insert'),
      target,
      source: z.discriminatedUnion('type', [
        z.object({ type: z.literal('file'), path: z.string().min(2).max(4096).startsWith('/', 'must be an absolute path') }),
        z.object({ type: z.literal('volume'), pool: z.string().min(1).max(256), volume: z.string().min(1).max(256) }),
      ]),
    }),
    z.object({ kind: z.literal('ejectInstallMedia') }),
  ]),
  basedOn: z.string().min(1).max(4_000_000).nullable(),
  force: z.boolean(),
});

export function createDomainMediaCalls(deps: CallHandlerDeps): AreaCallHandlers<DomainMediaCalls> {
  const host = (hostId: string) => requireLink(deps, hostId);
  return {
    'domainMedia.state': { request: domainRef, handle: ({ hostId, uuid }) => mediaState(host(hostId).libvirt, hostId, uuid) },
    'domainMedia.preview': {
      request: mediaRequest,
      handle: (request) => mediaPreview(host(request.hostId).libvirt, request, fileStatFor(host(request.hostId).ssh)),
    },
    'domainMedia.apply': {
      request: mediaRequest,
      handle: (request) => mediaApply(host(request.hostId).libvirt, request, fileStatFor(host(request.hostId).ssh)),
    },
  };
}
