/**
 * The consoles area: serial and graphics streams, screenshots, graphics passwords, and SPICE's extras
 * (remote-viewer sessions, the switch to VNC).
 */
import { z } from 'zod';
import type { ConsolesCalls, ConsolesStreams } from '../../preload/api-contract';
import { virDomainXMLFlags } from '../libvirt/protocol';
import { ApiFailure } from '../services/api-failure';
import type { LibvirtHostLink } from '../services/connections/libvirt-host-link';
import { openGraphics, openGraphicsConsole, openSerialConsole } from '../services/consoles/console-streams';
import { graphicsPassword, readScreenshot } from '../services/consoles/graphics-info';
import { applySpiceToVnc, planSpiceToVnc } from '../services/consoles/spice-to-vnc';
import { parseDomainDetails } from '../services/domains/domain-xml-parse';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers, AreaStreamHandlers } from './api-router';
import { domainRef, noRequest } from './request-schemas';

const sessionRef = z.object({ sessionId: z.string().uuid() });
const channel = z.number().int().min(0).max(16);

export function createConsolesCalls(deps: CallHandlerDeps): AreaCallHandlers<ConsolesCalls> {
  const link = (hostId: string) => requireLink(deps, hostId);
  const remoteViewers = () => deps.remoteViewers;
  return {
    'domain.screenshot': {
      request: domainRef,
      handle: async ({ hostId, uuid }) => readScreenshot(link(hostId).libvirt, uuid),
    },
    'domain.graphicsPassword': {
      request: domainRef.extend({ channel }),
      handle: async ({ hostId, uuid, channel: index }) => {
        const xml = await link(hostId).libvirt.domain.getXml({ uuid }, virDomainXMLFlags.VIR_DOMAIN_XML_SECURE);
        return { password: graphicsPassword(xml, index) };
      },
    },
    'spice.remoteViewerAvailable': {
      request: noRequest,
      handle: async () => ({ available: (await remoteViewers().viewerPath()) !== null }),
    },
    'spice.remoteViewerOpen': {
      request: domainRef.extend({ channel }),
      handle: async ({ hostId, uuid, channel: index }) => {
        const hostLink = link(hostId);
        const live = await hostLink.libvirt.domain.getXml({ uuid }, 0);
        const details = parseDomainDetails(hostId, live);
        const graphics = details.graphics[index];
        if (graphics?.type !== 'spice') {
          throw new ApiFailure('not-found', `Graphics device #${index} of ${details.name} is not SPICE`);
        }
        // The password from the secure XML when this account may read it; otherwise remote-viewer asks.
        const password = await hostLink.libvirt
          .domain.getXml({ uuid }, virDomainXMLFlags.VIR_DOMAIN_XML_SECURE)
          .then((xml) => graphicsPassword(xml, index), () => null);
        return remoteViewers().open({
          hostId,
          title: `${details.name} (VirtDeck)`,
          password,
          open: () => {
            // Each SPICE channel gets its own SSH channel on the host's connection as it is now.
            const current = link(hostId);
            return openGraphics(current, uuid, index);
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
        const domain = await libvirt.domain.lookup({ uuid });
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

export interface ConsoleStreamDeps {
  /** The live link to a host, or null when it is not connected. */
  link(hostId: string): LibvirtHostLink | null;
}

const streamUuid = z.string().min(1).max(64);

/** The console streams: serial (libvirt console stream) and graphics (VNC/SPICE bytes). */
export function createConsolesStreams(deps: ConsoleStreamDeps): AreaStreamHandlers<ConsolesStreams> {
  const link = (hostId: string) => requireLink({ connections: deps }, hostId);
  return {
    'console.serial': {
      params: z.object({
        hostId: z.string().min(1),
        domainUuid: streamUuid,
        force: z.boolean(),
        device: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'is not a device alias')
          .nullable()
          .optional(),
      }),
      open: async ({ hostId, domainUuid, force, device }, peer) =>
        openSerialConsole(link(hostId), domainUuid, device ?? null, force, peer),
    },
    'console.graphics': {
      params: z.object({ hostId: z.string().min(1), domainUuid: streamUuid, channel }),
      open: async ({ hostId, domainUuid, channel: index }, peer) => openGraphicsConsole(link(hostId), domainUuid, index, peer),
    },
  };
}
