import { XdrError } from './errors';

/** Options for {@link XdrReader}. */
export interface XdrReaderOptions {
  /**
   * What to do with string bytes that are not valid UTF-8. libvirt strings are C strings and may
   * carry anything a guest or hypervisor put there, so the default replaces bad sequences with
   * U+FFFD rather than failing the whole message. `'fatal'` throws `XdrError('invalid-utf8')`.
   */
  readonly utf8?: 'replace' | 'fatal';
}

const replacingDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strings up to this many bytes are decoded with a JS loop when they are pure ASCII. */
const SHORT_STRING = 16;

/**
 * Short ASCII strings already seen, by a hash of their bytes: the same few hundred names come back in
 * every reply (bulk stats' typed-parameter fields `block.0.rd.bytes`, `net.0.tx.pkts`, domain names),
 * tens of thousands per stats tick with hundreds of hosts. A hit compares the bytes with the kept string
 * and returns it — no new string (building one char by char made ~n intermediate strings; the allocation
 * profile of the fleet bench had the typed-param decode as the largest allocator). Bounded: once full,
 * further strings are decoded but not kept, so a daemon sending ever new names cannot grow it.
 */
const INTERN_MAX_BYTES = 48;
const INTERN_MAX_ENTRIES = 8_192;
const interned = new Map<number, string>();

/** ASCII bytes as a string (the caller checked they are all < 0x80). */
function latin1Decode(bytes: Uint8Array, start: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('latin1');
}

/** The number of kept strings (for tests). */
export function internedStringCount(): number {
  return interned.size;
}

/** Forgets the kept strings (for tests). */
export function clearInternedStrings(): void {
  interned.clear();
}

/**
 * Reads XDR (RFC 4506) primitives from a byte buffer, big-endian, 4-byte aligned.
 *
 * Every read checks the bounds first: a value that would run past the end of the buffer throws
 * `XdrError('truncated')`, and every variable-length item checks its declared length against its
 * XDR maximum and against the bytes left *before* allocating anything, so a hostile length word
 * can never make the reader allocate more than the buffer it was given.
 *
 * Padding bytes are skipped without checking that they are zero (as glibc's xdrmem does).
 */
export class XdrReader {
  readonly bytes: Uint8Array;
  /** Current read position (absolute index into `bytes`). */
  pos: number;
  /** One past the last readable byte (absolute index into `bytes`). */
  readonly end: number;
  private readonly view: DataView;
  private readonly fatalUtf8: boolean;

  constructor(bytes: Uint8Array, offset = 0, length?: number, options?: XdrReaderOptions) {
    const end = length === undefined ? bytes.length : offset + length;
    if (
      !Number.isInteger(offset) ||
      offset < 0 ||
      !Number.isInteger(end) ||
      end < offset ||
      end > bytes.length
    ) {
      throw new RangeError(
        `XdrReader: bad window offset=${offset} length=${String(length)} for ${bytes.length} bytes`,
      );
    }
    this.bytes = bytes;
    this.pos = offset;
    this.end = end;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.fatalUtf8 = options?.utf8 === 'fatal';
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws `XdrError('trailing-bytes')` unless everything has been read. */
  assertEnd(what = 'value'): void {
    if (this.pos !== this.end) {
      throw new XdrError('trailing-bytes', `${this.end - this.pos} trailing byte(s) after ${what}`, this.pos);
    }
  }

  private truncated(need: number): XdrError {
    return new XdrError('truncated', `need ${need} byte(s), ${this.end - this.pos} left`, this.pos);
  }

  // ---- 4-byte quantities -------------------------------------------------------------------

  readInt(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw this.truncated(4);
    this.pos = p + 4;
    return this.view.getInt32(p);
  }

  readUint(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw this.truncated(4);
    this.pos = p + 4;
    return this.view.getUint32(p);
  }

  readBool(): boolean {
    const p = this.pos;
    const v = this.readInt();
    if (v === 0) return false;
    if (v === 1) return true;
    throw new XdrError('invalid-bool', `bool must be 0 or 1, got ${v}`, p);
  }

  /**
   * rpcgen `char`: an int on the wire. C `char` is signed on x86 but unsigned on ARM, so both
   * -128..127 and 128..255 are accepted (and kept as sent, so re-encoding gives the same bytes).
   */
  readChar(): number {
    const p = this.pos;
    const v = this.readInt();
    if (v < -128 || v > 255) throw new XdrError('invalid-value', `char out of range: ${v}`, p);
    return v;
  }

  readUchar(): number {
    const p = this.pos;
    const v = this.readUint();
    if (v > 255) throw new XdrError('invalid-value', `unsigned char out of range: ${v}`, p);
    return v;
  }

  readShort(): number {
    const p = this.pos;
    const v = this.readInt();
    if (v < -32768 || v > 32767) throw new XdrError('invalid-value', `short out of range: ${v}`, p);
    return v;
  }

  readUshort(): number {
    const p = this.pos;
    const v = this.readUint();
    if (v > 65535) throw new XdrError('invalid-value', `unsigned short out of range: ${v}`, p);
    return v;
  }

  readFloat(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw this.truncated(4);
    this.pos = p + 4;
    return this.view.getFloat32(p);
  }

  /** An enum value; throws `XdrError('invalid-enum')` for values the enum does not declare. */
  readEnum<T extends number>(allowed: ReadonlySet<T>, enumName: string): T {
    const p = this.pos;
    const v = this.readInt();
    if (!(allowed as ReadonlySet<number>).has(v)) {
      throw new XdrError('invalid-enum', `${v} is not a value of enum ${enumName}`, p);
    }
    return v as T;
  }

  // ---- 8-byte quantities -------------------------------------------------------------------

  readHyper(): bigint {
    const p = this.pos;
    if (p + 8 > this.end) throw this.truncated(8);
    this.pos = p + 8;
    return this.view.getBigInt64(p);
  }

  readUhyper(): bigint {
    const p = this.pos;
    if (p + 8 > this.end) throw this.truncated(8);
    this.pos = p + 8;
    return this.view.getBigUint64(p);
  }

  readDouble(): number {
    const p = this.pos;
    if (p + 8 > this.end) throw this.truncated(8);
    this.pos = p + 8;
    return this.view.getFloat64(p);
  }

  // ---- opaque and string -------------------------------------------------------------------

  /**
   * Reads a length word for a variable-length item and validates it against `max` and against
   * the bytes left, given that each unit takes at least `minUnitSize` bytes on the wire.
   */
  readLength(max: number, minUnitSize: number, what: string): number {
    const p = this.pos;
    const n = this.readUint();
    if (n > max) {
      throw new XdrError('length-exceeds-max', `${what}: length ${n} exceeds maximum ${max}`, p);
    }
    if (minUnitSize > 0 && n > (this.end - this.pos) / minUnitSize) {
      throw new XdrError(
        'length-exceeds-buffer',
        `${what}: length ${n} needs at least ${n * minUnitSize} byte(s), ${this.end - this.pos} left`,
        p,
      );
    }
    return n;
  }

  /** Fixed-length opaque data (`opaque x[n]`): n bytes plus padding. Returns a copy. */
  readFixedOpaque(n: number): Uint8Array {
    const p = this.pos;
    const padded = (n + 3) & ~3;
    if (p + padded > this.end) throw this.truncated(padded);
    this.pos = p + padded;
    return this.bytes.slice(p, p + n);
  }

  /** Variable-length opaque data (`opaque x<max>`). Returns a copy. */
  readVarOpaque(max: number): Uint8Array {
    const n = this.readLength(max, 1, 'opaque');
    return this.readFixedOpaque(n);
  }

  /** `string x<max>`, UTF-8. `max` counts bytes. */
  readString(max: number): string {
    const n = this.readLength(max, 1, 'string');
    const p = this.pos;
    const padded = (n + 3) & ~3;
    if (p + padded > this.end) throw this.truncated(padded);
    this.pos = p + padded;
    const bytes = this.bytes;
    if (n <= INTERN_MAX_BYTES) {
      // FNV-1a over the bytes (and the length), stopping at the first non-ASCII byte.
      let hash = 0x811c9dc5 ^ n;
      let i = p;
      const e = p + n;
      for (; i < e; i++) {
        const b = bytes[i] as number;
        if (b >= 0x80) break;
        hash = Math.imul(hash ^ b, 0x01000193);
      }
      if (i === e) {
        const known = interned.get(hash);
        if (known !== undefined && known.length === n) {
          let same = true;
          for (let j = 0; j < n; j++) {
            if (known.charCodeAt(j) !== bytes[p + j]) {
              same = false;
              break;
            }
          }
          if (same) return known;
        }
        const text = latin1Decode(bytes, p, n);
        if (known === undefined && interned.size < INTERN_MAX_ENTRIES) interned.set(hash, text);
        return text;
      }
    }
    if (n <= SHORT_STRING) {
      let s = '';
      let i = p;
      const e = p + n;
      for (; i < e; i++) {
        const b = bytes[i] as number;
        if (b >= 0x80) break;
        s += String.fromCharCode(b);
      }
      if (i === e) return s;
    }
    try {
      return (this.fatalUtf8 ? fatalDecoder : replacingDecoder).decode(bytes.subarray(p, p + n));
    } catch (e) {
      throw new XdrError('invalid-utf8', `string is not valid UTF-8: ${String(e)}`, p);
    }
  }

  // ---- composites --------------------------------------------------------------------------

  /** Optional data (`T *x`): a bool flag, then the value when the flag is 1. */
  readOptional<T>(decode: (r: XdrReader) => T): T | null {
    return this.readBool() ? decode(this) : null;
  }

  /**
   * Variable-length array (`T x<max>`). `minElementSize` is the smallest wire size of one
   * element; it bounds the declared count by the bytes left before anything is allocated.
   */
  readArray<T>(max: number, minElementSize: number, decode: (r: XdrReader) => T): T[] {
    const n = this.readLength(max, minElementSize, 'array');
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(decode(this));
    return out;
  }

  /** Fixed-length array (`T x[n]`) of non-opaque elements. */
  readFixedArray<T>(n: number, decode: (r: XdrReader) => T): T[] {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(decode(this));
    return out;
  }
}
