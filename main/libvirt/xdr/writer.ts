import { XdrError } from './errors';

const encoder = new TextEncoder();
/** Strings up to this many UTF-16 units are encoded with a JS loop while they are ASCII. */
const SHORT_STRING = 64;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  return String(v);
}

function invalid(type: string, v: unknown, hint = ''): XdrError {
  return new XdrError('invalid-value', `${type}: invalid value ${describe(v)}${hint}`);
}

/**
 * Writes XDR (RFC 4506) primitives into a growable buffer (doubling, so appends are amortised
 * O(1)). Every write validates the JS value against the XDR type: integers must be integral and in
 * range, hypers must be bigints in range, lengths must not exceed the declared maximum. Padding is
 * written as zero bytes.
 *
 * A writer can be reused with {@link reset}; {@link finish} returns a view of the internal buffer
 * (valid until the next write or reset) and {@link toBytes} a copy.
 */
export class XdrWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Current write position = number of bytes written so far. */
  pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  reset(): void {
    this.pos = 0;
  }

  /** The bytes written so far, as a view into the internal buffer. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** The bytes written so far, copied. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Overwrites an unsigned 32-bit word already written at `offset` (e.g. a length prefix). */
  patchUint(offset: number, v: number): void {
    if (typeof v !== 'number' || v >>> 0 !== v) throw invalid('unsigned int', v);
    if (!Number.isInteger(offset) || offset < 0 || offset + 4 > this.pos) {
      throw new RangeError(`patchUint: offset ${offset} outside the ${this.pos} bytes written`);
    }
    this.view.setUint32(offset, v);
  }

  // ---- 4-byte quantities -------------------------------------------------------------------

  writeInt(v: number): void {
    if (typeof v !== 'number' || (v | 0) !== v) throw invalid('int', v);
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  writeUint(v: number): void {
    if (typeof v !== 'number' || v >>> 0 !== v) {
      throw invalid(
        'unsigned int',
        v,
        typeof v === 'number' && (v | 0) === v
          ? ' (flags combined with | are signed: use (a | b) >>> 0)'
          : '',
      );
    }
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  writeBool(v: boolean): void {
    if (typeof v !== 'boolean') throw invalid('bool', v);
    this.ensure(4);
    this.view.setInt32(this.pos, v ? 1 : 0);
    this.pos += 4;
  }

  /** rpcgen `char` (an int on the wire); -128..255 accepted, see XdrReader.readChar. */
  writeChar(v: number): void {
    if (!(typeof v === 'number' && (v | 0) === v && v >= -128 && v <= 255)) throw invalid('char', v);
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  writeUchar(v: number): void {
    if (!(typeof v === 'number' && (v | 0) === v && v >= 0 && v <= 255)) throw invalid('unsigned char', v);
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  writeShort(v: number): void {
    if (!(typeof v === 'number' && (v | 0) === v && v >= -32768 && v <= 32767)) throw invalid('short', v);
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  writeUshort(v: number): void {
    if (!(typeof v === 'number' && (v | 0) === v && v >= 0 && v <= 65535)) throw invalid('unsigned short', v);
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  writeFloat(v: number): void {
    if (typeof v !== 'number') throw invalid('float', v);
    this.ensure(4);
    this.view.setFloat32(this.pos, v);
    this.pos += 4;
  }

  /** An enum value; must be one the enum declares. */
  writeEnum(v: number, allowed: ReadonlySet<number>, enumName: string): void {
    if (typeof v !== 'number' || !allowed.has(v))
      throw new XdrError('invalid-value', `${describe(v)} is not a value of enum ${enumName}`);
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  // ---- 8-byte quantities -------------------------------------------------------------------

  writeHyper(v: bigint): void {
    if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) throw invalid('hyper', v);
    this.ensure(8);
    this.view.setBigInt64(this.pos, v);
    this.pos += 8;
  }

  writeUhyper(v: bigint): void {
    if (typeof v !== 'bigint' || v < 0n || v > UINT64_MAX) throw invalid('unsigned hyper', v);
    this.ensure(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
  }

  writeDouble(v: number): void {
    if (typeof v !== 'number') throw invalid('double', v);
    this.ensure(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }

  // ---- opaque and string -------------------------------------------------------------------

  private pad(n: number): void {
    const rem = n & 3;
    if (rem === 0) return;
    const buf = this.buf;
    let p = this.pos;
    for (let i = rem; i < 4; i++) buf[p++] = 0;
    this.pos = p;
  }

  /** Writes a length word for a variable-length item after checking it against `max`. */
  writeLength(n: number, max: number, what: string): void {
    if (n > max) throw new XdrError('length-exceeds-max', `${what}: length ${n} exceeds maximum ${max}`);
    this.writeUint(n);
  }

  /** Fixed-length opaque (`opaque x[n]`): exactly n bytes, then padding. */
  writeFixedOpaque(v: Uint8Array, n: number): void {
    if (!(v instanceof Uint8Array)) throw invalid('opaque', v);
    if (v.length !== n) throw new XdrError('invalid-length', `opaque[${n}]: got ${v.length} byte(s)`);
    this.ensure(n + 3);
    this.buf.set(v, this.pos);
    this.pos += n;
    this.pad(n);
  }

  /** Variable-length opaque (`opaque x<max>`). */
  writeVarOpaque(v: Uint8Array, max: number): void {
    if (!(v instanceof Uint8Array)) throw invalid('opaque', v);
    this.writeLength(v.length, max, 'opaque');
    this.ensure(v.length + 3);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    this.pad(v.length);
  }

  /**
   * `string x<max>`, encoded as UTF-8; `max` counts bytes. Lone surrogates are encoded as
   * U+FFFD (TextEncoder semantics).
   */
  writeString(s: string, max: number): void {
    if (typeof s !== 'string') throw invalid('string', s);
    const len = s.length;
    // UTF-8 never takes fewer bytes than UTF-16 code units, so this rejects early.
    if (len > max) throw new XdrError('length-exceeds-max', `string: length ${len}+ exceeds maximum ${max}`);
    this.ensure(4 + len * 3 + 3);
    const start = this.pos + 4;
    const buf = this.buf;
    let p = start;
    let i = 0;
    if (len <= SHORT_STRING) {
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
    }
    if (i < len) {
      const res = encoder.encodeInto(i === 0 ? s : s.slice(i), buf.subarray(p));
      p += res.written;
    }
    const n = p - start;
    if (n > max) throw new XdrError('length-exceeds-max', `string: ${n} bytes exceeds maximum ${max}`);
    this.view.setUint32(this.pos, n);
    this.pos = p;
    this.pad(n);
  }

  // ---- composites --------------------------------------------------------------------------

  /** Optional data (`T *x`): `null` (or `undefined`) → flag 0; otherwise flag 1 and the value. */
  writeOptional<T>(v: T | null | undefined, encode: (w: XdrWriter, v: T) => void): void {
    if (v === null || v === undefined) {
      this.writeInt(0);
    } else {
      this.writeInt(1);
      encode(this, v);
    }
  }

  /** Variable-length array (`T x<max>`). */
  writeArray<T>(v: readonly T[], max: number, encode: (w: XdrWriter, v: T) => void): void {
    if (!Array.isArray(v)) throw invalid('array', v);
    const n = v.length;
    this.writeLength(n, max, 'array');
    for (let i = 0; i < n; i++) encode(this, v[i] as T);
  }

  /** Fixed-length array (`T x[n]`) of non-opaque elements: exactly n elements. */
  writeFixedArray<T>(v: readonly T[], n: number, encode: (w: XdrWriter, v: T) => void): void {
    if (!Array.isArray(v)) throw invalid('array', v);
    if (v.length !== n) throw new XdrError('invalid-length', `array[${n}]: got ${v.length} element(s)`);
    for (let i = 0; i < n; i++) encode(this, v[i] as T);
  }
}
