/** AST for the XDR language subset used by libvirt's .x files (RFC 4506 §6 plus rpcgen extras). */

export type PrimitiveKind =
  'int' | 'uint' | 'hyper' | 'uhyper' | 'char' | 'uchar' | 'short' | 'ushort' | 'float' | 'double' | 'bool';

export type TypeSpec =
  | { readonly kind: 'primitive'; readonly prim: PrimitiveKind }
  | { readonly kind: 'void' }
  | { readonly kind: 'string' }
  | { readonly kind: 'opaque' }
  /** A reference to a named type (typedef, enum, struct or union). */
  | { readonly kind: 'named'; readonly name: string };

/** A size, case label or constant value: a literal or a constant's name. */
export type Value =
  | { readonly kind: 'number'; readonly value: bigint; readonly text: string }
  | { readonly kind: 'ident'; readonly name: string };

export type Declaration =
  | { readonly kind: 'void' }
  | { readonly kind: 'scalar'; readonly type: TypeSpec; readonly name: string }
  | { readonly kind: 'fixed'; readonly type: TypeSpec; readonly name: string; readonly length: Value }
  /** `T x<max>`; `max` null for `<>` (unbounded). */
  | { readonly kind: 'var'; readonly type: TypeSpec; readonly name: string; readonly max: Value | null }
  | { readonly kind: 'optional'; readonly type: TypeSpec; readonly name: string };

export type NamedDeclaration = Exclude<Declaration, { kind: 'void' }>;

export interface EnumMember {
  readonly name: string;
  readonly value: Value;
  /** Text of the `/** ... *\/` comment right before the member, if any. */
  readonly doc: string | null;
  readonly line: number;
}

export interface UnionArm {
  /** Case labels sharing this arm (at least one). */
  readonly cases: readonly Value[];
  readonly decl: Declaration;
}

export type Definition =
  | { readonly kind: 'const'; readonly name: string; readonly value: Value; readonly line: number }
  | {
      readonly kind: 'typedef';
      readonly name: string;
      readonly decl: NamedDeclaration;
      readonly line: number;
    }
  | {
      readonly kind: 'enum';
      readonly name: string;
      readonly members: readonly EnumMember[];
      readonly line: number;
    }
  | {
      readonly kind: 'struct';
      readonly name: string;
      readonly fields: readonly NamedDeclaration[];
      readonly line: number;
    }
  | {
      readonly kind: 'union';
      readonly name: string;
      readonly discriminant: NamedDeclaration;
      readonly arms: readonly UnionArm[];
      readonly defaultArm: Declaration | null;
      readonly line: number;
    };

export type TypeDefinition = Exclude<Definition, { kind: 'const' }>;

export interface Specification {
  /** File name used in messages and headers. */
  readonly file: string;
  readonly definitions: readonly Definition[];
}
