/**
 * The storage area: pools, volumes and transfers (uploads are a stream, downloads an HTTP response
 * from main/serve or app://; see preload/contract/storage.ts).
 */
import { z } from 'zod';
import type { StorageCalls, StorageStreams } from '../../preload/api-contract';
import { TRANSFER_DOWNLOAD_PATH } from '../../preload/api-contract';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers, AreaStreamHandlers } from './api-router';
import { hostId, noRequest } from './request-schemas';
import { ApiFailure } from '../services/api-failure';
import type { ByteStreamPeer } from '../services/byte-stream-peer';

export type UploadRoute = (query: URLSearchParams, peer: ByteStreamPeer) => Promise<void>;

const name = z.string().min(1).max(255);
const path = z.string().min(1).max(4096);
const pool = name;
const bytes = z.number().int().positive().max(2 ** 53 - 1);

const poolForm = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dir'), name, targetPath: path }),
  z.object({ type: z.literal('fs'), name, sourceDevice: path, sourceFormat: z.string().min(1).max(16), targetPath: path }),
  z.object({
    type: z.literal('netfs'),
    name,
    sourceHost: z.string().min(1).max(253),
    sourceDir: path,
    sourceFormat: z.enum(['auto', 'nfs', 'cifs', 'glusterfs']),
    targetPath: path,
  }),
  z.object({ type: z.literal('logical'), name, vgName: name, devices: z.array(path).max(64), targetPath: path }),
]);

const volumeForm = z.object({
  pool,
  name,
  format: z.enum(['qcow2', 'raw']),
  capacityBytes: bytes,
  preallocation: z.enum(['off', 'metadata', 'full']),
  qcow2Compat: z.enum(['1.1', '0.10']),
  backingPath: path.nullable(),
});

const volumeRef = z.object({ hostId, pool, name });

export function createStorageCalls(deps: CallHandlerDeps): AreaCallHandlers<StorageCalls> {
  const storage = deps.storage;
  return {
    'storage.pools': { request: z.object({ hostId }), handle: ({ hostId: id }) => storage.pools(id) },
    'storage.poolXml': {
      request: z.object({ hostId, pool }),
      handle: async ({ hostId: id, pool: p }) => ({ xml: await storage.poolXml(id, p) }),
    },
    'storage.poolPlan': {
      request: z.object({ hostId, form: poolForm }),
      handle: async ({ form }) => ({ xml: storage.planPool(form) }),
    },
    'storage.poolCreate': {
      request: z.object({ hostId, form: poolForm, build: z.boolean(), start: z.boolean(), autostart: z.boolean() }),
      handle: (request) => storage.createPool(request),
    },
    'storage.poolAction': {
      request: z.object({ hostId, pool, action: z.enum(['start', 'stop', 'refresh', 'autostartOn', 'autostartOff']) }),
      handle: async ({ hostId: id, pool: p, action }) => {
        await storage.poolAction(id, p, action);
        return null;
      },
    },
    'storage.poolDelete': {
      request: z.object({ hostId, pool, confirmName: z.string().max(255), deleteStorage: z.boolean() }),
      handle: async ({ hostId: id, pool: p, confirmName, deleteStorage }) => {
        await storage.deletePool(id, p, confirmName, deleteStorage);
        return null;
      },
    },
    'storage.volumes': {
      request: z.object({ hostId, pool }),
      handle: ({ hostId: id, pool: p }) => storage.volumes(id, p),
    },
    'storage.volumeDetails': {
      request: z.object({ hostId, pool, names: z.array(name).max(500) }),
      handle: ({ hostId: id, pool: p, names }) => storage.volumeDetails(id, p, names),
    },
    'storage.volumePlan': {
      request: z.object({ hostId, form: volumeForm }),
      handle: ({ hostId: id, form }) => storage.planVolume(id, form),
    },
    'storage.volumeCreate': {
      request: z.object({ hostId, form: volumeForm }),
      handle: ({ hostId: id, form }) => storage.createVolume(id, form),
    },
    'storage.volumeResize': {
      request: volumeRef.extend({ capacityBytes: bytes, allowShrink: z.boolean() }),
      handle: async ({ hostId: id, pool: p, name: n, capacityBytes, allowShrink }) => {
        await storage.resizeVolume(id, p, n, capacityBytes, allowShrink);
        return null;
      },
    },
    'storage.volumeWipe': {
      request: volumeRef.extend({ confirmName: z.string().max(255) }),
      handle: async ({ hostId: id, pool: p, name: n, confirmName }) => {
        await storage.wipeVolume(id, p, n, confirmName);
        return null;
      },
    },
    'storage.volumeDelete': {
      request: volumeRef.extend({ confirmName: z.string().max(255) }),
      handle: async ({ hostId: id, pool: p, name: n, confirmName }) => {
        await storage.deleteVolume(id, p, n, confirmName);
        return null;
      },
    },
    'storage.downloadStart': {
      request: volumeRef,
      handle: async ({ hostId: id, pool: p, name: n }) => {
        const prepared = await storage.transfers.prepareDownload(id, p, n);
        return { ...prepared, url: `${TRANSFER_DOWNLOAD_PATH}${prepared.transferId}` };
      },
    },
    'storage.transfers': { request: noRequest, handle: async () => storage.transfers.list() },
    'storage.transferCancel': {
      request: z.object({ transferId: z.string().uuid() }),
      handle: async ({ transferId }) => {
        storage.transfers.cancel(transferId);
        return null;
      },
    },
  };
}

const uploadParams = z.object({
  transferId: z.string().uuid(),
  hostId,
  pool,
  name,
  fileName: z.string().max(1024),
  sizeBytes: bytes,
});

export function createStorageStreams(deps: CallHandlerDeps): AreaStreamHandlers<StorageStreams> {
  return {
    'storage.upload': {
      params: uploadParams,
      open: (params, peer) => deps.storage.transfers.upload(params, peer),
    },
  };
}

/**
 * Serve mode's HTTP upload (POST TRANSFER_UPLOAD_PATH?…): the same parameters as the stream, from the
 * query string (sizeBytes as a number), validated the same way; the request body is the file.
 */
export function createStorageUploadRoute(deps: CallHandlerDeps): UploadRoute {
  return async (query, peer) => {
    const raw = Object.fromEntries(query.entries());
    const parsed = uploadParams.safeParse({ ...raw, sizeBytes: Number(raw.sizeBytes) });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiFailure('invalid-request', `Invalid upload (${issue?.path.join('.') ?? ''}): ${issue?.message ?? ''}`);
    }
    await deps.storage.transfers.upload(parsed.data, peer);
  };
}
