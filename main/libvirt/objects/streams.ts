/**
 * The stream procedures (virStream): a domain's console and screenshot, a volume's upload and download.
 * Each resolves once the daemon accepted the call; the bytes then flow on the returned RpcStream.
 */
import { remoteProcedures as P, virStorageVolDownloadFlags, virStorageVolUploadFlags } from '../protocol';
import type { RpcStream } from '../rpc';
import type { DomainRef, StorageVolRef } from '../client/types';
import type { LibvirtRpcCore } from './rpc-core';
import type { ObjectRefs } from './object-refs';

export interface StreamOpenOptions {
  readonly timeoutMs?: number;
  /** Read-side buffer bound before the stream is aborted (see rpc/stream.ts). */
  readonly maxBufferedBytes?: number;
  /** Write side: packets handed to the transport and not yet flushed (see rpc/stream.ts; default 2). */
  readonly maxPacketsInFlight?: number;
}

export class StreamsApi {
  constructor(
    private readonly core: LibvirtRpcCore,
    private readonly refs: ObjectRefs,
  ) {}

  async volumeUpload(
    ref: StorageVolRef,
    options: { offset?: bigint; length?: bigint; flags?: number } & StreamOpenOptions = {},
  ): Promise<RpcStream> {
    const flags = options.flags ?? 0;
    const { stream } = await this.core.openStream(
      P.REMOTE_PROC_STORAGE_VOL_UPLOAD,
      { vol: await this.refs.volume(ref), offset: options.offset ?? 0n, length: options.length ?? 0n, flags },
      {
        mode: 'write',
        sparse: (flags & virStorageVolUploadFlags.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) !== 0,
        ...(options.maxPacketsInFlight === undefined ? {} : { maxPacketsInFlight: options.maxPacketsInFlight }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
    );
    return stream;
  }

  async volumeDownload(
    ref: StorageVolRef,
    options: { offset?: bigint; length?: bigint; flags?: number } & StreamOpenOptions = {},
  ): Promise<RpcStream> {
    const flags = options.flags ?? 0;
    const { stream } = await this.core.openStream(
      P.REMOTE_PROC_STORAGE_VOL_DOWNLOAD,
      { vol: await this.refs.volume(ref), offset: options.offset ?? 0n, length: options.length ?? 0n, flags },
      {
        mode: 'read',
        sparse: (flags & virStorageVolDownloadFlags.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM) !== 0,
        ...(options.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: options.maxBufferedBytes }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
    );
    return stream;
  }

  async console(
    ref: DomainRef,
    devName: string | null = null,
    flags = 0,
    options: StreamOpenOptions = {},
  ): Promise<RpcStream> {
    const { stream } = await this.core.openStream(
      P.REMOTE_PROC_DOMAIN_OPEN_CONSOLE,
      { dom: await this.refs.domain(ref), dev_name: devName, flags },
      {
        mode: 'both',
        ...(options.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: options.maxBufferedBytes }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
    );
    return stream;
  }

  async screenshot(
    ref: DomainRef,
    screen = 0,
    options: StreamOpenOptions = {},
  ): Promise<{ mime: string | null; stream: RpcStream }> {
    const { stream, reply } = await this.core.openStream(
      P.REMOTE_PROC_DOMAIN_SCREENSHOT,
      { dom: await this.refs.domain(ref), screen, flags: 0 },
      {
        mode: 'read',
        ...(options.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: options.maxBufferedBytes }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
    );
    return { mime: reply.mime, stream };
  }
}
