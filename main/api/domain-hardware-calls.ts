/** The VM page's Hardware section: requests checked here, then the hardware service on the host's connection. */
import { join } from 'node:path';
import { z } from 'zod';
import type { DomainHardwareCalls, HostDeviceSelector } from '../../preload/api-contract';
import { ApiFailure } from '../services/api-failure';
import { hardwareAdd, hardwarePreview, hardwareRemove, hardwareState, type HardwareDeps } from '../services/domain-hardware/hardware-service';
import { DomainSchemaCache } from '../services/domain-xml/host-schemas';
import { buildHostdevXml } from '../services/host-devices/hostdev-xml';
import { findDevice, hostdevSourceOf, listHostDevices } from '../services/host-devices/host-devices-service';
import { hostShellOf } from '../services/networks/host-shell';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainRef } from './request-schemas';

const objectName = z.string().min(1).max(255);
const path = z.string().min(2).max(4096).startsWith('/', 'must be an absolute path');
const target = z.string().regex(/^[a-z]{2,3}[a-z]{1,3}$/, 'is not a target device name (vdb, sdc…)').nullable();
const volumeSource = z.object({ type: z.literal('volume'), pool: objectName, volume: objectName });
const pathSource = z.object({ type: z.literal('path'), path });
const nodeName = z.string().regex(/^[A-Za-z0-9_]{1,128}$/, 'is not a node device name');

const draft = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('disk'),
    source: z.discriminatedUnion('type', [
      z.object({
        type: z.literal('new'),
        pool: objectName,
        name: objectName,
        format: z.enum(['qcow2', 'raw']),
        capacityBytes: z.number().int().positive().max(2 ** 50),
      }),
      volumeSource,
      pathSource,
    ]),
    bus: z.enum(['virtio', 'scsi', 'sata', 'usb', 'ide']),
    target,
    cache: z.enum(['default', 'none', 'writeback', 'writethrough', 'directsync', 'unsafe']),
    io: z.enum(['default', 'native', 'threads', 'io_uring']),
    discard: z.enum(['default', 'unmap', 'ignore']),
    serial: z.string().min(1).max(20).nullable(),
    readOnly: z.boolean(),
    shareable: z.boolean(),
    iothread: z.number().int().min(1).max(1024).nullable(),
  }),
  z.object({
    kind: z.literal('cdrom'),
    bus: z.enum(['sata', 'ide', 'scsi', 'usb']),
    media: z.discriminatedUnion('type', [volumeSource, pathSource]).nullable(),
    target,
  }),
  z.object({
    kind: z.literal('nic'),
    source: z.discriminatedUnion('type', [
      z.object({ type: z.literal('network'), network: objectName, portgroup: objectName.nullable() }),
      z.object({ type: z.literal('bridge'), bridge: z.string().min(1).max(15) }),
      z.object({ type: z.literal('direct'), dev: z.string().min(1).max(15), mode: z.enum(['vepa', 'bridge', 'private', 'passthrough']) }),
    ]),
    model: z.enum(['virtio', 'e1000e', 'e1000', 'rtl8139']),
    mac: z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'is not a MAC address').nullable(),
    vlan: z.number().int().min(0).max(4095).nullable(),
    link: z.enum(['up', 'down']),
  }),
  z.object({
    kind: z.literal('graphics'),
    type: z.enum(['vnc', 'spice']),
    listen: z.string().min(2).max(45),
    port: z.number().int().min(5900).max(65535).nullable(),
    password: z.string().min(1).max(60).nullable(),
  }),
  z.object({ kind: z.literal('video'), model: z.enum(['virtio', 'qxl', 'vga', 'bochs', 'cirrus', 'ramfb']), heads: z.number().int().min(1).max(16) }),
  z.object({ kind: z.literal('sound'), model: z.enum(['ich9', 'ich6', 'ac97', 'es1370', 'sb16', 'usb']) }),
  z.object({ kind: z.literal('input'), type: z.enum(['tablet', 'mouse', 'keyboard']), bus: z.enum(['usb', 'virtio', 'ps2']) }),
  z.object({
    kind: z.literal('chr'),
    target: z.discriminatedUnion('device', [
      z.object({ device: z.literal('serial'), targetType: z.enum(['isa-serial', 'usb-serial', 'pci-serial']) }),
      z.object({ device: z.literal('console'), targetType: z.enum(['serial', 'virtio']) }),
      z.object({ device: z.literal('channel'), channel: z.enum(['guest-agent', 'spice-vdagent', 'custom']), name: z.string().min(1).max(128).nullable() }),
    ]),
  }),
  z.object({
    kind: z.literal('rng'),
    source: z.enum(['/dev/urandom', '/dev/random', '/dev/hwrng']),
    rateBytes: z.number().int().min(1).max(2 ** 31).nullable(),
    periodMs: z.number().int().min(1).max(2 ** 31).nullable(),
  }),
  z.object({
    kind: z.literal('watchdog'),
    model: z.enum(['i6300esb', 'ib700', 'itco']),
    action: z.enum(['reset', 'shutdown', 'poweroff', 'pause', 'none', 'dump', 'inject-nmi']),
  }),
  z.object({ kind: z.literal('tpm'), model: z.enum(['tpm-crb', 'tpm-tis']), backend: z.enum(['emulator', 'passthrough']), version: z.enum(['2.0', '1.2']), path: path.nullable() }),
  z.object({ kind: z.literal('usb-controller'), model: z.enum(['qemu-xhci', 'nec-xhci', 'ich9-ehci1', 'piix3-uhci']) }),
  z.object({ kind: z.literal('filesystem'), source: path, tag: z.string().min(1).max(36) }),
  z.object({
    kind: z.literal('hostdev'),
    device: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('pci'), name: nodeName }),
      z.object({ kind: z.literal('usb'), name: nodeName }),
      z.object({ kind: z.literal('mdev'), name: nodeName }),
    ]),
  }),
]);

const basedOn = z.string().min(1).max(4_000_000).nullable();
const addRequest = domainRef.extend({ draft, live: z.boolean(), config: z.boolean(), basedOn });
const removeRequest = domainRef.extend({
  key: z.string().min(1).max(4096),
  live: z.boolean(),
  config: z.boolean(),
  basedOn,
  waitSeconds: z.number().int().min(1).max(300),
});

export function createDomainHardwareCalls(deps: CallHandlerDeps): AreaCallHandlers<DomainHardwareCalls> {
  const schemas = new DomainSchemaCache(join(deps.appInfo.configDir, 'cache', 'libvirt-schemas'));
  const hardwareDeps = (hostId: string): HardwareDeps => {
    const link = requireLink(deps, hostId);
    const shell = hostShellOf(link.ssh);
    return {
      libvirt: link.libvirt,
      hostId,
      planVolume: (form) => deps.storage.planVolume(hostId, form),
      createVolume: async (form) => {
        await deps.storage.createVolume(hostId, form);
      },
      deleteVolume: (pool, name) => deps.storage.deleteVolume(hostId, pool, name, name),
      hostdevXml: async (selector: HostDeviceSelector) => {
        const report = await listHostDevices(link.libvirt, shell);
        const found = findDevice(report, selector);
        if (!found.device.passthrough.possible) {
          const codes = found.device.passthrough.reasons.filter((r) => r.severity === 'block').map((r) => r.code);
          throw new ApiFailure('conflict', `${selector.name} cannot be given to a guest (${codes.join(', ')}); the host's Devices tab says why`);
        }
        return buildHostdevXml(hostdevSourceOf(found, report));
      },
      schema: async () => (await schemas.get({ ssh: link.ssh, libvirtVersion: link.info.libvirtVersion })).schema,
    };
  };
  return {
    'domainHardware.state': { request: domainRef, handle: ({ hostId, uuid }) => hardwareState(requireLink(deps, hostId).libvirt, hostId, uuid) },
    'domainHardware.preview': { request: addRequest, handle: (request) => hardwarePreview(hardwareDeps(request.hostId), request) },
    'domainHardware.add': {
      request: addRequest,
      handle: (request) => hardwareAdd(hardwareDeps(request.hostId), request),
    },
    'domainHardware.remove': {
      request: removeRequest,
      handle: (request) => hardwareRemove(requireLink(deps, request.hostId).libvirt, request.hostId, request),
    },
  };
}
