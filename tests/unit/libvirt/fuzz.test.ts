import { describe, expect, it } from 'vitest';
import { XdrError, XdrReader, xdrEncode } from '../../../main/libvirt/xdr';
import { xdrSchema } from '../../../main/libvirt/protocol/generated/xdr-schema.gen';
import { Rng, ValueFactory } from './xdr-random';

/** Words that tend to hit edge cases: flags, lengths near limits, discriminants, huge counts. */
const WORDS = [
  0, 1, 2, 3, 4, 7, 8, 16, 17, 255, 256, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x00400000,
  0x01000000,
];

function randomBuffer(rng: Rng, maxWords: number): Uint8Array {
  const n = rng.int(maxWords + 1);
  const b = new Uint8Array(n * 4 + (rng.bool() ? rng.int(4) : 0));
  const v = new DataView(b.buffer);
  for (let i = 0; i + 4 <= b.length; i += 4) {
    v.setUint32(i, rng.int(3) === 0 ? rng.u32() : rng.pick(WORDS));
  }
  for (let i = n * 4; i < b.length; i++) b[i] = rng.u32() & 0xff;
  return b;
}

/** Decodes and reports 'ok' or the XdrError code; anything else fails the test. */
function tryDecode(name: string, bytes: Uint8Array): string {
  const entry = xdrSchema[name];
  if (!entry) throw new Error(name);
  const r = new XdrReader(bytes);
  try {
    entry.codec.decode(r);
    if (r.pos > bytes.length) throw new Error(`${name}: read past the end`);
    return 'ok';
  } catch (e) {
    if (e instanceof XdrError) return e.code;
    throw new Error(`${name}: non-XdrError ${String(e)} for ${Buffer.from(bytes).toString('hex')}`, {
      cause: e,
    });
  }
}

describe('fuzz: every generated decoder returns or throws XdrError', () => {
  const names = Object.keys(xdrSchema);

  it('random buffers', () => {
    const rng = new Rng(20240601);
    const codes = new Map<string, number>();
    let runs = 0;
    for (const name of names) {
      for (let i = 0; i < 40; i++) {
        const code = tryDecode(name, randomBuffer(rng, i < 20 ? 6 : 40));
        codes.set(code, (codes.get(code) ?? 0) + 1);
        runs++;
      }
    }
    expect(runs).toBeGreaterThan(20000);
    // The mix shows the decoders are exercised past the first word.
    expect(codes.get('ok') ?? 0).toBeGreaterThan(100);
    expect(codes.get('truncated') ?? 0).toBeGreaterThan(100);
    expect(codes.get('length-exceeds-max') ?? 0).toBeGreaterThan(10);
    expect(codes.get('length-exceeds-buffer') ?? 0).toBeGreaterThan(10);
  });

  it('every strict prefix of a valid encoding fails as truncated; corrupted encodings never crash', () => {
    const rng = new Rng(77);
    const factory = new ValueFactory(xdrSchema, rng, { maxArray: 2, maxDepth: 3 });
    let runs = 0;
    for (const name of names) {
      const entry = xdrSchema[name];
      if (!entry) throw new Error(name);
      const bytes = xdrEncode(entry.codec, factory.forType(name));
      // Prefixes: all of them for short encodings, a sample for long ones.
      const cuts = bytes.length <= 48 ? bytes.length : 48;
      for (let k = 0; k < cuts; k++) {
        const cut = bytes.length <= 48 ? k : rng.int(bytes.length);
        expect(['truncated', 'length-exceeds-buffer'], `${name} cut at ${cut}`).toContain(
          tryDecode(name, bytes.subarray(0, cut)),
        );
        runs++;
      }
      // Corruptions: overwrite a random aligned word with an edge value, or flip a byte.
      for (let i = 0; i < 12 && bytes.length > 0; i++) {
        const copy = bytes.slice();
        const view = new DataView(copy.buffer);
        if (rng.bool() && copy.length >= 4) view.setUint32(rng.int(copy.length >> 2) * 4, rng.pick(WORDS));
        else {
          const at = rng.int(copy.length);
          copy[at] = (copy[at] ?? 0) ^ (1 << rng.int(8));
        }
        tryDecode(name, copy);
        runs++;
      }
    }
    expect(runs).toBeGreaterThan(10000);
  });

  it('huge declared lengths fail fast without allocating', () => {
    const bigs = [0x7fffffff, 0xffffffff, 0x00ffffff];
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    for (const name of names) {
      for (const big of bigs) {
        for (let lead = 0; lead < 6; lead++) {
          // `lead` small words, then a huge length word, then a little data.
          const b = new Uint8Array((lead + 3) * 4);
          const v = new DataView(b.buffer);
          for (let i = 0; i < lead; i++) v.setUint32(i * 4, 1);
          v.setUint32(lead * 4, big);
          tryDecode(name, b);
        }
      }
    }
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(256 * 1024 * 1024);
  });
});
