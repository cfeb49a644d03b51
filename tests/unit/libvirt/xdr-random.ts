/**
 * Test helper: builds random but valid values for any XDR type from the generated schema
 * description (xdr-schema.gen.ts), plus a deterministic PRNG so failures are reproducible.
 */
import type { XdrSchema, XdrTypeDescription, XdrTypeRef, XdrUnionArm } from '../../../main/libvirt/xdr';

/** mulberry32: small, fast, deterministic. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x100000000) * n);
  }
  /** Uniform in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  bool(): boolean {
    return (this.u32() & 1) === 1;
  }
  pick<T>(items: readonly T[]): T {
    const v = items[this.int(items.length)];
    if (v === undefined) throw new Error('pick from empty list');
    return v;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

const INT_EDGES = [0, 1, -1, 2147483647, -2147483648, 42];
const UINT_EDGES = [0, 1, 2147483648, 4294967295, 42];
const STRING_PIECES = ['a', 'Z', '0', ' ', '/', 'é', '€', '日本', '😀', '\u0000', 'qemu:///system', 'x'];

function randomString(rng: Rng, maxBytes: number): string {
  const enc = new TextEncoder();
  const target = rng.int(Math.min(maxBytes, 24) + 1);
  let s = '';
  for (let guard = 0; guard < 40; guard++) {
    const next = s + rng.pick(STRING_PIECES);
    if (enc.encode(next).length > Math.min(maxBytes, target)) break;
    s = next;
  }
  return s;
}

export interface RandomOptions {
  /** Cap on variable array lengths (default 3). */
  readonly maxArray?: number;
  /** Cap on nesting of variable arrays/optionals before they are forced empty/null. */
  readonly maxDepth?: number;
}

export class ValueFactory {
  constructor(
    private readonly schema: XdrSchema,
    private readonly rng: Rng,
    private readonly opts: RandomOptions = {},
  ) {}

  forType(name: string): unknown {
    return this.named(name, 0);
  }

  private entry(name: string): XdrTypeDescription {
    const e = this.schema[name];
    if (!e) throw new Error(`schema has no type ${name}`);
    return e.description;
  }

  private named(name: string, depth: number): unknown {
    const d = this.entry(name);
    switch (d.kind) {
      case 'typedef':
        return this.ref(d.type, depth);
      case 'enum':
        return this.rng.pick(Object.values(d.values));
      case 'struct': {
        const o: Record<string, unknown> = {};
        for (const [field, t] of d.fields) o[field] = this.ref(t, depth);
        return o;
      }
      case 'union': {
        const [dname, dtype] = d.discriminant;
        const arms: XdrUnionArm[] = [...d.arms];
        const defaultValue = d.default ? this.defaultDiscriminant(d.arms, dtype) : undefined;
        if (d.default && defaultValue !== undefined) arms.push(d.default);
        const arm = this.rng.pick(arms);
        const disc = arm.cases.length > 0 ? this.rng.pick(arm.cases) : defaultValue;
        const o: Record<string, unknown> = { [dname]: disc };
        if (arm.field !== null) o[arm.field] = this.ref(arm.type, depth);
        return o;
      }
    }
  }

  /** A discriminant value that selects the default arm, or undefined if none exists. */
  private defaultDiscriminant(arms: readonly XdrUnionArm[], dtype: XdrTypeRef): number | boolean | undefined {
    const used = new Set<number | boolean>(arms.flatMap((a) => a.cases));
    if (dtype === 'bool') return [true, false].find((b) => !used.has(b));
    if (typeof dtype === 'object' && 'ref' in dtype) {
      const d = this.entry(dtype.ref);
      const candidates = d.kind === 'enum' ? Object.values(d.values) : [];
      const free = candidates.filter((v) => !used.has(v));
      return free.length ? this.rng.pick(free) : undefined;
    }
    for (;;) {
      const v = dtype === 'uint' ? this.rng.u32() : this.rng.u32() | 0;
      if (!used.has(v)) return v;
    }
  }

  ref(t: XdrTypeRef, depth: number): unknown {
    const rng = this.rng;
    const maxArray = this.opts.maxArray ?? 3;
    const maxDepth = this.opts.maxDepth ?? 4;
    if (typeof t === 'string') {
      switch (t) {
        case 'void':
          return undefined;
        case 'int':
          return rng.bool() ? rng.pick(INT_EDGES) : rng.u32() | 0;
        case 'uint':
          return rng.bool() ? rng.pick(UINT_EDGES) : rng.u32();
        case 'hyper':
          return rng.bool()
            ? rng.pick([0n, -1n, (1n << 63n) - 1n, -(1n << 63n), (1n << 53n) + 1n])
            : BigInt.asIntN(64, rng.u64());
        case 'uhyper':
          return rng.bool() ? rng.pick([0n, (1n << 64n) - 1n, (1n << 53n) + 1n]) : rng.u64();
        case 'char':
          return rng.range(-128, 255);
        case 'uchar':
          return rng.range(0, 255);
        case 'short':
          return rng.range(-32768, 32767);
        case 'ushort':
          return rng.range(0, 65535);
        case 'float':
          return rng.bool()
            ? rng.pick([0, -0, Infinity, -Infinity, NaN, 1.5])
            : Math.fround((rng.u32() | 0) / 977);
        case 'double':
          return rng.bool()
            ? rng.pick([0, -0, Infinity, NaN, 2 ** 53 + 2, 1e-300])
            : (rng.u32() | 0) / 977 + rng.u32();
        case 'bool':
          return rng.bool();
      }
    }
    if ('ref' in t) return this.named(t.ref, depth);
    if ('string' in t) return randomString(rng, t.string);
    if ('fixedOpaque' in t) return rng.bytes(t.fixedOpaque);
    if ('opaque' in t) return rng.bytes(rng.int(Math.min(t.opaque, 9) + 1));
    if ('fixedArray' in t) return Array.from({ length: t.length }, () => this.ref(t.fixedArray, depth + 1));
    if ('array' in t) {
      const n = depth >= maxDepth ? 0 : rng.int(Math.min(t.max, maxArray) + 1);
      return Array.from({ length: n }, () => this.ref(t.array, depth + 1));
    }
    // optional
    return depth >= maxDepth || rng.bool() ? null : this.ref(t.optional, depth + 1);
  }

  /** The value with the smallest encoding: empty arrays, null optionals, smallest union arm. */
  minimal(name: string): unknown {
    return this.minNamed(name);
  }

  private minNamed(name: string): unknown {
    const d = this.entry(name);
    switch (d.kind) {
      case 'typedef':
        return this.minRef(d.type);
      case 'enum':
        return Object.values(d.values)[0];
      case 'struct': {
        const o: Record<string, unknown> = {};
        for (const [field, t] of d.fields) o[field] = this.minRef(t);
        return o;
      }
      case 'union': {
        const candidates: { arm: XdrUnionArm; disc: number | boolean }[] = d.arms.map((arm) => ({
          arm,
          disc: arm.cases[0] as number | boolean,
        }));
        if (d.default) {
          const dv = this.defaultDiscriminant(d.arms, d.discriminant[1]);
          if (dv !== undefined) candidates.push({ arm: d.default, disc: dv });
        }
        let best: { value: Record<string, unknown>; size: number } | null = null;
        for (const { arm, disc } of candidates) {
          const value: Record<string, unknown> = { [d.discriminant[0]]: disc };
          if (arm.field !== null) value[arm.field] = this.minRef(arm.type);
          const size = this.sizeOfRef(arm.type);
          if (!best || size < best.size) best = { value, size };
        }
        return best?.value;
      }
    }
  }

  private sizeOfRef(t: XdrTypeRef): number {
    if (typeof t === 'string')
      return t === 'void' ? 0 : t === 'hyper' || t === 'uhyper' || t === 'double' ? 8 : 4;
    if ('ref' in t) return this.schema[t.ref]?.minSize ?? 0;
    if ('fixedOpaque' in t) return (t.fixedOpaque + 3) & ~3;
    if ('fixedArray' in t) return t.length * this.sizeOfRef(t.fixedArray);
    return 4;
  }

  private minRef(t: XdrTypeRef): unknown {
    if (typeof t === 'string') {
      if (t === 'void') return undefined;
      if (t === 'hyper' || t === 'uhyper') return 0n;
      if (t === 'bool') return false;
      return 0;
    }
    if ('ref' in t) return this.minNamed(t.ref);
    if ('string' in t) return '';
    if ('fixedOpaque' in t) return new Uint8Array(t.fixedOpaque);
    if ('opaque' in t) return new Uint8Array(0);
    if ('fixedArray' in t) return Array.from({ length: t.length }, () => this.minRef(t.fixedArray));
    if ('array' in t) return [];
    return null;
  }
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
}
