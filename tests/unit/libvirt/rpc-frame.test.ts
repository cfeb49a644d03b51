import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  MAX_FRAME_SIZE,
  MIN_FRAME_SIZE,
  ProtocolError,
  decodeFrame,
  encodeFrame,
  encodeRawFrame,
} from '../../../main/libvirt/rpc';
import {
  REMOTE_PROGRAM,
  RemoteConnectOpenArgsCodec,
  VIR_NET_MESSAGE_MAX,
} from '../../../main/libvirt/protocol';
import { Rng } from './xdr-random';

function frameOf(serial: number, payloadLength: number, fill = serial & 0xff): Uint8Array {
  return encodeRawFrame(
    { prog: REMOTE_PROGRAM, vers: 1, proc: 3, type: 3, serial, status: 2 },
    new Uint8Array(payloadLength).fill(fill),
  );
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('FrameDecoder', () => {
  it('reassembles frames split at every possible chunk boundary', () => {
    const frames = [frameOf(1, 0), frameOf(2, 5), frameOf(3, 40), frameOf(4, 3)];
    const all = concat(frames);
    for (let cut1 = 0; cut1 <= all.length; cut1++) {
      for (let cut2 = cut1; cut2 <= all.length; cut2 += 7) {
        const d = new FrameDecoder();
        const got = [
          ...d.push(all.subarray(0, cut1)),
          ...d.push(all.subarray(cut1, cut2)),
          ...d.push(all.subarray(cut2)),
        ];
        expect(got.map((f) => Buffer.from(f).toString('hex'))).toEqual(
          frames.map((f) => Buffer.from(f).toString('hex')),
        );
        expect(d.bufferedBytes).toBe(0);
      }
    }
  });

  it('reassembles frames from random chunkings (1-byte chunks included)', () => {
    const rng = new Rng(42);
    for (let round = 0; round < 200; round++) {
      const frames = Array.from({ length: 1 + rng.int(6) }, (_, i) => frameOf(i + 1, rng.int(300)));
      const all = concat(frames);
      const d = new FrameDecoder();
      const got: Uint8Array[] = [];
      let off = 0;
      while (off < all.length) {
        const n = rng.int(4) === 0 ? 1 : 1 + rng.int(64);
        got.push(...d.push(all.subarray(off, off + n)));
        off += n;
      }
      expect(got.length).toBe(frames.length);
      got.forEach((f, i) =>
        expect(Buffer.compare(Buffer.from(f), Buffer.from(frames[i] as Uint8Array))).toBe(0),
      );
    }
  });

  it('returns a view (no copy) for a frame inside one chunk, a single copy for a split one', () => {
    const a = frameOf(1, 8);
    const d = new FrameDecoder();
    const [f] = d.push(a);
    expect(f?.buffer).toBe(a.buffer);
    const b = frameOf(2, 8);
    d.push(b.subarray(0, 10));
    const [g] = d.push(b.subarray(10));
    expect(g?.buffer).not.toBe(b.buffer);
    expect(Buffer.compare(Buffer.from(g as Uint8Array), Buffer.from(b))).toBe(0);
  });

  it('handles a large frame arriving in many small chunks in linear time', () => {
    const big = frameOf(9, 4 * 1024 * 1024);
    const d = new FrameDecoder();
    const t0 = performance.now();
    let got: Uint8Array[] = [];
    for (let off = 0; off < big.length; off += 1024) got = got.concat(d.push(big.subarray(off, off + 1024)));
    const ms = performance.now() - t0;
    expect(got.length).toBe(1);
    expect(got[0]?.length).toBe(big.length);
    expect(ms).toBeLessThan(2000);
  });

  it('rejects a length word below 28 or above VIR_NET_MESSAGE_MAX + 4', () => {
    const word = (n: number): Uint8Array => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, n);
      return b;
    };
    for (const bad of [0, 1, 4, 27, MAX_FRAME_SIZE + 1, 0xffffffff]) {
      expect(() => new FrameDecoder().push(word(bad)), String(bad)).toThrow(ProtocolError);
    }
    // The exact bounds are fine (only the length word is given: nothing is allocated yet).
    expect(new FrameDecoder().push(word(MIN_FRAME_SIZE))).toEqual([]);
    expect(new FrameDecoder().push(word(VIR_NET_MESSAGE_MAX + 4))).toEqual([]);
    // A length word split over chunks is validated too.
    const d = new FrameDecoder();
    d.push(word(MAX_FRAME_SIZE + 1).subarray(0, 2));
    expect(() => d.push(word(MAX_FRAME_SIZE + 1).subarray(2))).toThrow(/invalid frame length/);
  });

  it('encodeFrame/decodeFrame round-trip a CALL', () => {
    const f = encodeFrame(
      { prog: REMOTE_PROGRAM, vers: 1, proc: 1, type: 0, serial: 77, status: 0 },
      RemoteConnectOpenArgsCodec,
      { name: 'qemu:///system', flags: 0 },
    );
    expect(new DataView(f.buffer, f.byteOffset).getUint32(0)).toBe(f.length);
    const { header, payload } = decodeFrame(f);
    expect(header).toEqual({ prog: REMOTE_PROGRAM, vers: 1, proc: 1, type: 0, serial: 77, status: 0 });
    expect(payload.length).toBe(f.length - 28);
  });

  it('decodeFrame rejects an undeclared message type or status', () => {
    const f = frameOf(1, 0);
    new DataView(f.buffer).setInt32(16, 9);
    expect(() => decodeFrame(f)).toThrow(ProtocolError);
    const g = frameOf(1, 0);
    new DataView(g.buffer).setInt32(24, 3);
    expect(() => decodeFrame(g)).toThrow(/invalid message header/);
  });
});
