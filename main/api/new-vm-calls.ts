/**
 * The new-VM wizard's calls: the host's context, ISO detection, defaults, preview and Create. Every
 * request is parsed here; the service re-checks the spec against the host before it makes anything.
 */
import { z } from 'zod';
import type { NewVmCalls } from '../../preload/api-contract';
import { NewVmService } from '../services/new-vm/new-vm-service';
import { discardWizardUpload } from '../services/new-vm/wizard-upload';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { hostId } from './request-schemas';

const path = z.string().min(1).max(4096);
const osId = z.string().min(1).max(512);
const sourceKind = z.enum(['iso', 'import', 'cloud-image']);

const spec = z.object({
  name: z.string().min(1).max(63),
  osId,
  source: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('iso'), isoPath: path }),
    z.object({ kind: z.literal('import'), diskPath: path }),
    z.object({
      kind: z.literal('cloud-image'),
      imagePath: path,
      cloudInit: z.object({
        user: z.string().min(1).max(32),
        password: z.string().min(1).max(256).nullable(),
        sshKey: z.string().min(1).max(16_384).nullable(),
        hostname: z.string().min(1).max(253),
      }),
    }),
  ]),
  vcpus: z.number().int().min(1).max(4096),
  memoryMiB: z.number().int().min(16).max(64 * 1024 * 1024),
  disk: z.object({
    pool: z.string().max(256),
    sizeGiB: z.number().min(0.01).max(1024 * 1024),
    bus: z.enum(['virtio', 'sata', 'scsi', 'ide']),
  }),
  machine: z.enum(['q35', 'pc']),
  firmware: z.enum(['efi', 'bios']),
  secureBoot: z.boolean(),
  tpm: z.boolean(),
  nic: z.object({
    kind: z.enum(['network', 'bridge', 'user', 'none']),
    source: z.string().min(1).max(256).nullable(),
    model: z.enum(['virtio', 'e1000e', 'e1000', 'rtl8139']),
  }),
  graphics: z.enum(['vnc', 'spice', 'none']),
});

export function createNewVmCalls(deps: CallHandlerDeps): AreaCallHandlers<NewVmCalls> {
  const service = new NewVmService((progress) => deps.events.publish('newVm.progress', progress));
  const host = (id: string) => {
    const link = requireLink(deps, id);
    return { libvirt: link.libvirt, ssh: link.ssh };
  };
  return {
    'newVm.context': { request: z.object({ hostId }), handle: ({ hostId: id }) => service.context(id, host(id)) },
    'newVm.detect': { request: z.object({ hostId, path }), handle: ({ hostId: id, path: p }) => service.detect(host(id), p) },
    'newVm.defaults': {
      request: z.object({ hostId, osId, sourceKind }),
      handle: ({ hostId: id, osId: os, sourceKind: kind }) => service.defaults(host(id), os, kind),
    },
    'newVm.preview': {
      request: z.object({ hostId, spec }),
      handle: async ({ hostId: id, spec: s }) => service.preview(host(id), s, (await deps.settings.get()).advisor),
    },
    'newVm.create': {
      request: z.object({ hostId, spec, xml: z.string().min(1).max(4 * 1024 * 1024), createId: z.string().min(8).max(64) }),
      handle: ({ hostId: id, spec: s, xml, createId }) => service.create(host(id), s, xml, createId),
    },
    'newVm.discardUpload': {
      request: z.object({ hostId, transferId: z.string().uuid() }),
      handle: ({ hostId: id, transferId }) => discardWizardUpload(deps.storage, id, transferId),
    },
  };
}
