/**
 * Volume uploads and downloads: each on its own libvirt connection (transfer-connection.ts), sparse
 * both ways (VIR_STORAGE_VOL_UPLOAD/DOWNLOAD_SPARSE_STREAM: zero runs travel as holes), with progress
 * (bytes, rate, time left) published as `storage.transfer` events, and cancel. An upload creates its
 * volume and deletes it again when it fails or is cancelled: nothing half-written stays behind.
 */
import { randomUUID } from 'node:crypto';
import { open as openFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { TransferKind, TransferStatus } from '../../../preload/api-contract';
import { UPLOAD_ACK_BYTES, UPLOAD_WINDOW_BYTES } from '../../../preload/api-contract';
import { isStreamHole, type RpcStream, type StorageVol } from '../../libvirt/client';
import {
  virStorageVolDownloadFlags,
  virStorageVolInfoFlags,
  virStorageVolUploadFlags,
} from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { TransferRate, secondsLeftAt } from '../transfer-rate';
import type { ByteStreamPeer } from '../byte-stream-peer';
import { uploadVolumeXml } from './storage-xml';
import { ZeroRunSplitter } from './zero-runs';
import type { TransferConnection, TransferConnectionTarget } from './transfer-connection';

const PROGRESS_INTERVAL_MS = 250;
const KEEP_FINISHED = 50;
/** A prepared download must be fetched within this time. */
const DOWNLOAD_TTL_MS = 5 * 60_000;
/** Download read side: pause the channel above this many buffered items, resume below the low mark. */
const DOWNLOAD_HIGH_ITEMS = 32;
const DOWNLOAD_LOW_ITEMS = 8;
const ZERO_CHUNK = Buffer.alloc(1024 * 1024);

export interface TransferHost {
  /** Where the host's transfer connections go; throws ApiFailure when the host is not connected. */
  target(hostId: string): Promise<TransferConnectionTarget>;
  open(target: TransferConnectionTarget): Promise<TransferConnection>;
}

export interface DownloadBody {
  fileName: string;
  sizeBytes: number;
  body: Readable;
}

/** What serve mode (and the app:// protocol) asks for a download URL. */
export interface DownloadProvider {
  /** The prepared download's bytes, or null when the id is unknown, used or expired. */
  openDownload(id: string): Promise<DownloadBody | null>;
}

class Transfer {
  readonly status: TransferStatus;
  private readonly rate = new TransferRate(3_000);
  connection: TransferConnection | null = null;
  cancelHandler: (() => void) | null = null;
  private lastPublished = 0;

  constructor(
    kind: TransferKind,
    init: { hostId: string; pool: string; volume: string; fileName: string; totalBytes: number; id?: string },
    private readonly publish: (status: TransferStatus) => void,
  ) {
    this.status = {
      id: init.id ?? randomUUID(),
      kind,
      hostId: init.hostId,
      pool: init.pool,
      volume: init.volume,
      fileName: init.fileName,
      totalBytes: init.totalBytes,
      doneBytes: 0,
      holeBytes: 0,
      wireBytes: 0,
      bytesPerSecond: 0,
      secondsLeft: null,
      state: 'running',
      startedAt: Date.now(),
    };
  }

  get running(): boolean {
    return this.status.state === 'running';
  }

  progress(dataBytes: number, holeBytes: number): void {
    this.status.doneBytes += dataBytes + holeBytes;
    this.status.holeBytes += holeBytes;
    const now = Date.now();
    if (now - this.lastPublished >= PROGRESS_INTERVAL_MS) this.emit(now);
  }

  emit(now = Date.now()): void {
    this.lastPublished = now;
    const s = this.status;
    if (this.connection) s.wireBytes = this.connection.channel.bytesIn + this.connection.channel.bytesOut;
    const rate = this.rate.sample(s.doneBytes, now);
    if (rate !== null) {
      s.bytesPerSecond = rate;
      s.secondsLeft = secondsLeftAt(s.totalBytes, s.doneBytes, rate);
    } else if (now > s.startedAt) {
      s.bytesPerSecond = (s.doneBytes * 1000) / (now - s.startedAt);
    }
    this.publish({ ...s });
  }

  end(state: 'done' | 'failed' | 'cancelled', error?: string): void {
    if (!this.running) return;
    const s = this.status;
    if (this.connection) s.wireBytes = this.connection.channel.bytesIn + this.connection.channel.bytesOut;
    s.state = state;
    if (error !== undefined) s.error = error;
    s.endedAt = Date.now();
    s.secondsLeft = state === 'done' ? 0 : null;
    s.bytesPerSecond = s.endedAt > s.startedAt ? (s.doneBytes * 1000) / (s.endedAt - s.startedAt) : 0;
    this.publish({ ...s });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function writeItem(stream: RpcStream, item: Buffer | { hole: bigint }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    stream.once('error', onError);
    const ok = stream.write(item, (error) => {
      if (error) reject(error);
    });
    const done = () => {
      stream.off('error', onError);
      resolve();
    };
    if (ok) done();
    else stream.once('drain', done);
  });
}

function endStream(stream: RpcStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

export class TransferManager implements DownloadProvider {
  private readonly transfers = new Map<string, Transfer>();
  private readonly prepared = new Map<string, { transfer: Transfer; vol: StorageVol; expires: number }>();

  constructor(
    private readonly host: TransferHost,
    private readonly publish: (status: TransferStatus) => void,
  ) {}

  list(): TransferStatus[] {
    return [...this.transfers.values()]
      .map((t) => ({ ...t.status }))
      .sort((a, b) => Number(b.state === 'running') - Number(a.state === 'running') || b.startedAt - a.startedAt);
  }

  get(id: string): TransferStatus | null {
    const found = this.transfers.get(id);
    return found ? { ...found.status } : null;
  }

  cancel(id: string): void {
    const transfer = this.transfers.get(id);
    if (!transfer) throw new ApiFailure('not-found', 'No such transfer');
    if (!transfer.running) return;
    if (this.prepared.delete(id)) transfer.end('cancelled');
    transfer.cancelHandler?.();
  }

  /** Ends every running transfer (shutdown). */
  async dispose(): Promise<void> {
    for (const transfer of this.transfers.values()) if (transfer.running) transfer.cancelHandler?.();
    await Promise.all([...this.transfers.values()].map((t) => t.connection?.close()));
  }

  private add(transfer: Transfer): Transfer {
    this.transfers.set(transfer.status.id, transfer);
    const finished = [...this.transfers.values()].filter((t) => !t.running);
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.transfers.delete(old.status.id);
    return transfer;
  }

  // ---- upload -----------------------------------------------------------------------------------

  /**
   * Starts an upload served on `peer`: creates volume `name` (raw, `sizeBytes`, nothing allocated) in
   * `pool`, opens the sparse upload stream on a connection of its own, and returns once bytes may
   * flow. Failures before that create nothing (or delete what they created) and throw.
   */
  async upload(
    params: { transferId: string; hostId: string; pool: string; name: string; fileName: string; sizeBytes: number },
    peer: ByteStreamPeer,
  ): Promise<void> {
    if (this.transfers.has(params.transferId)) throw new ApiFailure('conflict', 'This transfer id is in use');
    const xml = uploadVolumeXml(params.name, params.sizeBytes);
    const target = await this.host.target(params.hostId);
    const transfer = new Transfer(
      'upload',
      { id: params.transferId, hostId: params.hostId, pool: params.pool, volume: params.name, fileName: params.fileName, totalBytes: params.sizeBytes },
      this.publish,
    );
    const connection = await this.host.open(target);
    transfer.connection = connection;
    const libvirt = connection.client;
    let vol: StorageVol | null = null;
    let stream: RpcStream | null = null;
    const cleanUp = async () => {
      stream?.destroy();
      if (vol) {
        const created = vol;
        vol = null;
        await libvirt.storageVolume.delete(created).catch(() => undefined);
      }
      await connection.close();
    };
    try {
      const existing = await libvirt.storageVolume.lookup({ pool: params.pool, name: params.name }).catch(() => null);
      if (existing) throw new ApiFailure('conflict', `The pool ${params.pool} already has a volume ${params.name}`);
      vol = await libvirt.storageVolume.create({ name: params.pool }, xml);
      stream = await libvirt.streams.volumeUpload(vol, {
        offset: 0n,
        length: BigInt(params.sizeBytes),
        flags: virStorageVolUploadFlags.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM,
        maxPacketsInFlight: 4,
      });
    } catch (error) {
      await cleanUp();
      throw error;
    }
    this.add(transfer);
    transfer.emit();
    const splitter = new ZeroRunSplitter();
    const upload = stream;
    upload.on('error', () => undefined); // failures surface through the writes below
    let received = 0;
    let processed = 0;
    let chain: Promise<void> = Promise.resolve();

    let failing = false;
    const fail = (state: 'failed' | 'cancelled', why: string) => {
      if (!transfer.running || failing) return;
      failing = true;
      // The end is reported once the volume is gone, so whoever lists the pool then no longer sees it.
      void cleanUp().finally(() => {
        transfer.end(state, state === 'failed' ? why : undefined);
        peer.close(state === 'cancelled' ? { code: 'io', message: 'The upload was cancelled; the volume was deleted.' } : { code: 'io', message: `${why} (the volume was deleted)` });
      });
    };
    transfer.cancelHandler = () => fail('cancelled', 'cancelled');

    const write = async (items: ReturnType<typeof splitter.push>) => {
      let data = 0;
      let holes = 0;
      for (const item of items) {
        await writeItem(upload, item);
        if (isStreamHole(item)) holes += Number(item.hole);
        else data += item.length;
      }
      transfer.progress(data, holes);
    };
    const ack = () => {
      const counter = Buffer.alloc(UPLOAD_ACK_BYTES);
      counter.writeBigUInt64BE(BigInt(processed));
      peer.send(counter);
    };

    peer.onData((chunk) => {
      if (!transfer.running || failing) return;
      received += chunk.byteLength;
      if (received > params.sizeBytes) return fail('failed', 'More bytes arrived than the file has');
      if (received - processed > 2 * UPLOAD_WINDOW_BYTES) return fail('failed', 'The sender ignored the upload window');
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      chain = chain
        .then(async () => {
          if (!transfer.running || failing) return;
          await write(splitter.push(bytes));
          processed += bytes.length;
          if (processed === params.sizeBytes) {
            await write(splitter.end());
            await endStream(upload);
            vol = null; // complete: the volume stays
            transfer.end('done');
            ack();
            peer.close();
            await connection.close();
            return;
          }
          ack();
        })
        .catch((error: unknown) => fail('failed', message(error)));
    });
    peer.onClose((info) => {
      if (transfer.running) fail('cancelled', info.error?.message ?? 'closed');
    });
  }

  // ---- download ---------------------------------------------------------------------------------

  /** Prepares a download of a volume; its URL fetches it once within five minutes. */
  async prepareDownload(hostId: string, pool: string, name: string): Promise<{ transferId: string; fileName: string }> {
    const target = await this.host.target(hostId);
    const connection = await this.host.open(target);
    try {
      const vol = await connection.client.storageVolume.lookup({ pool, name });
      const info = await connection.client.storageVolume.getInfoFlags(vol, virStorageVolInfoFlags.VIR_STORAGE_VOL_GET_PHYSICAL);
      const transfer = new Transfer('download', { hostId, pool, volume: name, fileName: name, totalBytes: Number(info.allocation) }, this.publish);
      transfer.connection = connection;
      this.add(transfer);
      const id = transfer.status.id;
      this.prepared.set(id, { transfer, vol, expires: Date.now() + DOWNLOAD_TTL_MS });
      const timer = setTimeout(() => {
        if (this.prepared.delete(id)) {
          transfer.end('cancelled');
          void connection.close();
        }
      }, DOWNLOAD_TTL_MS);
      timer.unref();
      transfer.cancelHandler = () => void connection.close();
      transfer.emit();
      return { transferId: id, fileName: name };
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /**
   * The prepared download's content as a Readable of plain bytes (holes become zeros here, after the
   * link): it reads from libvirt only as fast as it is consumed (the channel is paused otherwise).
   */
  async openDownload(id: string): Promise<DownloadBody | null> {
    const prepared = this.prepared.get(id);
    if (!prepared || prepared.expires < Date.now()) return null;
    this.prepared.delete(id);
    const { transfer, vol } = prepared;
    const items = await this.openDownloadItems(transfer, vol);
    async function* bytes(): AsyncGenerator<Buffer> {
      for await (const item of items) {
        if (Buffer.isBuffer(item)) yield item;
        else
          for (let left = item.hole; left > 0n; ) {
            const n = left > BigInt(ZERO_CHUNK.length) ? ZERO_CHUNK.length : Number(left);
            yield ZERO_CHUNK.subarray(0, n);
            left -= BigInt(n);
          }
      }
    }
    const body = Readable.from(bytes(), { objectMode: false, highWaterMark: 4 * 1024 * 1024 });
    body.on('close', () => {
      if (transfer.running) {
        transfer.end('cancelled');
        void transfer.connection?.close();
      }
    });
    return { fileName: transfer.status.fileName, sizeBytes: transfer.status.totalBytes, body };
  }

  /**
   * Writes a volume to a local file, sparse (holes are seeked over, not written). The path is chosen by
   * the caller (tests, benchmarks, a desktop save dialog).
   */
  async downloadToFile(hostId: string, pool: string, name: string, path: string): Promise<TransferStatus> {
    const { transferId } = await this.prepareDownload(hostId, pool, name);
    const prepared = this.prepared.get(transferId);
    if (!prepared) throw new ApiFailure('not-found', 'The download went away');
    this.prepared.delete(transferId);
    const { transfer, vol } = prepared;
    const file = await openFile(path, 'w');
    try {
      let position = 0;
      for await (const item of await this.openDownloadItems(transfer, vol)) {
        if (Buffer.isBuffer(item)) {
          await file.write(item, 0, item.length, position);
          position += item.length;
        } else position += Number(item.hole);
      }
      await file.truncate(position);
    } finally {
      await file.close();
    }
    if (transfer.status.state === 'cancelled') throw new ApiFailure('io', 'The download was cancelled');
    return { ...transfer.status };
  }

  /** The sparse stream's items, counted into the transfer's progress, with the channel paused while the consumer lags. */
  private async openDownloadItems(transfer: Transfer, vol: StorageVol): Promise<AsyncGenerator<Buffer | { hole: bigint }>> {
    const connection = transfer.connection;
    if (!connection) throw new Error('download without a connection');
    let stream: RpcStream;
    try {
      stream = await connection.client.streams.volumeDownload(vol, {
        flags: virStorageVolDownloadFlags.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM,
        maxBufferedBytes: 64 * 1024 * 1024,
      });
    } catch (error) {
      transfer.end('failed', message(error));
      await connection.close();
      throw error;
    }
    const channel = connection.channel;
    const onArrival = () => {
      if (stream.readableLength > DOWNLOAD_HIGH_ITEMS) channel.pauseSource();
    };
    channel.on('data', onArrival);
    transfer.cancelHandler = () => {
      transfer.end('cancelled');
      stream.destroy();
      void connection.close();
    };
    transfer.emit();
    return (async function* () {
      try {
        for await (const item of stream as AsyncIterable<Buffer | { hole: bigint }>) {
          if (channel.isSourcePaused && stream.readableLength < DOWNLOAD_LOW_ITEMS) channel.resumeSource();
          if (isStreamHole(item)) transfer.progress(0, Number(item.hole));
          else transfer.progress(item.length, 0);
          yield item;
        }
        if (transfer.status.doneBytes !== transfer.status.totalBytes) {
          // The volume changed size since the download was prepared: report what it really was.
          transfer.status.totalBytes = transfer.status.doneBytes;
        }
        transfer.end('done');
      } catch (error) {
        if (transfer.running) transfer.end('failed', message(error));
        throw error;
      } finally {
        channel.off('data', onArrival);
        if (transfer.running) transfer.end('cancelled');
        stream.destroy();
        await connection.close();
      }
    })();
  }
}
