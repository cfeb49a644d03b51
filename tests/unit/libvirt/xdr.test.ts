import { describe, expect, it } from 'vitest';
import {
  XdrError,
  XdrReader,
  XdrWriter,
  xdrDecode,
  xdrEncode,
  type XdrCodec,
} from '../../../main/libvirt/xdr';
import { fromHex, hex } from './xdr-random';

function write(fn: (w: XdrWriter) => void): string {
  const w = new XdrWriter(16);
  fn(w);
  return hex(w.finish());
}

function reader(h: string): XdrReader {
  return new XdrReader(fromHex(h));
}

function xdrErrorOf(fn: () => unknown): XdrError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(XdrError);
    return e as XdrError;
  }
  throw new Error('expected an XdrError');
}

describe('XdrWriter golden bytes', () => {
  it('int / unsigned int', () => {
    expect(write((w) => w.writeInt(0))).toBe('00000000');
    expect(write((w) => w.writeInt(1))).toBe('00000001');
    expect(write((w) => w.writeInt(-1))).toBe('ffffffff');
    expect(write((w) => w.writeInt(-2147483648))).toBe('80000000');
    expect(write((w) => w.writeInt(2147483647))).toBe('7fffffff');
    expect(write((w) => w.writeUint(4294967295))).toBe('ffffffff');
    expect(write((w) => w.writeUint(2147483648))).toBe('80000000');
  });

  it('hyper / unsigned hyper as bigint, beyond 2^53', () => {
    expect(write((w) => w.writeHyper(-1n))).toBe('ffffffffffffffff');
    expect(write((w) => w.writeHyper((1n << 53n) + 1n))).toBe('0020000000000001');
    expect(write((w) => w.writeHyper(-(1n << 63n)))).toBe('8000000000000000');
    expect(write((w) => w.writeUhyper((1n << 64n) - 1n))).toBe('ffffffffffffffff');
    expect(write((w) => w.writeUhyper(0x0123456789abcdefn))).toBe('0123456789abcdef');
  });

  it('bool, float, double', () => {
    expect(write((w) => w.writeBool(true))).toBe('00000001');
    expect(write((w) => w.writeBool(false))).toBe('00000000');
    expect(write((w) => w.writeFloat(1.5))).toBe('3fc00000');
    expect(write((w) => w.writeDouble(-2))).toBe('c000000000000000');
  });

  it('rpcgen char/short are 4 bytes each', () => {
    expect(write((w) => w.writeChar(-1))).toBe('ffffffff');
    expect(write((w) => w.writeUchar(255))).toBe('000000ff');
    expect(write((w) => w.writeShort(-2))).toBe('fffffffe');
    expect(write((w) => w.writeUshort(65535))).toBe('0000ffff');
  });

  it('strings are length + UTF-8 + zero padding to 4 bytes', () => {
    expect(write((w) => w.writeString('', 10))).toBe('00000000');
    expect(write((w) => w.writeString('a', 10))).toBe('00000001' + '61000000');
    expect(write((w) => w.writeString('ab', 10))).toBe('00000002' + '61620000');
    expect(write((w) => w.writeString('abc', 10))).toBe('00000003' + '61626300');
    expect(write((w) => w.writeString('abcd', 10))).toBe('00000004' + '61626364');
    expect(write((w) => w.writeString('é', 10))).toBe('00000002' + 'c3a90000');
    expect(write((w) => w.writeString('😀', 10))).toBe('00000004' + 'f09f9880');
  });

  it('opaque: fixed has no length word, variable does; both padded', () => {
    expect(write((w) => w.writeFixedOpaque(new Uint8Array([1]), 1))).toBe('01000000');
    expect(write((w) => w.writeFixedOpaque(new Uint8Array([1, 2]), 2))).toBe('01020000');
    expect(write((w) => w.writeFixedOpaque(new Uint8Array([1, 2, 3]), 3))).toBe('01020300');
    expect(write((w) => w.writeFixedOpaque(new Uint8Array([1, 2, 3, 4]), 4))).toBe('01020304');
    expect(write((w) => w.writeVarOpaque(new Uint8Array([9]), 8))).toBe('00000001' + '09000000');
    expect(write((w) => w.writeVarOpaque(new Uint8Array([9, 8, 7]), 8))).toBe('00000003' + '09080700');
    expect(write((w) => w.writeVarOpaque(new Uint8Array(0), 8))).toBe('00000000');
  });

  it('optional: 0 for null, 1 + value when present', () => {
    expect(write((w) => w.writeOptional<number>(null, (ww, v) => ww.writeInt(v)))).toBe('00000000');
    expect(write((w) => w.writeOptional(7, (ww, v) => ww.writeInt(v)))).toBe('00000001' + '00000007');
  });

  it('arrays: variable has a count, fixed does not', () => {
    expect(write((w) => w.writeArray([1, 2], 5, (ww, v) => ww.writeInt(v)))).toBe(
      '00000002' + '00000001' + '00000002',
    );
    expect(write((w) => w.writeFixedArray([1, 2], 2, (ww, v) => ww.writeInt(v)))).toBe(
      '00000001' + '00000002',
    );
  });

  it('padding is zeroed even when the writer is reused', () => {
    const w = new XdrWriter(16);
    w.writeFixedOpaque(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 8);
    w.reset();
    w.writeString('a', 4);
    w.writeFixedOpaque(new Uint8Array([7]), 1);
    expect(hex(w.finish())).toBe('00000001' + '61000000' + '07000000');
  });

  it('grows the buffer as needed', () => {
    const w = new XdrWriter(16);
    for (let i = 0; i < 10000; i++) w.writeInt(i);
    expect(w.length).toBe(40000);
    const r = new XdrReader(w.finish());
    for (let i = 0; i < 10000; i++) expect(r.readInt()).toBe(i);
    const big = 'x'.repeat(100000);
    w.reset();
    w.writeString(big, 1 << 20);
    expect(new XdrReader(w.finish()).readString(1 << 20)).toBe(big);
  });

  it('patchUint overwrites a length word', () => {
    const w = new XdrWriter();
    w.writeUint(0);
    w.writeInt(5);
    w.patchUint(0, w.length);
    expect(hex(w.finish())).toBe('00000008' + '00000005');
  });
});

describe('XdrWriter validation', () => {
  it('rejects out-of-range and non-integral numbers', () => {
    for (const v of [2147483648, -2147483649, 1.5, NaN, Infinity]) {
      expect(xdrErrorOf(() => new XdrWriter().writeInt(v)).code).toBe('invalid-value');
    }
    for (const v of [-1, 4294967296, 0.5]) {
      expect(xdrErrorOf(() => new XdrWriter().writeUint(v)).code).toBe('invalid-value');
    }
    expect(xdrErrorOf(() => new XdrWriter().writeUint(-2147483648)).message).toMatch(/>>> 0/);
    expect(xdrErrorOf(() => new XdrWriter().writeChar(256)).code).toBe('invalid-value');
    expect(xdrErrorOf(() => new XdrWriter().writeUshort(65536)).code).toBe('invalid-value');
    expect(xdrErrorOf(() => new XdrWriter().writeShort(32768)).code).toBe('invalid-value');
  });

  it('rejects wrong JS types without TypeErrors', () => {
    const w = new XdrWriter();
    const asNumber = (v: unknown): number => v as number;
    const asBigint = (v: unknown): bigint => v as bigint;
    expect(xdrErrorOf(() => w.writeInt(asNumber(1n))).code).toBe('invalid-value');
    expect(xdrErrorOf(() => w.writeUint(asNumber('1'))).code).toBe('invalid-value');
    expect(xdrErrorOf(() => w.writeHyper(asBigint(1))).code).toBe('invalid-value');
    expect(xdrErrorOf(() => w.writeHyper(1n << 63n)).code).toBe('invalid-value');
    expect(xdrErrorOf(() => w.writeUhyper(-1n)).code).toBe('invalid-value');
    expect(xdrErrorOf(() => w.writeUhyper(1n << 64n)).code).toBe('invalid-value');
    expect(xdrErrorOf(() => w.writeBool(asNumber(1) as unknown as boolean)).code).toBe('invalid-value');
    expect(xdrErrorOf(() => w.writeString(asNumber(null) as unknown as string, 10)).code).toBe(
      'invalid-value',
    );
    expect(xdrErrorOf(() => w.writeVarOpaque([1, 2] as unknown as Uint8Array, 10)).code).toBe(
      'invalid-value',
    );
    expect(xdrErrorOf(() => w.writeArray(undefined as unknown as number[], 10, () => {})).code).toBe(
      'invalid-value',
    );
  });

  it('enforces maxima and fixed lengths', () => {
    const w = new XdrWriter();
    expect(xdrErrorOf(() => w.writeString('abcde', 4)).code).toBe('length-exceeds-max');
    expect(xdrErrorOf(() => w.writeString('éé', 3)).code).toBe('length-exceeds-max'); // 4 bytes
    expect(xdrErrorOf(() => w.writeVarOpaque(new Uint8Array(5), 4)).code).toBe('length-exceeds-max');
    expect(xdrErrorOf(() => w.writeArray([1, 2, 3], 2, (ww, v) => ww.writeInt(v))).code).toBe(
      'length-exceeds-max',
    );
    expect(xdrErrorOf(() => w.writeFixedOpaque(new Uint8Array(15), 16)).code).toBe('invalid-length');
    expect(xdrErrorOf(() => w.writeFixedArray([1], 2, (ww, v) => ww.writeInt(v))).code).toBe(
      'invalid-length',
    );
    expect(xdrErrorOf(() => w.writeEnum(3, new Set([0, 1, 2]), 'e')).code).toBe('invalid-value');
  });
});

describe('XdrReader', () => {
  it('reads every primitive back', () => {
    const r = reader(
      'ffffffff' +
        '80000000' +
        '0020000000000001' +
        'ffffffffffffffff' +
        '00000001' +
        '3fc00000' +
        'c000000000000000',
    );
    expect(r.readInt()).toBe(-1);
    expect(r.readUint()).toBe(2147483648);
    expect(r.readHyper()).toBe((1n << 53n) + 1n);
    expect(r.readUhyper()).toBe((1n << 64n) - 1n);
    expect(r.readBool()).toBe(true);
    expect(r.readFloat()).toBe(1.5);
    expect(r.readDouble()).toBe(-2);
    expect(r.remaining).toBe(0);
    r.assertEnd();
  });

  it('reads strings and opaques and skips padding', () => {
    const r = reader(
      '00000001' + '61000000' + '00000002' + 'c3a90000' + '01020300' + '00000003' + '09080700' + '00000007',
    );
    expect(r.readString(10)).toBe('a');
    expect(r.readString(10)).toBe('é');
    expect([...r.readFixedOpaque(3)]).toEqual([1, 2, 3]);
    expect([...r.readVarOpaque(10)]).toEqual([9, 8, 7]);
    expect(r.readInt()).toBe(7);
  });

  it('returns copies for opaque data', () => {
    const bytes = fromHex('01020304');
    const got = new XdrReader(bytes).readFixedOpaque(4);
    got[0] = 99;
    expect(bytes[0]).toBe(1);
  });

  it('reads optionals', () => {
    const r = reader('00000000' + '00000001' + '00000005');
    expect(r.readOptional((rr) => rr.readInt())).toBeNull();
    expect(r.readOptional((rr) => rr.readInt())).toBe(5);
  });

  it('honours a window (offset/length)', () => {
    const r = new XdrReader(fromHex('ffffffff' + '00000002' + 'ffffffff'), 4, 4);
    expect(r.readInt()).toBe(2);
    expect(xdrErrorOf(() => r.readInt()).code).toBe('truncated');
  });

  it('invalid UTF-8 is replaced by default, rejected with utf8: fatal', () => {
    expect(reader('00000002' + 'c3280000').readString(10)).toBe('\ufffd(');
    const strict = new XdrReader(fromHex('00000002' + 'c3280000'), 0, undefined, { utf8: 'fatal' });
    expect(xdrErrorOf(() => strict.readString(10)).code).toBe('invalid-utf8');
  });
});

describe('XdrReader errors', () => {
  it('truncated buffers', () => {
    expect(xdrErrorOf(() => reader('').readInt()).code).toBe('truncated');
    expect(xdrErrorOf(() => reader('000000').readUint()).code).toBe('truncated');
    expect(xdrErrorOf(() => reader('00000000').readHyper()).code).toBe('truncated');
    expect(xdrErrorOf(() => reader('0000000000').readDouble()).code).toBe('truncated');
    expect(xdrErrorOf(() => reader('010203').readFixedOpaque(3)).code).toBe('truncated'); // padding missing
    expect(xdrErrorOf(() => reader('00000003' + '616263').readString(10)).code).toBe('truncated');
    expect(xdrErrorOf(() => reader('00000002' + '00000001').readArray(5, 4, (r) => r.readInt())).code).toBe(
      'length-exceeds-buffer',
    );
  });

  it('lengths over the declared maximum', () => {
    const e = xdrErrorOf(() => reader('00000005' + '6161616161000000').readString(4));
    expect(e.code).toBe('length-exceeds-max');
    expect(e.offset).toBe(0);
    expect(xdrErrorOf(() => reader('00000011').readArray(16, 4, (r) => r.readInt())).code).toBe(
      'length-exceeds-max',
    );
    expect(xdrErrorOf(() => reader('00000009').readVarOpaque(8)).code).toBe('length-exceeds-max');
  });

  it('lengths larger than the buffer never allocate', () => {
    // 0x7fffffff elements / bytes declared, 4 bytes present.
    expect(xdrErrorOf(() => reader('7fffffff' + '00000000').readString(0xffffffff)).code).toBe(
      'length-exceeds-buffer',
    );
    expect(xdrErrorOf(() => reader('ffffffff' + '00000000').readVarOpaque(0xffffffff)).code).toBe(
      'length-exceeds-buffer',
    );
    let calls = 0;
    const e = xdrErrorOf(() =>
      reader('7fffffff' + '00000000').readArray(0xffffffff, 28, (r) => {
        calls++;
        return r.readInt();
      }),
    );
    expect(e.code).toBe('length-exceeds-buffer');
    expect(calls).toBe(0);
  });

  it('bad bool and optional flags', () => {
    expect(xdrErrorOf(() => reader('00000002').readBool()).code).toBe('invalid-bool');
    expect(xdrErrorOf(() => reader('ffffffff').readBool()).code).toBe('invalid-bool');
    expect(xdrErrorOf(() => reader('00000002' + '00000000').readOptional((r) => r.readInt())).code).toBe(
      'invalid-bool',
    );
  });

  it('out-of-range char/short and undeclared enum values', () => {
    expect(xdrErrorOf(() => reader('00000100').readChar()).code).toBe('invalid-value');
    expect(xdrErrorOf(() => reader('ffffff7f').readChar()).code).toBe('invalid-value');
    expect(reader('000000c8').readChar()).toBe(200); // unsigned-char platforms (ARM)
    expect(xdrErrorOf(() => reader('00010000').readUshort()).code).toBe('invalid-value');
    expect(xdrErrorOf(() => reader('00008000').readShort()).code).toBe('invalid-value');
    expect(xdrErrorOf(() => reader('00000003').readEnum(new Set([0, 1, 2]), 'e')).code).toBe('invalid-enum');
  });
});

describe('xdrEncode / xdrDecode', () => {
  const pair: XdrCodec<{ a: number; s: string }> = {
    name: 'pair',
    encode(w, v) {
      w.writeInt(v.a);
      w.writeString(v.s, 8);
    },
    decode(r) {
      return { a: r.readInt(), s: r.readString(8) };
    },
  };

  it('round-trips and rejects trailing bytes unless allowed', () => {
    const bytes = xdrEncode(pair, { a: -5, s: 'hi' });
    expect(hex(bytes)).toBe('fffffffb' + '00000002' + '68690000');
    expect(xdrDecode(pair, bytes)).toEqual({ a: -5, s: 'hi' });
    const longer = new Uint8Array([...bytes, 0, 0, 0, 0]);
    const e = xdrErrorOf(() => xdrDecode(pair, longer));
    expect(e.code).toBe('trailing-bytes');
    expect(e.message).toMatch(/^pair: /);
    expect(xdrDecode(pair, longer, { allowTrailing: true })).toEqual({ a: -5, s: 'hi' });
  });

  it('prefixes errors with the codec name', () => {
    expect(xdrErrorOf(() => xdrEncode(pair, { a: 1, s: 'too long!' })).message).toMatch(/^pair: string/);
    expect(xdrErrorOf(() => xdrDecode(pair, fromHex('00000001'))).message).toMatch(/^pair: need 4 byte/);
  });

  it('appends into a caller-supplied writer', () => {
    const w = new XdrWriter();
    w.writeUint(0xdeadbeef);
    const out = xdrEncode(pair, { a: 1, s: '' }, w);
    expect(hex(out)).toBe('deadbeef' + '00000001' + '00000000');
  });
});
