/** The SPICE calls of the contract: remote-viewer sessions and the switch to VNC. */
import { z } from 'zod';
import { ApiFailure } from '../../api/api-error';
import type { CallHandlers } from '../../api/api-router';
import { virDomainXMLFlags } from '../../libvirt/protocol';
import type { LibvirtHostLink } from '../connections/libvirt-host-link';
import { parseDomainDetails } from '../domains/domain-xml-parse';
import { openGraphics } from './console-streams';
import { graphicsPassword } from './graphics-calls';
import type { RemoteViewerSessions } from './spice-remote-viewer';
import { applySpiceToVnc, planSpiceToVnc } from './spice-to-vnc';

type SpiceCallName =
  | 'spice.remoteViewerAvailable'
  | 'spice.remoteViewerOpen'
  | 'spice.remoteViewerStatus'
  | 'spice.remoteViewerClose'
  | 'spice.switchToVncPlan'
  | 'spice.switchToVncApply';

const domainRef = z.object({ hostId: z.string().min(1), uuid: z.string().regex(/^[0-9a-f-]{36}$/i, 'is not a UUID') });
const sessionRef = z.object({ sessionId: z.string().uuid() });

export function createSpiceCallHandlers(
  link: (hostId: string) => LibvirtHostLink,
  remoteViewers: () => RemoteViewerSessions,
): Pick<CallHandlers, SpiceCallName> {
  return {
    'spice.remoteViewerAvailable': {
      request: z.null(),
      handle: async () => ({ available: (await remoteViewers().viewerPath()) !== null }),
    },
    'spice.remoteViewerOpen': {
      request: domainRef.extend({ channel: z.number().int().min(0).max(16) }),
      handle: async ({ hostId, uuid, channel }) => {
        const hostLink = link(hostId);
        const live = await hostLink.libvirt.domainGetXml({ uuid }, 0);
        const details = parseDomainDetails(hostId, live);
        const graphics = details.graphics[channel];
        if (graphics?.type !== 'spice') {
          throw new ApiFailure('not-found', `Graphics device #${channel} of ${details.name} is not SPICE`);
        }
        // The password from the secure XML when this account may read it; otherwise remote-viewer asks.
        const password = await hostLink.libvirt
          .domainGetXml({ uuid }, virDomainXMLFlags.VIR_DOMAIN_XML_SECURE)
          .then((xml) => graphicsPassword(xml, channel), () => null);
        return remoteViewers().open({
          hostId,
          title: `${details.name} (VirtDeck)`,
          password,
          open: () => {
            // Each SPICE channel gets its own SSH channel on the host's connection as it is now.
            const current = link(hostId);
            return openGraphics(current, uuid, channel);
          },
        });
      },
    },
    'spice.remoteViewerStatus': {
      request: sessionRef,
      handle: async ({ sessionId }) => {
        const { running, channels } = remoteViewers().info(sessionId);
        return { running, channels };
      },
    },
    'spice.remoteViewerClose': {
      request: sessionRef,
      handle: async ({ sessionId }) => {
        await remoteViewers().close(sessionId);
        return null;
      },
    },
    'spice.switchToVncPlan': {
      request: domainRef,
      handle: async ({ hostId, uuid }) => {
        const libvirt = link(hostId).libvirt;
        const domain = await libvirt.domainLookup({ uuid });
        return planSpiceToVnc(libvirt, uuid, domain.name);
      },
    },
    'spice.switchToVncApply': {
      request: domainRef.extend({ version: z.string().regex(/^[0-9a-f]{64}$/) }),
      handle: async ({ hostId, uuid, version }) => {
        await applySpiceToVnc(link(hostId).libvirt, uuid, version);
        return null;
      },
    },
  };
}
