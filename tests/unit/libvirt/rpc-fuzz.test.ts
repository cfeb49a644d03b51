/**
 * Fuzz: random, truncated and mutated packets thrown at the frame decoder and the dispatcher.
 * The connection must never throw out of its event handlers (Vitest fails the run on any uncaught
 * exception or unhandled rejection), never hang, and when it cannot continue it must close with a
 * reason, rejecting everything that was pending.
 */
import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  RpcConnection,
  encodeFrame,
  encodeRawFrame,
  ProtocolError,
} from '../../../main/libvirt/rpc';
import { FakeLibvirtd, duplexPair, makeError } from '../../support/libvirt-fake-peer';
import {
  KEEPALIVE_PROGRAM,
  QEMU_PROGRAM,
  REMOTE_PROGRAM,
  VirNetMessageErrorCodec,
  listProcedures,
  remoteProcedures as P,
  type ProcedureInfo,
} from '../../../main/libvirt/protocol';
import { xdrSchema } from '../../../main/libvirt/protocol/generated/xdr-schema.gen';
import type { XdrCodec } from '../../../main/libvirt/xdr';
import { Rng, ValueFactory } from './xdr-random';

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`hang: ${what} after ${ms} ms`)), ms)),
  ]);
}

const messageProcs = listProcedures(REMOTE_PROGRAM).filter((p) => p.kind === 'message');
const callProcs = listProcedures(REMOTE_PROGRAM).filter((p) => p.kind === 'call');

/** A valid encoding of a random value of `codec` (via the schema), or empty for void. */
function randomBody(factory: ValueFactory, codec: XdrCodec<unknown>): Uint8Array {
  if (codec.name === 'void') return new Uint8Array(0);
  const value = factory.forType(codec.name);
  const f = encodeFrame({ prog: 0, vers: 0, proc: 0, type: 0, serial: 0, status: 0 }, codec, value);
  return f.subarray(28);
}

function randomPacket(rng: Rng, factory: ValueFactory, serials: readonly number[]): Uint8Array {
  const kind = rng.int(10);
  const prog = rng.pick([
    REMOTE_PROGRAM,
    REMOTE_PROGRAM,
    REMOTE_PROGRAM,
    KEEPALIVE_PROGRAM,
    QEMU_PROGRAM,
    rng.u32(),
  ]);
  const type = rng.pick([0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 7, rng.u32()]);
  const status = rng.pick([0, 0, 1, 2, 3, rng.u32()]);
  const serial = rng.pick([...serials, 0, 1, 2, rng.u32()]);
  let proc: number;
  let body: Uint8Array;
  if (kind < 3) {
    const info = rng.pick(messageProcs) as ProcedureInfo;
    proc = info.proc;
    body = randomBody(factory, info.msg as XdrCodec<unknown>);
  } else if (kind < 5) {
    const info = rng.pick(callProcs) as ProcedureInfo;
    proc = info.proc;
    body =
      status === 1
        ? randomBody(factory, VirNetMessageErrorCodec as XdrCodec<unknown>)
        : randomBody(factory, info.ret as XdrCodec<unknown>);
  } else {
    proc = rng.pick([1, 2, 3, 201, 211, 318, rng.u32() | 0]);
    body = rng.bytes(rng.int(64));
  }
  if (rng.int(3) === 0 && body.length > 0) body = body.subarray(0, rng.int(body.length)); // truncated payload
  return encodeRawFrame(
    { prog, vers: rng.pick([1, 1, 1, 2]), proc, type: type as 0, serial, status: status as 0 },
    body,
  );
}

function chunked(rng: Rng, bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < bytes.length;) {
    const n = 1 + rng.int(rng.bool() ? 8 : 200);
    out.push(bytes.subarray(off, off + n));
    off += n;
  }
  return out;
}

describe('fuzz: the decoder and dispatcher survive anything', () => {
  it('FrameDecoder: random byte streams either yield frames or throw ProtocolError', () => {
    const rng = new Rng(7);
    let errors = 0;
    let frames = 0;
    for (let i = 0; i < 5000; i++) {
      const d = new FrameDecoder();
      const bytes = rng.bytes(rng.int(300));
      // Bias the first word towards plausible lengths.
      if (bytes.length >= 4 && rng.bool()) new DataView(bytes.buffer).setUint32(0, 28 + rng.int(100));
      try {
        for (const c of chunked(rng, bytes)) frames += d.push(c).length;
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100);
    expect(frames).toBeGreaterThan(100);
  });

  it('thousands of connections fed random / truncated / mutated packets all close with a reason, no hang', async () => {
    const rng = new Rng(0xf00d);
    const factory = new ValueFactory(xdrSchema, rng);
    const reasons = new Map<string, number>();
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) {
      const [client, server] = duplexPair();
      const peer = new FakeLibvirtd(server);
      peer.answerUnknown = false;
      const conn = new RpcConnection(client, { callTimeoutMs: 0 });
      conn.on('message', () => {});
      conn.on('warning', () => {});
      const pending = [
        conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined).then(
          () => 'ok',
          (e: unknown) => (e as Error).name,
        ),
        conn.call(P.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, { need_results: 1, flags: 0 }).then(
          () => 'ok',
          (e: unknown) => (e as Error).name,
        ),
      ];
      const { stream } = conn.openStream(
        P.REMOTE_PROC_DOMAIN_OPEN_CONSOLE,
        { dom: { name: 'x', uuid: new Uint8Array(16), id: 1 }, dev_name: null, flags: 0 },
        { mode: 'both' },
      );
      stream.on('error', () => {});
      stream.resume();
      const serials = [1, 2, 3];
      const mode = rng.int(3);
      const parts: Uint8Array[] = [];
      for (let k = 0; k < 1 + rng.int(6); k++) {
        if (mode === 0)
          parts.push(rng.bytes(rng.int(120))); // pure garbage
        else if (mode === 1) parts.push(randomPacket(rng, factory, serials));
        else {
          // A valid packet with a few flipped bytes (length word included).
          const p = randomPacket(rng, factory, serials).slice();
          for (let f = 0; f < 1 + rng.int(3); f++) p[rng.int(p.length)] = rng.u32() & 0xff;
          parts.push(p);
        }
      }
      for (const part of parts) for (const c of chunked(rng, part)) peer.write(c);
      if (rng.int(4) === 0) {
        // Truncate mid-frame: a length word promising more than follows.
        peer.write(new Uint8Array([0, 0, 1, 0, 0, 0]));
      }
      peer.transport.end();
      const info = await within(conn.closed, 1000, `connection ${i}`);
      reasons.set(info.reason, (reasons.get(info.reason) ?? 0) + 1);
      const results = await within(Promise.all(pending), 1000, `pending calls of connection ${i}`);
      for (const r of results)
        expect(['ok', 'ConnectionClosedError', 'ProtocolError', 'LibvirtError']).toContain(r);
      expect(conn.stats).toEqual({ inFlight: 0, queued: 0, streams: 0 });
    }
    expect(reasons.get('protocol-error')).toBeGreaterThan(100);
    expect(reasons.get('peer-closed')).toBeGreaterThan(100);
    expect(performance.now() - t0).toBeLessThan(15_000);
  }, 30_000);

  it('one long-lived connection: thousands of well-framed random packets, then it still answers', async () => {
    const rng = new Rng(99);
    const factory = new ValueFactory(xdrSchema, rng);
    const [client, server] = duplexPair();
    const peer = new FakeLibvirtd(server);
    const conn = new RpcConnection(client, { callTimeoutMs: 0 });
    let messages = 0;
    let warnings = 0;
    conn.on('message', () => messages++);
    conn.on('warning', () => warnings++);
    let survived = 0;
    for (let i = 0; i < 4000 && !conn.isClosed; i++) {
      // Only types/statuses the header accepts, so framing stays intact.
      const p = randomPacket(rng, factory, [1, 2, 3]);
      const v = new DataView(p.buffer, p.byteOffset);
      v.setInt32(16, rng.pick([1, 1, 2, 2, 2, 3, 6]));
      v.setInt32(24, rng.pick([0, 1, 2]));
      peer.write(p);
      if (i % 200 === 0) await tick();
      survived++;
    }
    await tick(5);
    expect(conn.isClosed).toBe(false);
    expect(survived).toBe(4000);
    expect(messages + warnings).toBeGreaterThan(100);
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ ret: { hostname: 'still here' } }));
    await expect(
      within(conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined), 1000, 'final call'),
    ).resolves.toEqual({
      hostname: 'still here',
    });
    await conn.close();
  }, 30_000);

  it('truncated replies and errors reject only their call', async () => {
    const rng = new Rng(5);
    const [client, server] = duplexPair();
    const peer = new FakeLibvirtd(server);
    const conn = new RpcConnection(client);
    peer.handle('REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS', (c, p) => {
      const full = encodeFrame(
        { ...c.header, type: 1, status: rng.bool() ? 0 : 1 },
        (c.header.serial % 2
          ? P.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS.ret
          : VirNetMessageErrorCodec) as XdrCodec<unknown>,
        c.header.serial % 2
          ? { domains: [{ name: 'a', uuid: new Uint8Array(16), id: 1 }], ret: 1 }
          : makeError({ code: 1, message: 'boom' }),
      );
      const cut = 28 + rng.int(full.length - 28);
      p.outstanding.delete(c.header.serial);
      p.write(
        encodeRawFrame(
          { ...c.header, type: 1, status: new DataView(full.buffer).getInt32(24) as 0 },
          full.subarray(28, cut),
        ),
      );
      return { noReply: true };
    });
    for (let i = 0; i < 300; i++) {
      const r = await conn.call(P.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, { need_results: 1, flags: 0 }).then(
        () => 'ok',
        (e: unknown) => (e as Error).name,
      );
      expect(['ProtocolError', 'LibvirtError', 'ok']).toContain(r);
    }
    expect(conn.isClosed).toBe(false);
    await conn.close();
  });
});
