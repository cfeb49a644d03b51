/**
 * Backups: every request checked here (paths absolute and plain, names, kinds, job ids) before the service
 * touches the host. The service lives as long as the API: its jobs outlive windows and reconnects.
 */
import { z } from 'zod';
import type { DomainBackupsCalls } from '../../preload/api-contract';
import { DomainBackupsService } from '../services/domain-backups/backup-service';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainRef, noRequest } from './request-schemas';

const hostPath = z
  .string()
  .min(2)
  .max(1000)
  .regex(/^\/[^\0\n\r]*$/, 'is not an absolute path on the host');
const jobId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'is not a job id');
const name = z.string().min(1).max(200);
const backupRequest = domainRef.extend({ kind: z.enum(['full', 'incremental']), directory: hostPath });
const restoreRequest = domainRef.extend({ backup: hostPath, name, pool: z.string().min(1).max(200) });

export function createDomainBackupsCalls(deps: CallHandlerDeps): AreaCallHandlers<DomainBackupsCalls> {
  const service = new DomainBackupsService(
    {
      libvirt: (hostId) => requireLink(deps, hostId).libvirt,
      ssh: (hostId) => requireLink(deps, hostId).ssh,
    },
    (job) => deps.events.publish('domainBackups.progress', job),
  );
  return {
    'domainBackups.overview': {
      request: domainRef.extend({ directories: z.array(hostPath).max(16).optional() }),
      handle: ({ hostId, uuid, directories }) => service.overview(hostId, uuid, directories ?? []),
    },
    'domainBackups.preview': { request: backupRequest, handle: (request) => service.preview(request) },
    'domainBackups.start': { request: backupRequest.extend({ jobId }), handle: (request) => service.start(request) },
    'domainBackups.cancel': { request: z.object({ jobId }), handle: async ({ jobId: id }) => service.cancel(id) },
    'domainBackups.jobs': { request: noRequest, handle: async () => service.list() },
    'domainBackups.delete': {
      request: domainRef.extend({ backup: hostPath, confirm: name }),
      handle: ({ hostId, uuid, backup, confirm }) => service.delete(hostId, uuid, backup, confirm),
    },
    'domainBackups.restorePreview': { request: restoreRequest, handle: (request) => service.restorePreview(request) },
    'domainBackups.restore': { request: restoreRequest.extend({ jobId }), handle: (request) => service.restore(request) },
  };
}
