import type { ApiError, ApiErrorCode } from '../../preload/api-contract';
import { LibvirtError } from '../libvirt/rpc/errors';

/**
 * An error a handler throws on purpose: it crosses the contract as a typed {@link ApiError}.
 * Anything else a handler throws is a bug and crosses as code `internal` with its message.
 */
export class ApiFailure extends Error {
  readonly code: ApiErrorCode;
  readonly field: string | undefined;
  readonly libvirt: ApiError['libvirt'];

  constructor(code: ApiErrorCode, message: string, extra: { field?: string; libvirt?: ApiError['libvirt'] } = {}) {
    super(message);
    this.name = 'ApiFailure';
    this.code = code;
    this.field = extra.field;
    this.libvirt = extra.libvirt;
  }

  toApiError(): ApiError {
    const error: ApiError = { code: this.code, message: this.message };
    if (this.field !== undefined) error.field = this.field;
    if (this.libvirt !== undefined) error.libvirt = this.libvirt;
    return error;
  }
}

/** Converts anything thrown into the error that crosses the contract. */
export function toApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiFailure) return thrown.toApiError();
  if (thrown instanceof LibvirtError) {
    return {
      code: 'libvirt',
      message: thrown.message,
      libvirt: { code: thrown.code, domain: thrown.domain, message: thrown.remoteMessage ?? thrown.message },
    };
  }
  if (thrown instanceof Error) return { code: 'internal', message: thrown.message };
  return { code: 'internal', message: String(thrown) };
}
