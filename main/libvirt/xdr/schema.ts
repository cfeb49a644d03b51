/**
 * A plain-data description of XDR types, emitted by the generator next to the generated codecs
 * (protocol/generated/xdr-schema.gen.ts). The codecs do not use it (they are generated code);
 * it exists for tests (random values for round-trip and fuzz tests), debugging and tooling.
 */
import type { XdrCodec } from './codec';

export type XdrPrimitive =
  'int' | 'uint' | 'hyper' | 'uhyper' | 'char' | 'uchar' | 'short' | 'ushort' | 'float' | 'double' | 'bool';

/** How one declaration is encoded. */
export type XdrTypeRef =
  | XdrPrimitive
  | 'void'
  /** A named type (see the schema's key). */
  | { readonly ref: string }
  /** `string x<max>` (max in bytes; 4294967295 for `<>`). */
  | { readonly string: number }
  /** `opaque x[n]` */
  | { readonly fixedOpaque: number }
  /** `opaque x<max>` */
  | { readonly opaque: number }
  /** `T x[n]` */
  | { readonly fixedArray: XdrTypeRef; readonly length: number }
  /** `T x<max>` */
  | { readonly array: XdrTypeRef; readonly max: number }
  /** `T *x` */
  | { readonly optional: XdrTypeRef };

export interface XdrUnionArm {
  /** Discriminant values selecting this arm (booleans for a bool discriminant). */
  readonly cases: readonly (number | boolean)[];
  /** Field name, null for a void arm. */
  readonly field: string | null;
  readonly type: XdrTypeRef;
}

export type XdrTypeDescription =
  | { readonly kind: 'struct'; readonly fields: readonly (readonly [string, XdrTypeRef])[] }
  | {
      readonly kind: 'union';
      readonly discriminant: readonly [string, XdrTypeRef];
      readonly arms: readonly XdrUnionArm[];
      /** The default arm (cases empty), or null when other discriminants are invalid. */
      readonly default: XdrUnionArm | null;
    }
  | { readonly kind: 'enum'; readonly values: Readonly<Record<string, number>> }
  | { readonly kind: 'typedef'; readonly type: XdrTypeRef };

export interface XdrSchemaEntry {
  /** Which generated module defines it, e.g. `remote`. */
  readonly module: string;
  readonly description: XdrTypeDescription;
  /** Smallest possible encoded size in bytes. */
  readonly minSize: number;
  readonly codec: XdrCodec<unknown>;
}

/** XDR type name → description and codec. */
export type XdrSchema = Readonly<Record<string, XdrSchemaEntry>>;
