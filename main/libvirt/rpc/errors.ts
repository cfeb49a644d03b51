/**
 * Errors of the libvirt RPC engine.
 *
 * - {@link LibvirtError}: the daemon answered a call (or a stream) with status ERROR; carries the
 *   decoded `remote_error` (code, domain, message, level, str1..3, int1..2, dom, net).
 * - {@link ConnectionClosedError}: the connection closed before the call completed (or the call was
 *   made on a closed connection). `sent` tells whether the CALL reached the transport: a call with
 *   `sent === false` was never seen by the daemon and may be retried on another connection.
 * - {@link CallTimeoutError}: the per-call timeout expired. libvirt has no cancel: if the call was
 *   sent the daemon may still execute it; its late reply is dropped.
 * - {@link ProtocolError}: malformed data from the peer (framing, header, undecodable payload).
 * - {@link StreamOverflowError}: a stream's consumer did not keep up and its bounded buffer filled.
 */
import { enumName, virErrorDomain, virErrorNumber } from '../protocol';
import type { VirNetMessageError } from '../protocol';

/** Why a connection closed (the `close` event of RpcConnection). */
export type CloseReason =
  /** The transport ended or closed (libvirtd went away, the SSH channel closed, …). */
  | 'peer-closed'
  /** The peer stopped answering: no packet for `count` keepalive intervals after our PINGs. */
  | 'keepalive-timeout'
  /** The peer sent something we cannot parse (bad length word, bad header, unexpected CALL). */
  | 'protocol-error'
  /** The transport reported an error. */
  | 'transport-error'
  /** `close()` was called on our side. */
  | 'local-close';

export interface RemoteDomainRef {
  readonly name: string;
  readonly uuid: Uint8Array;
  readonly id: number;
}

export interface RemoteNetworkRef {
  readonly name: string;
  readonly uuid: Uint8Array;
}

/** An error reported by libvirt (`virNetMessageError` / `remote_error`). */
export class LibvirtError extends Error {
  override readonly name = 'LibvirtError';
  /** virErrorNumber, e.g. 42 = VIR_ERR_NO_DOMAIN. */
  readonly code: number;
  /** virErrorDomain, e.g. 10 = VIR_FROM_QEMU. */
  readonly domain: number;
  /** virErrorLevel: 1 warning, 2 error. */
  readonly level: number;
  /** Symbolic names of code and domain when known (`VIR_ERR_NO_DOMAIN`, `VIR_FROM_QEMU`). */
  readonly codeName: string | undefined;
  readonly domainName: string | undefined;
  readonly str1: string | null;
  readonly str2: string | null;
  readonly str3: string | null;
  readonly int1: number;
  readonly int2: number;
  readonly dom: RemoteDomainRef | null;
  readonly net: RemoteNetworkRef | null;
  /** The procedure that failed, e.g. `REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME` (when known). */
  readonly procedure: string | undefined;
  /** The message as libvirt sent it (null when libvirt sent none). */
  readonly remoteMessage: string | null;

  constructor(err: VirNetMessageError, procedure?: string) {
    const codeName = enumName(virErrorNumber, err.code);
    super(err.message ?? `libvirt error ${codeName ?? err.code}`);
    this.code = err.code;
    this.domain = err.domain;
    this.level = err.level;
    this.codeName = codeName;
    this.domainName = enumName(virErrorDomain, err.domain);
    this.str1 = err.str1;
    this.str2 = err.str2;
    this.str3 = err.str3;
    this.int1 = err.int1;
    this.int2 = err.int2;
    this.dom = err.dom;
    this.net = err.net;
    this.procedure = procedure;
    this.remoteMessage = err.message;
  }
}

/** The connection closed (or was already closed) before the operation completed. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
  readonly reason: CloseReason;
  /**
   * For calls: whether the CALL was written to the transport. `false` means the daemon never saw
   * it (it was still queued behind the in-flight limit): retrying it elsewhere cannot run it twice.
   * Undefined for errors that are not about one call (streams, the close event).
   */
  readonly sent: boolean | undefined;

  constructor(reason: CloseReason, message: string, options?: { sent?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.sent = options?.sent;
  }

  /** The same close, seen by one call. */
  forCall(procedure: string, sent: boolean): ConnectionClosedError {
    return new ConnectionClosedError(this.reason, `${procedure}: ${this.message}`, { sent, cause: this });
  }
}

/** A call did not complete within its timeout. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
  readonly procedure: string;
  readonly timeoutMs: number;
  /** Whether the CALL had been written (the daemon may still run it: libvirt has no cancel). */
  readonly sent: boolean;

  constructor(procedure: string, timeoutMs: number, sent: boolean) {
    super(
      `${procedure}: no reply within ${timeoutMs} ms${sent ? '' : ' (never sent: the connection was busy)'}`,
    );
    this.procedure = procedure;
    this.timeoutMs = timeoutMs;
    this.sent = sent;
  }
}

/** The caller aborted the call through its AbortSignal. */
export class CallAbortedError extends Error {
  override readonly name = 'CallAbortedError';
  readonly procedure: string;
  readonly sent: boolean;

  constructor(procedure: string, sent: boolean, cause?: unknown) {
    super(`${procedure}: aborted${sent ? ' (already sent: the daemon may still run it)' : ''}`, { cause });
    this.procedure = procedure;
    this.sent = sent;
  }
}

/** The peer sent data we cannot understand. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** A stream's consumer did not read fast enough; the stream was aborted (see RpcStream). */
export class StreamOverflowError extends Error {
  override readonly name = 'StreamOverflowError';
  readonly limit: number;

  constructor(limit: number, unit: 'bytes' | 'chunks') {
    super(
      `stream aborted: the consumer fell behind and more than ${limit} ${unit} were buffered ` +
        '(libvirt streams have no flow control towards the client; read faster or raise the limit)',
    );
    this.limit = limit;
  }
}

/** Whether `e` is an error libvirt reported; with `codes`, one of those virErrorNumbers (VIR_ERR_NO_DOMAIN…). */
export function isLibvirtError(e: unknown, ...codes: number[]): e is LibvirtError {
  return e instanceof LibvirtError && (codes.length === 0 || codes.includes(e.code));
}
