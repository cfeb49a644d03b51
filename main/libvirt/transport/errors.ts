export type LibvirtTransportErrorCode =
  /** No libvirt socket on the host (daemon not running?). */
  | 'no-socket'
  /** A socket exists but this account may not use it (not in group libvirt?). */
  | 'permission-denied'
  /** virt-ssh-helper / nc could not be run or exited with an error. */
  | 'helper-failed'
  /** The SSH server refused the direct-streamlocal channel. */
  | 'streamlocal-failed'
  /** The local Unix socket could not be connected. */
  | 'local-connect-failed'
  /** The combination asked for cannot work (e.g. ssh-socket for a session URI). */
  | 'unsupported'
  /** Every transport auto-detection tried failed. */
  | 'all-failed';

export class LibvirtTransportError extends Error {
  readonly code: LibvirtTransportErrorCode;
  readonly transport: string;
  constructor(
    code: LibvirtTransportErrorCode,
    transport: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LibvirtTransportError';
    this.code = code;
    this.transport = transport;
  }
}
