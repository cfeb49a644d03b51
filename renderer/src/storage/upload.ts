import {
  TRANSFER_UPLOAD_PATH,
  UPLOAD_ACK_BYTES,
  type ApiError,
  UPLOAD_CHUNK_BYTES,
  UPLOAD_WINDOW_BYTES,
  type StreamCloseInfo,
} from '../../../preload/api-contract';
import { ApiCallError, type ApiClient } from '../api';

/** Uploads this window runs, so a cancel (from any button) also ends the browser's own request. */
const localUploads = new Map<string, () => void>();

/** Cancels a transfer: a local upload stops sending at once; main deletes the volume either way. */
export function cancelTransfer(api: ApiClient, transferId: string): void {
  localUploads.get(transferId)?.();
  void api.call('storage.transferCancel', { transferId }).catch(() => undefined);
}

export interface RunningUpload {
  transferId: string;
  /** Resolves when the volume is complete; rejects with the reason it failed or was cancelled. */
  done: Promise<void>;
  cancel(): void;
}

/**
 * Uploads a local file (a browser File: no path, no hole map) into a new volume. Reads the file a
 * piece at a time and keeps at most UPLOAD_WINDOW_BYTES sent and not yet acknowledged by main, so the
 * file never sits in memory and the upload runs at the pace of the host link. Main turns zero runs into
 * holes and deletes the volume when the upload fails or is cancelled.
 */
export async function startUpload(
  api: ApiClient,
  target: { hostId: string; pool: string; name: string },
  file: Blob & { name?: string },
): Promise<RunningUpload> {
  const transferId = crypto.randomUUID();
  const params = {
    transferId,
    hostId: target.hostId,
    pool: target.pool,
    name: target.name,
    fileName: file.name ?? target.name,
    sizeBytes: file.size,
  };
  if (api.transport === 'serve') return startHttpUpload(api, params, file);
  const channel = await api.openStream('storage.upload', params);
  let acked = 0;
  let closedWith: StreamCloseInfo | null = null;
  let wake: (() => void) | null = null;
  const wakeUp = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  channel.onData((data) => {
    if (data.byteLength !== UPLOAD_ACK_BYTES) return;
    acked = Number(new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(0));
    wakeUp();
  });
  const closed = new Promise<StreamCloseInfo>((resolve) =>
    channel.onClose((info) => {
      closedWith = info;
      wakeUp();
      resolve(info);
    }),
  );
  const done = (async () => {
    let offset = 0;
    while (offset < file.size && closedWith === null) {
      while (offset - acked >= UPLOAD_WINDOW_BYTES && closedWith === null) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (closedWith !== null) break;
      const end = Math.min(file.size, offset + UPLOAD_CHUNK_BYTES);
      const bytes = new Uint8Array(await file.slice(offset, end).arrayBuffer());
      if (closedWith !== null) break;
      channel.send(bytes);
      offset = end;
    }
    const info = await closed;
    if (info.error) throw new ApiCallError(info.error);
    if (offset < file.size) {
      throw new ApiCallError({ code: 'io', message: 'The upload was cancelled; the volume was deleted.' });
    }
  })();
  return {
    transferId,
    done,
    cancel: () => cancelTransfer(api, transferId),
  };
}

/**
 * Serve mode: the file as the body of one POST (the browser streams it from disk; TCP carries the
 * backpressure). A browser's WebSocket moves bulk bytes an order of magnitude slower than its HTTP stack.
 */
async function startHttpUpload(
  api: ApiClient,
  params: { transferId: string; hostId: string; pool: string; name: string; fileName: string; sizeBytes: number },
  file: Blob,
): Promise<RunningUpload> {
  const query = new URLSearchParams(Object.entries(params).map(([key, value]) => [key, String(value)]));
  const abort = new AbortController();
  localUploads.set(params.transferId, () => abort.abort());
  const done = (async () => {
    let response: Response;
    try {
      response = await fetch(`${TRANSFER_UPLOAD_PATH}?${query.toString()}`, {
        method: 'POST',
        body: file,
        credentials: 'same-origin',
        signal: abort.signal,
      });
    } catch {
      if (abort.signal.aborted) throw new ApiCallError({ code: 'io', message: 'The upload was cancelled; the volume was deleted.' });
      // The connection went before an answer (e.g. cancelled): the transfer's own status says why.
      const status = (await api.call('storage.transfers', null).catch(() => [])).find((t) => t.id === params.transferId);
      throw new ApiCallError({ code: 'io', message: status?.state === 'cancelled' ? 'The upload was cancelled; the volume was deleted.' : (status?.error ?? 'The upload failed') });
    }
    const answer = (await response.json().catch(() => null)) as { ok: boolean; error?: ApiError } | null;
    if (!response.ok || !answer?.ok) throw new ApiCallError(answer?.error ?? { code: 'io', message: `Upload failed (HTTP ${response.status})` });
  })().finally(() => localUploads.delete(params.transferId));
  return { transferId: params.transferId, done, cancel: () => cancelTransfer(api, params.transferId) };
}
