/** The request schema of a tuning change (every form), checked before anything reads the host. */
import { z } from 'zod';

const count = (max: number) => z.number().int().min(0).max(max);
const cpuset = z.string().min(1).max(1024).nullable();

export const tuningChangeSchema = z.discriminatedUnion('form', [
  z.object({
    form: z.literal('cpu'),
    vcpus: count(4096),
    maxVcpus: count(4096),
    mode: z.enum(['host-passthrough', 'host-model', 'custom']),
    model: z.string().max(128).nullable(),
    topology: z.object({ sockets: count(4096), cores: count(4096), threads: count(64) }).nullable(),
  }),
  z.object({
    form: z.literal('pinning'),
    vcpus: z.array(z.object({ vcpu: count(4096), cpuset })).max(4096),
    emulator: cpuset,
    iothreads: z.array(z.object({ iothread: count(4096), cpuset })).max(4096),
  }),
  z.object({
    form: z.literal('memory'),
    currentKiB: z.number().int().min(0),
    maxKiB: z.number().int().min(0),
    balloonModel: z.enum(['virtio', 'virtio-transitional', 'virtio-non-transitional', 'none']),
    statsPeriod: count(86_400).nullable(),
    hugepages: z.object({ sizeKiB: z.number().int().min(1).nullable() }).nullable(),
    locked: z.boolean(),
    nosharepages: z.boolean(),
    source: z.enum(['anonymous', 'file', 'memfd']).nullable(),
    access: z.enum(['shared', 'private']).nullable(),
  }),
  z.object({
    form: z.literal('numa'),
    numatune: z.object({ mode: z.enum(['strict', 'preferred', 'interleave', 'restrictive']), nodeset: z.string().min(1).max(256) }).nullable(),
    cells: z.array(z.object({ id: count(1024), cpus: z.string().min(1).max(1024), memoryKiB: z.number().int().min(0) })).max(64),
  }),
  z.object({
    form: z.literal('disk'),
    target: z.string().min(1).max(32),
    bus: z.enum(['virtio', 'scsi', 'sata', 'ide', 'usb']),
    cache: z.enum(['none', 'writethrough', 'writeback', 'directsync', 'unsafe']).nullable(),
    io: z.enum(['native', 'threads', 'io_uring']).nullable(),
    discard: z.enum(['unmap', 'ignore']).nullable(),
    detectZeroes: z.enum(['off', 'on', 'unmap']).nullable(),
    iothread: count(4096).nullable(),
  }),
  z.object({
    form: z.literal('nic'),
    mac: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i, 'is not a MAC address'),
    model: z.string().min(1).max(32),
    queues: count(256).nullable(),
  }),
  z.object({ form: z.literal('boot'), order: z.array(z.enum(['hd', 'cdrom', 'network', 'fd'])).max(4) }),
  z.object({
    form: z.literal('graphics'),
    index: count(16),
    type: z.enum(['vnc', 'spice']),
    listen: z.discriminatedUnion('type', [
      z.object({ type: z.literal('address'), address: z.string().min(1).max(255) }),
      z.object({ type: z.literal('none') }),
      z.object({ type: z.literal('socket') }),
    ]),
  }),
  z.object({
    form: z.literal('tpm'),
    tpm: z.object({ model: z.enum(['tpm-tis', 'tpm-crb']), version: z.enum(['1.2', '2.0']) }).nullable(),
  }),
]);
