import { z } from 'zod';
import type { HostsCalls } from '../../preload/api-contract';
import { ApiFailure } from '../services/api-failure';
import { localLibvirtSocket, sshConfigCandidates } from '../services/hosts/host-discovery';
import { hostDraftSchema, hostEntrySchema } from '../services/hosts/host-schema';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { hostRef, noRequest } from './request-schemas';

const promptAnswer = z.discriminatedUnion('kind', [
  z.object({
    promptId: z.string().min(1),
    kind: z.literal('host-key'),
    decision: z.enum(['accept-once', 'accept-and-save', 'reject']),
  }),
  z.object({ promptId: z.string().min(1), kind: z.literal('secret'), value: z.string().max(4096).nullable() }),
]);

/** Saved hosts, their connections and prompts, and the host page. */
export function createHostsCalls(deps: CallHandlerDeps): AreaCallHandlers<HostsCalls> {
  const { hosts, events, connections, prompts } = deps;
  const knownHost = async (hostId: string) => {
    if (!(await hosts.list()).some((h) => h.id === hostId)) throw new ApiFailure('not-found', `No saved host has id ${hostId}`);
  };
  const publishHosts = async () => events.publish('hosts.changed', { hosts: await hosts.list() });
  return {
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
    'host.overview': { request: hostRef, handle: async ({ hostId }) => requireLink(deps, hostId).overview() },
    'host.checks': { request: hostRef, handle: async ({ hostId }) => requireLink(deps, hostId).checks() },
    'host.history': { request: hostRef, handle: async ({ hostId }) => connections.link(hostId)?.hostHistory() ?? null },
  };
}
