import { z } from 'zod';
import type { HostDevicesCalls } from '../../preload/api-contract';
import { ApiFailure } from '../services/api-failure';
import type { LibvirtHostLink } from '../services/connections/libvirt-host-link';
import { RootShell } from '../services/host-config/root-shell';
import {
  attachHostDevice,
  createMdev,
  detachHostDevice,
  hostdevXmlFor,
  listHostDevices,
  mdevXml,
  removeMdev,
  setVfCount,
  type RunAsRoot,
} from '../services/host-devices/host-devices-service';
import { hostShellOf } from '../services/networks/host-shell';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainUuid, hostId } from './request-schemas';

const nodeName = z.string().regex(/^[A-Za-z0-9_]{1,128}$/, 'is not a node device name');
const selector = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pci'), name: nodeName }),
  z.object({ kind: z.literal('usb'), name: nodeName }),
  z.object({ kind: z.literal('mdev'), name: nodeName }),
]);
const mdevRequest = z.object({
  hostId,
  parent: nodeName,
  type: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'is not an mdev type id'),
  uuid: z.string().uuid().optional(),
});
const guestDevice = z.object({ hostId, uuid: domainUuid, device: selector, live: z.boolean(), config: z.boolean() });

const sudoMessage = (user: string, host: string, retry: boolean) =>
  `${retry ? 'sudo refused the password. ' : ''}sudo password for ${user}@${host} (to set SR-IOV virtual functions)`;

/** Host devices and passthrough of a connected host. */
export function createHostDevicesCalls(deps: CallHandlerDeps): AreaCallHandlers<HostDevicesCalls> {
  const parts = (id: string) => {
    const link = requireLink(deps, id);
    return { libvirt: link.libvirt, shell: hostShellOf(link.ssh), link };
  };
  const rootShells = new WeakMap<LibvirtHostLink, RootShell>();
  /** Root on the host for sysfs writes: root itself, or sudo with the password asked in the app (kept in memory). */
  const runAsRoot = async (id: string, link: LibvirtHostLink): Promise<RunAsRoot> => {
    if (!link.ssh) throw new ApiFailure('invalid-request', 'Setting VF counts on this computer is not supported; use a host reached over SSH');
    const host = (await deps.hosts.list()).find((h) => h.id === id);
    if (!host) throw new ApiFailure('not-found', `No saved host has id ${id}`);
    let shell = rootShells.get(link);
    if (!shell) {
      const prompter = deps.prompts.prompterFor(id, () => undefined);
      shell = new RootShell(
        link.ssh,
        { user: host.ssh.user, host: host.ssh.host },
        ({ user, host: name, retry }) => prompter.askSecret({ secret: 'password', message: sudoMessage(user, name, retry), echo: false }),
        () => {
          for (const retry of [false, true]) deps.prompts.forgetSecret(id, 'password', sudoMessage(host.ssh.user, host.ssh.host, retry));
        },
      );
      rootShells.set(link, shell);
    }
    const root = shell;
    return async (script, args) => {
      const result = await root.run(script, args, { timeoutMs: 60_000 });
      return { code: result.code, stderr: result.stderr };
    };
  };
  return {
    'hostDevices.list': {
      request: z.object({ hostId }),
      handle: ({ hostId: id }) => {
        const { libvirt, shell } = parts(id);
        return listHostDevices(libvirt, shell);
      },
    },
    'hostDevices.hostdevXml': {
      request: z.object({ hostId, device: selector }),
      handle: ({ hostId: id, device }) => {
        const { libvirt, shell } = parts(id);
        return hostdevXmlFor(libvirt, shell, device);
      },
    },
    'hostDevices.attach': {
      request: guestDevice,
      handle: async ({ hostId: id, ...request }) => {
        const { libvirt, shell } = parts(id);
        await attachHostDevice(libvirt, shell, request);
        deps.events.publish('networks.changed', { hostId: id });
        return null;
      },
    },
    'hostDevices.detachFromGuest': {
      request: guestDevice,
      handle: async ({ hostId: id, ...request }) => {
        const { libvirt, shell } = parts(id);
        await detachHostDevice(libvirt, shell, request);
        deps.events.publish('networks.changed', { hostId: id });
        return null;
      },
    },
    'hostDevices.mdevXml': {
      request: mdevRequest,
      handle: async ({ parent, type, uuid }) => mdevXml(parent, type, uuid),
    },
    'hostDevices.createMdev': {
      request: mdevRequest,
      handle: ({ hostId: id, parent, type, uuid }) => {
        const { libvirt, shell } = parts(id);
        return createMdev(libvirt, shell, uuid ? { parent, type, uuid } : { parent, type });
      },
    },
    'hostDevices.removeMdev': {
      request: z.object({ hostId, name: nodeName }),
      handle: async ({ hostId: id, name }) => {
        const { libvirt, shell } = parts(id);
        await removeMdev(libvirt, shell, name);
        return null;
      },
    },
    'hostDevices.setVfCount': {
      request: z.object({ hostId, name: nodeName, count: z.number().int().min(0).max(4096) }),
      handle: async ({ hostId: id, name, count }) => {
        const { libvirt, shell, link } = parts(id);
        await setVfCount(libvirt, shell, await runAsRoot(id, link), name, count);
        return null;
      },
    },
  };
}
