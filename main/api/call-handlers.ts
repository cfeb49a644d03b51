import { z } from 'zod';
import type { AppInfo } from '../../preload/api-contract';
import type { HostStore } from '../services/hosts/host-store';
import type { HostConnections } from '../services/connections/host-connections';
import type { SshConnectionPool } from '../services/connections/ssh-pool';
import type { LibvirtHostLink } from '../services/connections/libvirt-host-link';
import type { DomainActions } from '../services/domains/domain-actions';
import { parseDomainDetails } from '../services/domains/domain-xml-parse';
import { graphicsPassword, readScreenshot } from '../services/consoles/graphics-calls';
import { localLibvirtSocket, sshConfigCandidates } from '../services/hosts/host-discovery';
import { settingsSchema, type SettingsStore } from '../services/settings/settings-store';
import { virDomainXMLFlags } from '../libvirt/protocol';
import type { HostPromptBroker } from '../services/connections/host-prompts';
import type { FleetService } from '../services/fleet/fleet-service';
import { hostDraftSchema, hostEntrySchema } from '../services/hosts/host-schema';
import { createDomainXmlHandlers } from '../services/domain-xml/domain-xml-calls';
import { tuningChangeSchema } from '../services/domain-tuning/change-schema';
import { tuningAdvice, tuningApply, tuningContext, tuningPreview } from '../services/domain-tuning/tuning-service';
import { createSpiceCallHandlers } from '../services/consoles/spice-calls';
import type { RemoteViewerSessions } from '../services/consoles/spice-remote-viewer';
import { createHostConfigHandlers } from '../services/host-config/host-config-calls';
import type { HostConfigService } from '../services/host-config/host-config-service';
import { ApiFailure } from './api-error';
import type { ApiEventBus } from './event-bus';
import type { CallHandlers } from './api-router';

const noRequest = z.null();

export interface CallHandlerDeps {
  appInfo: AppInfo;
  hosts: HostStore;
  events: ApiEventBus;
  connections: HostConnections<LibvirtHostLink>;
  prompts: HostPromptBroker;
  fleet: FleetService;
  actions: DomainActions;
  settings: SettingsStore;
  /** ssh_config used for imports (VIRTDECK_SSH_CONFIG), undefined = OpenSSH's defaults. */
  sshConfigFile: string | null | undefined;
  /** remote-viewer sessions (SPICE), ended with the services. */
  remoteViewers: RemoteViewerSessions;
  /** The host configuration editor (qemu.conf, libvirtd.conf). */
  hostConfig: HostConfigService;
  /** The hosts' SSH connections (one each), closed at shutdown. */
  sshPool: SshConnectionPool;
}

const domainRef = z.object({ hostId: z.string().min(1), uuid: z.string().regex(/^[0-9a-f-]{36}$/i, 'is not a UUID') });

const hostRef = z.object({ hostId: z.string().min(1) });

const promptAnswer = z.discriminatedUnion('kind', [
  z.object({
    promptId: z.string().min(1),
    kind: z.literal('host-key'),
    decision: z.enum(['accept-once', 'accept-and-save', 'reject']),
  }),
  z.object({ promptId: z.string().min(1), kind: z.literal('secret'), value: z.string().max(4096).nullable() }),
]);

/** Binds every call of the contract to the service that serves it. */
export function createCallHandlers(deps: CallHandlerDeps): CallHandlers {
  const { appInfo, hosts, events, connections, prompts, fleet, actions, settings } = deps;
  const link = (hostId: string) => {
    const found = connections.link(hostId);
    if (!found) throw new ApiFailure('not-found', 'The host is not connected');
    return found;
  };
  const knownHost = async (hostId: string) => {
    if (!(await hosts.list()).some((h) => h.id === hostId)) throw new ApiFailure('not-found', `No saved host has id ${hostId}`);
  };
  const publishHosts = async () => events.publish('hosts.changed', { hosts: await hosts.list() });
  return {
    'app.getInfo': { request: noRequest, handle: async () => appInfo },
    'hosts.list': { request: noRequest, handle: () => hosts.list() },
    'hosts.add': {
      request: hostDraftSchema,
      handle: async (draft) => {
        const entry = await hosts.add(draft);
        await publishHosts();
        return entry;
      },
    },
    'hosts.update': {
      request: hostEntrySchema,
      handle: async (entry) => {
        const saved = await hosts.update(entry);
        await publishHosts();
        return saved;
      },
    },
    'hosts.remove': {
      request: hostRef,
      handle: async ({ hostId }) => {
        await hosts.remove(hostId);
        await publishHosts();
        return null;
      },
    },
    'hosts.statuses': { request: noRequest, handle: async () => connections.statuses() },
    'hosts.sshConfigCandidates': { request: noRequest, handle: async () => sshConfigCandidates(deps.sshConfigFile) },
    'hosts.localSocket': { request: noRequest, handle: () => localLibvirtSocket() },
    'settings.get': { request: noRequest, handle: () => settings.get() },
    'settings.set': {
      request: settingsSchema,
      handle: async (value) => {
        const saved = await settings.set(value);
        fleet.setTickMs(saved.statsIntervalMs);
        return saved;
      },
    },
    'hosts.connect': {
      request: hostRef,
      handle: async ({ hostId }) => {
        await knownHost(hostId);
        connections.connect(hostId);
        return null;
      },
    },
    'hosts.disconnect': {
      request: hostRef,
      handle: async ({ hostId }) => {
        await knownHost(hostId);
        await connections.disconnect(hostId);
        return null;
      },
    },
    'hosts.prompts': { request: noRequest, handle: async () => prompts.open() },
    'hosts.answerPrompt': {
      request: promptAnswer,
      handle: async (answer) => {
        prompts.answer(answer);
        return null;
      },
    },
    'host.overview': { request: hostRef, handle: async ({ hostId }) => link(hostId).overview() },
    'host.checks': { request: hostRef, handle: async ({ hostId }) => link(hostId).checks() },
    'host.history': { request: hostRef, handle: async ({ hostId }) => connections.link(hostId)?.hostHistory() ?? null },
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
      request: z.object({ hostId: z.string().min(1), uuid: domainRef.shape.uuid, inactive: z.boolean() }),
      handle: async ({ hostId, uuid, inactive }) => {
        const hostLink = link(hostId);
        const xml = await hostLink.libvirt.domainGetXml({ uuid }, inactive ? virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE : 0);
        const details = parseDomainDetails(hostId, xml);
        // A running guest's listeners: its console then opens in one round trip (see openGraphics).
        if (!inactive) hostLink.graphicsListeners.remember(uuid, details.graphics.map((graphics) => graphics.listen));
        return details;
      },
    },
    'domain.screenshot': {
      request: domainRef,
      handle: async ({ hostId, uuid }) => readScreenshot(link(hostId).libvirt, uuid),
    },
    'domain.graphicsPassword': {
      request: domainRef.extend({ channel: z.number().int().min(0).max(16) }),
      handle: async ({ hostId, uuid, channel }) => {
        const xml = await link(hostId).libvirt.domainGetXml({ uuid }, virDomainXMLFlags.VIR_DOMAIN_XML_SECURE);
        return { password: graphicsPassword(xml, channel) };
      },
    },
    ...createDomainXmlHandlers(link, appInfo.configDir),
    ...createSpiceCallHandlers(link, () => deps.remoteViewers),
    ...createHostConfigHandlers(() => deps.hostConfig),
    'fleet.snapshot': { request: noRequest, handle: async () => fleet.snapshot() },
    'fleet.history': {
      request: z.object({ hostId: z.string().min(1), uuid: z.string().min(1) }),
      handle: async ({ hostId, uuid }) => fleet.history(hostId, uuid),
    },
    'domainTuning.context': { request: domainRef, handle: ({ hostId, uuid }) => tuningContext(link(hostId).libvirt, uuid) },
    'domainTuning.preview': {
      request: domainRef.extend({ change: tuningChangeSchema, basedOn: z.string().min(1).max(4_000_000) }),
      handle: ({ hostId, uuid, change, basedOn }) => tuningPreview(link(hostId).libvirt, uuid, change, basedOn),
    },
    'domainTuning.apply': {
      request: domainRef.extend({ change: tuningChangeSchema, basedOn: z.string().min(1).max(4_000_000) }),
      handle: ({ hostId, uuid, change, basedOn }) => tuningApply(link(hostId).libvirt, uuid, change, basedOn),
    },
    'domainTuning.advice': { request: domainRef, handle: ({ hostId, uuid }) => tuningAdvice(link(hostId).libvirt, uuid) },
  };
}
