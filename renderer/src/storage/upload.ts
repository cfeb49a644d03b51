import {
  UPLOAD_ACK_BYTES,
  UPLOAD_CHUNK_BYTES,
  UPLOAD_WINDOW_BYTES,
  type StreamCloseInfo,
} from '../../../preload/api-contract';
import { ApiCallError, type ApiClient } from '../api';

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
  const channel = await api.openStream('storage.upload', {
    transferId,
    hostId: target.hostId,
    pool: target.pool,
    name: target.name,
    fileName: file.name ?? target.name,
    sizeBytes: file.size,
  });
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
    cancel: () => {
      void api.call('storage.transferCancel', { transferId }).catch(() => channel.close());
    },
  };
}
