/**
 * An HTTP request body as an upload's ByteStreamPeer (serve mode): the request's bytes are the file,
 * the TransferManager's acknowledgements pace it (the request is paused while more than the upload
 * window is unacknowledged, so TCP pushes back on the browser), and the end of the transfer is the
 * response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UPLOAD_ACK_BYTES, UPLOAD_WINDOW_BYTES, type ApiError, type StreamCloseInfo } from '../../../preload/api-contract';
import type { ByteStreamPeer } from '../byte-stream-peer';

export class RequestUploadPeer implements ByteStreamPeer {
  private received = 0;
  private acked = 0;
  private closed = false;
  private closeListeners: Array<(info: StreamCloseInfo) => void> = [];

  constructor(
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
  ) {
    request.pause();
    request.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      if (this.received - this.acked > UPLOAD_WINDOW_BYTES) request.pause();
    });
    const gone = () => {
      if (this.closed) return;
      this.closed = true;
      for (const listener of this.closeListeners) listener({ byPeer: true });
    };
    request.on('aborted', gone);
    response.on('close', gone);
  }

  send(data: Uint8Array): boolean {
    if (data.byteLength === UPLOAD_ACK_BYTES) {
      this.acked = Number(Buffer.from(data.buffer, data.byteOffset, data.byteLength).readBigUInt64BE(0));
      if (this.received - this.acked <= UPLOAD_WINDOW_BYTES && !this.closed) this.request.resume();
    }
    return true;
  }

  close(error?: ApiError): void {
    if (this.closed) return;
    this.closed = true;
    // Like every call's answer, an ApiResult: HTTP 200 whether the upload succeeded or not (non-200
    // statuses stay for the transport's own refusals: no session, foreign origin).
    this.response.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      ...(error ? { Connection: 'close' } : {}),
    });
    // What the browser still sends after a failure is not read: the connection goes shortly after the
    // answer (at once would reset it before the client read the answer).
    this.response.end(JSON.stringify(error ? { ok: false, error } : { ok: true, value: null }), () => {
      if (error) setTimeout(() => this.request.destroy(), 250).unref();
    });
    for (const listener of this.closeListeners) listener(error ? { byPeer: false, error } : { byPeer: false });
  }

  onData(listener: (data: Uint8Array) => void): void {
    this.request.on('data', listener);
    this.request.resume();
  }

  onClose(listener: (info: StreamCloseInfo) => void): void {
    this.closeListeners.push(listener);
  }

  onDrain(): void {}
}
