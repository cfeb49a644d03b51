/**
 * Error raised by the XDR reader/writer and by every generated codec.
 *
 * Decoders throw nothing else for malformed input: a truncated buffer, a declared
 * length over the declared maximum or over the bytes left, a bad bool/optional flag,
 * an undeclared enum value or union discriminant all end up here.
 */
export type XdrErrorCode =
  /** The buffer ends before the value does. */
  | 'truncated'
  /** A variable-length item declares more elements/bytes than its XDR maximum. */
  | 'length-exceeds-max'
  /** A variable-length item declares more elements/bytes than are left in the buffer. */
  | 'length-exceeds-buffer'
  /** A bool (or optional-data flag) that is neither 0 nor 1. */
  | 'invalid-bool'
  /** An enum value that the enum does not declare. */
  | 'invalid-enum'
  /** A union discriminant without a matching arm (and no default arm). */
  | 'invalid-discriminant'
  /** An encode-side value of the wrong JS type or outside the XDR type's range. */
  | 'invalid-value'
  /** A fixed-length item (fixed opaque or array) of the wrong length on encode. */
  | 'invalid-length'
  /** A string whose bytes are not valid UTF-8 (only with `utf8: 'fatal'`). */
  | 'invalid-utf8'
  /** Bytes left over after decoding a complete value (see `xdrDecode`). */
  | 'trailing-bytes';

export class XdrError extends Error {
  override readonly name = 'XdrError';
  readonly code: XdrErrorCode;
  /** Byte offset in the buffer being read/written where the problem was found, if known. */
  readonly offset: number | undefined;

  /** The message without the offset suffix. */
  readonly reason: string;

  constructor(code: XdrErrorCode, reason: string, offset?: number) {
    super(offset === undefined ? reason : `${reason} (at byte ${offset})`);
    this.code = code;
    this.reason = reason;
    this.offset = offset;
  }

  /** A copy whose message starts with `context: ` (e.g. the type being decoded). */
  withContext(context: string): XdrError {
    return new XdrError(this.code, `${context}: ${this.reason}`, this.offset);
  }
}

export function isXdrError(e: unknown): e is XdrError {
  return e instanceof XdrError;
}
