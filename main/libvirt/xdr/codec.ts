import { XdrError } from './errors';
import { XdrReader, type XdrReaderOptions } from './reader';
import { XdrWriter } from './writer';

/**
 * An encoder/decoder pair for one XDR type. Every generated type has one (`<Type>Codec`);
 * the procedure tables refer to them.
 *
 * Methods (not function-valued properties) on purpose: method parameters are bivariant, so any
 * `XdrCodec<T>` is usable where an `XdrCodec<unknown>` is expected (tables, registries).
 */
export interface XdrCodec<T> {
  /** The XDR name of the type, e.g. `remote_nonnull_domain`; `void` for no payload. */
  readonly name: string;
  encode(w: XdrWriter, v: T): void;
  decode(r: XdrReader): T;
}

/** Extracts the value type of a codec. */
export type XdrValue<C> = C extends XdrCodec<infer T> ? T : never;

/** The empty payload (procedures without args/ret, keepalive, stream control messages). */
export const xdrVoid: XdrCodec<void> = {
  name: 'void',
  encode(): void {},
  decode(): void {},
};

function annotate(e: unknown, codec: { readonly name: string }): unknown {
  return e instanceof XdrError ? e.withContext(codec.name) : e;
}

/** Encodes one value into a fresh byte array (or appends to `writer` and returns its bytes). */
export function xdrEncode<T>(codec: XdrCodec<T>, value: T, writer?: XdrWriter): Uint8Array {
  const w = writer ?? new XdrWriter();
  try {
    codec.encode(w, value);
  } catch (e) {
    throw annotate(e, codec);
  }
  return writer ? w.finish() : w.toBytes();
}

export interface XdrDecodeOptions extends XdrReaderOptions {
  /** Accept bytes after the value (default false: throw `XdrError('trailing-bytes')`). */
  readonly allowTrailing?: boolean;
}

/** Decodes one value that must fill `bytes` (unless `allowTrailing`). */
export function xdrDecode<T>(codec: XdrCodec<T>, bytes: Uint8Array, options?: XdrDecodeOptions): T {
  const r = new XdrReader(bytes, 0, bytes.length, options);
  try {
    const v = codec.decode(r);
    if (!options?.allowTrailing) r.assertEnd(codec.name);
    return v;
  } catch (e) {
    throw annotate(e, codec);
  }
}
