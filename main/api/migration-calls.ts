/**
 * Live migration: every request checked here (ids, option ranges, the peer URI) before the service
 * reads a host. The service lives as long as the API: its jobs outlive windows and reconnects.
 */
import { z } from 'zod';
import type { MigrationCalls } from '../../preload/api-contract';
import { MigrationService } from '../services/migration/migration-service';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainRef, hostId, noRequest } from './request-schemas';

const jobId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'is not a job id');
const diskTarget = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'is not a disk target');

export const migrationOptionsSchema = z
  .object({
    mode: z.enum(['live', 'offline']),
    copyStorage: z.enum(['none', 'full', 'incremental']),
    disks: z.array(diskTarget).max(64),
    persistDest: z.boolean(),
    undefineSource: z.boolean(),
    compression: z.boolean(),
    bandwidthMiBs: z.number().int().min(1).max(1_000_000).nullable(),
    maxDowntimeMs: z.number().int().min(1).max(3_600_000).nullable(),
    autoConverge: z.boolean(),
    postCopy: z.boolean(),
    route: z.enum(['auto', 'direct', 'relayed', 'peer2peer']),
    peerUri: z
      .string()
      .max(1000)
      .regex(/^[a-z0-9+]+:\/\/[^\s]*$/, 'is not a libvirt URI (e.g. qemu+ssh://root@host/system)')
      .nullable(),
  })
  .strict();

export function createMigrationCalls(deps: CallHandlerDeps): AreaCallHandlers<MigrationCalls> {
  const service = new MigrationService(
    {
      host: (id) => {
        const link = deps.connections.link(id);
        return link ? { hostId: id, libvirt: link.libvirt, ssh: link.ssh } : null;
      },
      connected: async () => {
        const names = new Map((await deps.hosts.list()).map((h) => [h.id, h.displayName]));
        return deps.connections
          .statuses()
          .filter((s) => s.state.kind === 'connected' && deps.connections.link(s.hostId))
          .map((s) => ({ hostId: s.hostId, name: names.get(s.hostId) ?? s.hostId }));
      },
    },
    (job) => deps.events.publish('migration.progress', job),
  );
  return {
    'migration.plan': {
      request: domainRef.extend({ destinationHostId: hostId.nullable(), options: migrationOptionsSchema.nullable() }),
      handle: (request) => service.plan(request),
    },
    'migration.start': {
      request: domainRef.extend({ jobId, destinationHostId: hostId, options: migrationOptionsSchema }),
      handle: (request) => service.start(request),
    },
    'migration.cancel': { request: z.object({ jobId }), handle: ({ jobId: id }) => service.cancel(id) },
    'migration.postCopy': { request: z.object({ jobId }), handle: ({ jobId: id }) => service.postCopy(id) },
    'migration.jobs': { request: noRequest, handle: async () => service.list() },
  };
}
