import { z } from 'zod';
import type { NetworksCalls } from '../../preload/api-contract';
import type { LibvirtHostLink } from '../services/connections/libvirt-host-link';
import { guestIndexFor } from '../services/networks/guest-index';
import { hostShellOf } from '../services/networks/host-shell';
import { applyNicNetworkEditOnHost, planNicNetworkEdit } from '../services/networks/nic-edit';
import {
  applyNetworkChange,
  createNetwork,
  deleteNetwork,
  hostInterfaces,
  listNetworks,
  networkDetails,
  previewNetwork,
  previewNetworkChange,
  setNetworkAutostart,
  startNetwork,
  stopNetwork,
  watchNetworks,
} from '../services/networks/networks-service';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainUuid, hostId } from './request-schemas';

const short = z.string().max(256);
const networkName = z.string().min(1).max(128);
const vlan = z
  .object({
    trunk: z.boolean(),
    tags: z.array(z.object({ id: z.number().int(), nativeMode: z.enum(['tagged', 'untagged']).nullable() })).max(4096),
  })
  .nullable();
const dhcpHost = z.object({ mac: short.nullable(), id: short.nullable(), name: short.nullable(), ip: short.nullable() });
const draftIp = z
  .object({
    address: short,
    prefix: z.number().int(),
    dhcp: z.object({ start: short, end: short }).nullable(),
    hosts: z.array(dhcpHost).max(10_000),
  })
  .nullable();
const dnsHost = z.object({ ip: short, hostnames: z.array(short).max(64) });
const dnsTxt = z.object({ name: short, value: z.string().max(1024) });
const dnsSrv = z.object({
  service: short,
  protocol: z.enum(['tcp', 'udp']),
  domain: short.nullable(),
  target: short.nullable(),
  port: z.number().int().nullable(),
  priority: z.number().int().nullable(),
  weight: z.number().int().nullable(),
});
const portGroup = z.object({ name: short, isDefault: z.boolean(), vlan });

export const networkDraftSchema = z.object({
  name: short,
  mode: z.enum(['nat', 'route', 'open', 'isolated', 'bridge', 'macvtap']),
  bridgeName: short.nullable(),
  forwardDev: short.nullable(),
  macvtapMode: z.enum(['bridge', 'private', 'vepa', 'passthrough']),
  macvtapInterfaces: z.array(short).max(256),
  virtualport: z.literal('openvswitch').nullable(),
  domainName: short.nullable(),
  domainLocalOnly: z.boolean(),
  ipv4: draftIp,
  ipv6: draftIp,
  dnsHosts: z.array(dnsHost).max(10_000),
  dnsTxts: z.array(dnsTxt).max(1_000),
  dnsSrvs: z.array(dnsSrv).max(1_000),
  portGroups: z.array(portGroup).max(1_000),
  vlan,
  autostart: z.boolean(),
  start: z.boolean(),
});

export const networkChangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dhcpHost'), op: z.enum(['add', 'modify', 'delete']), ipIndex: z.number().int().min(0).max(1000), host: dhcpHost }),
  z.object({ kind: z.literal('dnsHost'), op: z.enum(['add', 'delete']), host: dnsHost }),
  z.object({ kind: z.literal('dnsTxt'), op: z.enum(['add', 'delete']), txt: dnsTxt }),
  z.object({ kind: z.literal('dnsSrv'), op: z.enum(['add', 'delete']), srv: dnsSrv }),
  z.object({ kind: z.literal('portGroup'), op: z.enum(['add', 'modify', 'delete']), portGroup }),
]);

const byName = z.object({ hostId, name: networkName });
const nicEdit = z.object({ hostId, uuid: domainUuid, mac: short, portgroup: short.nullable(), vlan });
const guarded = byName.extend({ confirmGuests: z.array(short).max(10_000).optional() });

/** Virtual networks and host interfaces of a connected host. */
export function createNetworksCalls(deps: CallHandlerDeps): AreaCallHandlers<NetworksCalls> {
  const watched = new WeakSet<LibvirtHostLink>();
  /** The host's link; the first use starts forwarding its network events to the UI. */
  const libvirt = (id: string) => {
    const link = requireLink(deps, id);
    if (!watched.has(link)) {
      watched.add(link);
      watchNetworks(link.libvirt, () => deps.events.publish('networks.changed', { hostId: id }));
    }
    return link.libvirt;
  };
  return {
    'networks.list': { request: z.object({ hostId }), handle: ({ hostId: id }) => listNetworks(libvirt(id)) },
    'networks.details': {
      request: byName,
      handle: ({ hostId: id, name }) => networkDetails(libvirt(id), name, hostShellOf(requireLink(deps, id).ssh)),
    },
    'networks.preview': {
      request: z.object({ hostId, draft: networkDraftSchema }),
      handle: async ({ draft }) => previewNetwork(draft),
    },
    'networks.create': {
      request: z.object({ hostId, draft: networkDraftSchema }),
      handle: ({ hostId: id, draft }) => createNetwork(libvirt(id), draft),
    },
    'networks.start': {
      request: byName,
      handle: async ({ hostId: id, name }) => {
        await startNetwork(libvirt(id), name);
        return null;
      },
    },
    'networks.stop': {
      request: guarded,
      handle: async ({ hostId: id, name, confirmGuests }) => {
        await stopNetwork(libvirt(id), name, confirmGuests);
        return null;
      },
    },
    'networks.setAutostart': {
      request: byName.extend({ autostart: z.boolean() }),
      handle: async ({ hostId: id, name, autostart }) => {
        await setNetworkAutostart(libvirt(id), name, autostart);
        return null;
      },
    },
    'networks.delete': {
      request: guarded,
      handle: async ({ hostId: id, name, confirmGuests }) => {
        await deleteNetwork(libvirt(id), name, confirmGuests);
        return null;
      },
    },
    'networks.previewChange': {
      request: byName.extend({ change: networkChangeSchema }),
      handle: ({ hostId: id, name, change }) => previewNetworkChange(libvirt(id), name, change),
    },
    'networks.applyChange': {
      request: byName.extend({ change: networkChangeSchema }),
      handle: ({ hostId: id, name, change }) => applyNetworkChange(libvirt(id), name, change, hostShellOf(requireLink(deps, id).ssh)),
    },
    'networks.nicEditPreview': {
      request: nicEdit,
      handle: ({ hostId: id, uuid, mac, portgroup, vlan: v }) => planNicNetworkEdit(libvirt(id), uuid, { mac, portgroup, vlan: v }),
    },
    'networks.nicEditApply': {
      request: nicEdit.extend({ version: z.string().regex(/^[0-9a-f]{64}$/) }),
      handle: async ({ hostId: id, uuid, mac, portgroup, vlan: v, version }) => {
        const client = libvirt(id);
        await applyNicNetworkEditOnHost(client, uuid, { mac, portgroup, vlan: v }, version);
        await guestIndexFor(client).refresh(uuid);
        return null;
      },
    },
    'networks.hostInterfaces': {
      request: z.object({ hostId }),
      handle: ({ hostId: id }) => hostInterfaces(hostShellOf(requireLink(deps, id).ssh)),
    },
  };
}
