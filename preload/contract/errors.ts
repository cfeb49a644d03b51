/** Errors: how a failed call, stream or action crosses the contract. */

export type ApiErrorCode =
  | 'invalid-request' // the request does not match the channel's schema; nothing was changed
  | 'unknown-channel' // no such call, event or stream kind
  | 'not-found' // the object named by the request does not exist
  | 'conflict' // the change collides with the current state (e.g. duplicate name)
  | 'unauthorized' // the transport refused the caller
  | 'ssh' // SSH-level failure (connect, auth, host key)
  | 'libvirt' // libvirt returned an error; see detail.libvirt
  | 'io' // local file or network I/O failed
  | 'internal'; // a bug: reported with its message, never silently swallowed

export interface ApiError {
  code: ApiErrorCode;
  /** Human-readable, already specific: says what failed and why. */
  message: string;
  /** For `invalid-request`: which field was wrong. */
  field?: string;
  /** For `libvirt`: libvirt's own error triple. */
  libvirt?: { code: number; domain: number; message: string };
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };
