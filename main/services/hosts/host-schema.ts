import { z } from 'zod';
import type { HostDraft, HostEntry } from '../../../preload/api-contract';

const hostName = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(253)
  .regex(/^[A-Za-z0-9._:\-[\]]+$/, 'must be a host name or an IP address');

const sshUser = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(64)
  .regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'is not a valid user name');

const libvirtUri = z
  .string()
  .trim()
  .min(1, 'is required')
  .regex(/^[a-z][a-z0-9+]*:\/\/[^\s]*$/, 'must be a libvirt URI such as qemu:///system');

export const hostDraftSchema: z.ZodType<HostDraft> = z.object({
  displayName: z.string().trim().min(1, 'is required').max(100),
  ssh: z.object({
    user: sshUser,
    host: hostName,
    port: z.number().int().min(1).max(65535),
    identityFile: z.string().min(1).max(4096).optional(),
    proxyJump: z.string().trim().min(1).max(1024).optional(),
  }),
  libvirtUri,
  transport: z.enum(['auto', 'ssh-helper', 'ssh-socket', 'local-socket']),
  tags: z.array(z.string().trim().min(1).max(40)).max(50),
  group: z.string().trim().min(1).max(60).optional(),
});

export const hostEntrySchema: z.ZodType<HostEntry> = z.intersection(
  z.object({ id: z.string().regex(/^[a-z0-9-]{8,64}$/, 'is not a host id') }),
  hostDraftSchema,
);

export const hostsFileSchema = z.object({
  version: z.literal(1),
  hosts: z.array(hostEntrySchema),
});
