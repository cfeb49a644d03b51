/** Snapshots: requests checked here, then the snapshots service on the host's connection. */
import { z } from 'zod';
import type { DomainSnapshotsCalls } from '../../preload/api-contract';
import { fileStatFor } from '../services/domain-clone/clone-storage';
import {
  bulkSnapshot,
  createSnapshot,
  deleteSnapshot,
  previewCreate,
  revertSnapshot,
  setSnapshotDescription,
  snapshotsState,
} from '../services/domain-snapshots/snapshots-service';
import { requireLink, type CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { domainRef } from './request-schemas';

const snapshotName = z.string().min(1).max(100);
const description = z.string().max(4096);
const createRequest = domainRef.extend({
  name: snapshotName,
  description,
  kind: z.enum(['internal', 'external']),
  memory: z.boolean(),
  quiesce: z.boolean(),
});

export function createDomainSnapshotsCalls(deps: CallHandlerDeps): AreaCallHandlers<DomainSnapshotsCalls> {
  const host = (hostId: string) => requireLink(deps, hostId);
  return {
    'domainSnapshots.state': { request: domainRef, handle: ({ hostId, uuid }) => snapshotsState(host(hostId).libvirt, hostId, uuid) },
    'domainSnapshots.xml': {
      request: domainRef.extend({ snapshot: snapshotName }),
      handle: ({ hostId, uuid, snapshot }) => host(hostId).libvirt.snapshot.getXml({ uuid }, snapshot),
    },
    'domainSnapshots.previewCreate': { request: createRequest, handle: (request) => previewCreate(host(request.hostId).libvirt, request) },
    'domainSnapshots.create': {
      request: createRequest,
      handle: (request) => createSnapshot(host(request.hostId).libvirt, request, fileStatFor(host(request.hostId).ssh)),
    },
    'domainSnapshots.revert': {
      request: domainRef.extend({ snapshot: snapshotName, confirmName: z.string().max(100), after: z.enum(['default', 'running', 'paused']) }),
      handle: (request) => revertSnapshot(host(request.hostId).libvirt, request),
    },
    'domainSnapshots.delete': {
      request: domainRef.extend({ snapshot: snapshotName, confirmName: z.string().max(100), mode: z.enum(['one', 'children', 'metadata']) }),
      handle: (request) => deleteSnapshot(host(request.hostId).libvirt, request),
    },
    'domainSnapshots.setDescription': {
      request: domainRef.extend({ snapshot: snapshotName, description }),
      handle: (request) => setSnapshotDescription(host(request.hostId).libvirt, request),
    },
    'domainSnapshots.bulkCreate': {
      request: z.object({ targets: z.array(domainRef).min(1).max(500), name: snapshotName, description }),
      handle: (request) =>
        bulkSnapshot(request, (hostId) => {
          const link = host(hostId);
          return { libvirt: link.libvirt, stat: fileStatFor(link.ssh) };
        }),
    },
  };
}
