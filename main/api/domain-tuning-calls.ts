import { z } from 'zod';
import type { DomainTuningCalls } from '../../preload/api-contract';
import { tuningChangeSchema } from '../services/domain-tuning/change-schema';
import { tuningAdvice, tuningApply, tuningContext, tuningPreview } from '../services/domain-tuning/tuning-service';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainRef } from './request-schemas';

export function createDomainTuningCalls(deps: CallHandlerDeps): AreaCallHandlers<DomainTuningCalls> {
  const libvirt = (hostId: string) => requireLink(deps, hostId).libvirt;
  const changeRequest = domainRef.extend({ change: tuningChangeSchema, basedOn: z.string().min(1).max(4_000_000) });
  return {
    'domainTuning.context': { request: domainRef, handle: ({ hostId, uuid }) => tuningContext(libvirt(hostId), uuid) },
    'domainTuning.preview': {
      request: changeRequest,
      handle: ({ hostId, uuid, change, basedOn }) => tuningPreview(libvirt(hostId), uuid, change, basedOn),
    },
    'domainTuning.apply': {
      request: changeRequest,
      handle: ({ hostId, uuid, change, basedOn }) => tuningApply(libvirt(hostId), uuid, change, basedOn),
    },
    'domainTuning.advice': {
      request: domainRef,
      handle: async ({ hostId, uuid }) => tuningAdvice(libvirt(hostId), uuid, (await deps.settings.get()).advisor),
    },
  };
}
