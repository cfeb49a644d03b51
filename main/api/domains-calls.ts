import { z } from 'zod';
import type { DomainsCalls } from '../../preload/api-contract';
import { virDomainXMLFlags } from '../libvirt/protocol';
import { parseDomainDetails } from '../services/domains/domain-xml-parse';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainRef, domainUuid, hostId } from './request-schemas';

/** Lifecycle actions across hosts, what deleting involves, and the VM page's details. */
export function createDomainsCalls(deps: CallHandlerDeps): AreaCallHandlers<DomainsCalls> {
  const { actions } = deps;
  return {
    'domains.act': {
      request: z.object({
        actionId: z.string().min(8).max(64),
        action: z.enum(['start', 'shutdown', 'reboot', 'destroy', 'reset', 'suspend', 'resume', 'managedSave', 'autostartOn', 'autostartOff', 'delete']),
        targets: z.array(domainRef).min(1).max(10_000),
        removeStoragePaths: z.array(z.string().min(1).max(4096)).max(256).optional(),
      }),
      handle: (request) => actions.run(request),
    },
    'domains.deletionPlan': {
      request: z.object({ targets: z.array(domainRef).min(1).max(1_000) }),
      handle: ({ targets }) => actions.deletionPlans(targets),
    },
    'domain.details': {
      request: z.object({ hostId, uuid: domainUuid, inactive: z.boolean() }),
      handle: async ({ hostId: id, uuid, inactive }) => {
        const hostLink = requireLink(deps, id);
        const xml = await hostLink.libvirt.domain.getXml({ uuid }, inactive ? virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE : 0);
        const details = parseDomainDetails(id, xml);
        // A running guest's listeners: its console then opens in one round trip (see openGraphics).
        if (!inactive) hostLink.graphicsListeners.remember(uuid, details.graphics.map((graphics) => graphics.listen));
        return details;
      },
    },
  };
}
