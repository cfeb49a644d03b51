import { afterEach, describe, expect, it } from 'vitest';
import {
  CallAbortedError,
  CallTimeoutError,
  ConnectionClosedError,
  LibvirtError,
  ProtocolError,
  RpcConnection,
  StreamOverflowError,
  encodeRawFrame,
  type RpcMessage,
  type RpcStream,
} from '../../../main/libvirt/rpc';
import { FakeLibvirtd, duplexPair, type FakeCall } from '../../support/libvirt-fake-peer';
import {
  KEEPALIVE_PROGRAM,
  REMOTE_PROGRAM,
  remoteProcedures as P,
  type RemoteNonnullDomain,
} from '../../../main/libvirt/protocol';

const dom: RemoteNonnullDomain = { name: 'vm1', uuid: new Uint8Array(16).fill(7), id: 3 };
const open: RpcConnection[] = [];

function setup(options: ConstructorParameters<typeof RpcConnection>[1] = {}): {
  conn: RpcConnection;
  peer: FakeLibvirtd;
} {
  const [client, server] = duplexPair();
  const peer = new FakeLibvirtd(server);
  const conn = new RpcConnection(client, options);
  open.push(conn);
  return { conn, peer };
}

afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await tick(2);
  }
}

function closedOf(stream: RpcStream): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((r) => stream.once('close', () => r()));
}

function collect(stream: RpcStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (b: Buffer) => parts.push(b));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

describe('RpcConnection: calls', () => {
  it('resolves a call with its decoded reply', async () => {
    const { conn, peer } = setup();
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ ret: { hostname: 'host-a' } }));
    await expect(conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined)).resolves.toEqual({
      hostname: 'host-a',
    });
  });

  it('matches out-of-order replies by serial', async () => {
    const { conn, peer } = setup();
    const held: FakeCall[] = [];
    peer.handle('REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME', (c) => {
      held.push(c);
      return { noReply: true };
    });
    const names = ['a', 'b', 'c', 'd'];
    const results = names.map((name) => conn.call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME, { name }));
    await until(() => held.length === 4);
    for (const c of [...held].reverse()) {
      const name = (c.args as { name: string }).name;
      peer.reply(c, { dom: { ...dom, name: `dom-${name}` } });
    }
    const got = await Promise.all(results);
    expect(got.map((r) => r.dom.name)).toEqual(['dom-a', 'dom-b', 'dom-c', 'dom-d']);
  });

  it('never has more than 4 calls outstanding; the rest queue and all complete', async () => {
    const { conn, peer } = setup();
    const held: FakeCall[] = [];
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', (c) => {
      held.push(c);
      return { noReply: true };
    });
    const calls = Array.from({ length: 25 }, () => conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined));
    let answered = 0;
    while (answered < 25) {
      await until(() => held.length > 0);
      expect(peer.outstanding.size).toBeLessThanOrEqual(4);
      expect(conn.stats.inFlight).toBeLessThanOrEqual(4);
      // Answer a random outstanding one (out of order).
      const i = Math.floor(Math.random() * held.length);
      const [c] = held.splice(i, 1);
      peer.reply(c as FakeCall, { hostname: `h${answered++}` });
      await tick();
    }
    await Promise.all(calls);
    expect(peer.maxOutstanding).toBe(4);
    expect(peer.calls.length).toBe(25);
  });

  it('coalesces frames written in the same tick into one transport write (Nagle-proof batches)', async () => {
    const [client, server] = duplexPair();
    const peer = new FakeLibvirtd(server);
    const sizes: number[] = [];
    const w = client as unknown as { write: (chunk: Uint8Array, ...rest: unknown[]) => boolean };
    const orig = w.write.bind(client);
    w.write = (chunk, ...rest) => {
      sizes.push(chunk.length);
      return orig(chunk, ...rest);
    };
    const conn = new RpcConnection(client);
    open.push(conn);
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ ret: { hostname: 'h' } }));
    peer.handle('REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS', () => ({ ret: { domains: [], ret: 0 } }));
    await Promise.all([
      conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined),
      Promise.resolve().then(() =>
        conn.call(P.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, { need_results: 1, flags: 0 }),
      ),
    ]);
    expect(sizes.length).toBe(1);
    expect(peer.calls.length).toBe(2);
  });

  it('honours a custom in-flight limit', async () => {
    const { conn, peer } = setup({ maxInFlight: 2 });
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', (c, p) => {
      setTimeout(() => p.reply(c, { hostname: 'x' }), 5);
      return { noReply: true };
    });
    await Promise.all(
      Array.from({ length: 10 }, () => conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined)),
    );
    expect(peer.maxOutstanding).toBe(2);
  });

  it('times out a call; its late reply is dropped silently and frees the slot', async () => {
    const { conn, peer } = setup({ maxInFlight: 1 });
    let first: FakeCall | undefined;
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', (c) => {
      first = c;
      return { noReply: true };
    });
    const warnings: Error[] = [];
    conn.on('warning', (e) => warnings.push(e));
    const err = await conn
      .call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined, { timeoutMs: 30 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallTimeoutError);
    expect((err as CallTimeoutError).sent).toBe(true);
    // The daemon still works on it: the slot stays taken (limit 1 → the next call waits).
    peer.handle('REMOTE_PROC_CONNECT_GET_TYPE', () => ({ ret: { type: 'QEMU' } }));
    const next = conn.call(P.REMOTE_PROC_CONNECT_GET_TYPE, undefined);
    await tick(20);
    expect(conn.stats).toMatchObject({ inFlight: 1, queued: 1 });
    peer.reply(first as FakeCall, { hostname: 'late' }); // late reply: dropped, slot freed
    await expect(next).resolves.toEqual({ type: 'QEMU' });
    expect(conn.isClosed).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('a call that times out while queued is never sent', async () => {
    const { conn, peer } = setup({ maxInFlight: 1 });
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ noReply: true }));
    void conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined).catch(() => {});
    const err = await conn
      .call(P.REMOTE_PROC_CONNECT_GET_TYPE, undefined, { timeoutMs: 20 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallTimeoutError);
    expect((err as CallTimeoutError).sent).toBe(false);
    await tick(10);
    expect(peer.calls.map((c) => c.info?.name)).toEqual(['REMOTE_PROC_CONNECT_GET_HOSTNAME']);
  });

  it('supports AbortSignal', async () => {
    const { conn, peer } = setup();
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ noReply: true }));
    const ac = new AbortController();
    const p = conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CallAbortedError);
  });

  it('decodes remote_error into a LibvirtError with every field', async () => {
    const { conn, peer } = setup();
    peer.handle('REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME', () => ({
      error: {
        code: 42,
        domain: 10,
        message: "Domain not found: no domain with matching name 'nope'",
        level: 2,
        str1: 'Domain not found',
        str2: 'nope',
        str3: null,
        int1: 5,
        int2: -1,
        dom: dom,
      },
    }));
    const err = await conn
      .call(P.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME, { name: 'nope' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    const e = err as LibvirtError;
    expect(e.message).toBe("Domain not found: no domain with matching name 'nope'");
    expect(e).toMatchObject({
      code: 42,
      codeName: 'VIR_ERR_NO_DOMAIN',
      domain: 10,
      domainName: 'VIR_FROM_QEMU',
      level: 2,
      str1: 'Domain not found',
      str2: 'nope',
      str3: null,
      int1: 5,
      int2: -1,
      procedure: 'REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME',
    });
    expect(e.dom?.name).toBe('vm1');
    expect(conn.isClosed).toBe(false);
  });

  it('rejects a reply that does not decode, without closing the connection', async () => {
    const { conn, peer } = setup();
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', (c, p) => {
      p.outstanding.delete(c.header.serial);
      p.write(encodeRawFrame({ ...c.header, type: 1, status: 0 }, new Uint8Array([0, 0, 0, 9])));
      return { noReply: true };
    });
    await expect(conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined)).rejects.toBeInstanceOf(
      ProtocolError,
    );
    expect(conn.isClosed).toBe(false);
  });

  it('rejects argument encoding errors synchronously-ish (before sending)', async () => {
    const { conn, peer } = setup();
    await expect(
      conn.call(P.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, { need_results: 1, flags: -1 }),
    ).rejects.toThrow(/cannot encode/);
    expect(peer.calls.length).toBe(0);
  });
});

describe('RpcConnection: events and keepalive', () => {
  it('dispatches events by program + procedure, even with serial 1 while call serial 1 is pending', async () => {
    const { conn, peer } = setup();
    let pending: FakeCall | undefined;
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', (c) => {
      pending = c;
      return { noReply: true };
    });
    const messages: RpcMessage[] = [];
    conn.on('message', (m) => messages.push(m));
    const call = conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined);
    await until(() => pending !== undefined);
    expect(pending?.header.serial).toBe(1);
    peer.sendEvent(
      'REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE',
      { callbackID: 0, msg: { dom, event: 2, detail: 0 } },
      1,
    );
    await until(() => messages.length === 1);
    expect(messages[0]?.info.name).toBe('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE');
    expect(messages[0]?.body).toEqual({ callbackID: 0, msg: { dom, event: 2, detail: 0 } });
    peer.reply(pending as FakeCall, { hostname: 'still-mine' });
    await expect(call).resolves.toEqual({ hostname: 'still-mine' });
  });

  it('ignores unknown event procedures and programs; drops undecodable events with a warning', async () => {
    const { conn, peer } = setup();
    const messages: RpcMessage[] = [];
    const warnings: Error[] = [];
    conn.on('message', (m) => messages.push(m));
    conn.on('warning', (w) => warnings.push(w));
    peer.write(
      encodeRawFrame(
        { prog: REMOTE_PROGRAM, vers: 1, proc: 99999, type: 2, serial: 1, status: 0 },
        new Uint8Array(8),
      ),
    );
    peer.write(encodeRawFrame({ prog: 0x12345678, vers: 1, proc: 1, type: 2, serial: 1, status: 0 }, null));
    // A known event procedure with a truncated payload.
    peer.write(
      encodeRawFrame(
        { prog: REMOTE_PROGRAM, vers: 1, proc: 318, type: 2, serial: 1, status: 0 },
        new Uint8Array(4),
      ),
    );
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ ret: { hostname: 'alive' } }));
    await expect(conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined)).resolves.toEqual({
      hostname: 'alive',
    });
    expect(messages).toEqual([]);
    expect(warnings.length).toBe(1);
    expect(conn.isClosed).toBe(false);
  });

  it('a throwing event listener does not break the connection', async () => {
    const { conn, peer } = setup();
    conn.on('message', () => {
      throw new Error('listener bug');
    });
    const warnings: Error[] = [];
    conn.on('warning', (w) => warnings.push(w));
    peer.sendEvent('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_REBOOT', { callbackID: 1, msg: { dom } });
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ ret: { hostname: 'ok' } }));
    await expect(conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined)).resolves.toEqual({
      hostname: 'ok',
    });
    expect(warnings.map((w) => w.message)).toEqual(['listener bug']);
  });

  it('answers a keepalive PING with a PONG (serial 0, type MESSAGE)', async () => {
    const { peer } = setup();
    peer.sendKeepalive(1);
    await until(() => peer.packets.some((p) => p.header.prog === KEEPALIVE_PROGRAM));
    const pong = peer.packets.find((p) => p.header.prog === KEEPALIVE_PROGRAM);
    expect(pong?.header).toEqual({
      prog: KEEPALIVE_PROGRAM,
      vers: 1,
      proc: 2,
      type: 2,
      serial: 0,
      status: 0,
    });
    expect(pong?.payload.length).toBe(0);
  });

  it('pings an idle peer and keeps the connection while it answers', async () => {
    const { conn, peer } = setup();
    conn.startKeepalive({ intervalMs: 20, count: 2 });
    await tick(200);
    expect(conn.isClosed).toBe(false);
    const pings = peer.packets.filter((p) => p.header.prog === KEEPALIVE_PROGRAM && p.header.proc === 1);
    expect(pings.length).toBeGreaterThanOrEqual(3);
  });

  it('declares a silent peer dead after count unanswered PINGs and rejects pending calls', async () => {
    const { conn, peer } = setup();
    peer.answerPings = false;
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ noReply: true }));
    const interval = 30;
    const count = 3;
    const t0 = performance.now();
    conn.startKeepalive({ intervalMs: interval, count });
    const pending = conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined).catch((e: unknown) => e);
    const info = await conn.closed;
    const elapsed = performance.now() - t0;
    expect(info.reason).toBe('keepalive-timeout');
    expect(elapsed).toBeGreaterThanOrEqual(interval * count);
    expect(elapsed).toBeLessThan(interval * (count + 1) + 150);
    const pings = peer.packets.filter((p) => p.header.prog === KEEPALIVE_PROGRAM && p.header.proc === 1);
    expect(pings.length).toBe(count);
    const err = await pending;
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(err).toMatchObject({ reason: 'keepalive-timeout', sent: true });
  });
});

describe('RpcConnection: streams', () => {
  it('keeps stream data that arrives before the REPLY (screenshot), then finishes the stream', async () => {
    const { conn, peer } = setup();
    peer.handle('REMOTE_PROC_DOMAIN_SCREENSHOT', (c, p) => {
      p.sendStreamData(c, Buffer.from('P6\n'));
      p.sendStreamData(c, Buffer.from('640 480\n255\n'));
      p.reply(c, { mime: 'image/x-portable-pixmap' });
      p.sendStreamData(c, Buffer.from('pixels'));
      p.sendStreamEof(c);
      return { noReply: true };
    });
    peer.on('stream', (pkt) => {
      // The client's finish (STREAM/OK) is confirmed.
      if (pkt.header.status === 0) {
        const call = peer.calls.find((c) => c.header.serial === pkt.header.serial) as FakeCall;
        peer.sendStreamOk(call);
      }
    });
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_DOMAIN_SCREENSHOT,
      { dom, screen: 0, flags: 0 },
      { mode: 'read' },
    );
    const data = collect(stream);
    await expect(reply).resolves.toEqual({ mime: 'image/x-portable-pixmap' });
    expect((await data).toString()).toBe('P6\n640 480\n255\npixels');
    await closedOf(stream);
    expect(conn.stats.streams).toBe(0);
  });

  it('holds data that precedes a late REPLY even when the consumer attaches afterwards', async () => {
    const { conn, peer } = setup();
    let call: FakeCall | undefined;
    peer.handle('REMOTE_PROC_DOMAIN_OPEN_CONSOLE', (c, p) => {
      call = c;
      p.sendStreamData(c, Buffer.from('early '));
      return { noReply: true };
    });
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_DOMAIN_OPEN_CONSOLE,
      { dom, dev_name: null, flags: 0 },
      { mode: 'both' },
    );
    await until(() => call !== undefined);
    await tick(10);
    peer.reply(call as FakeCall, undefined);
    await reply;
    peer.sendStreamData(call as FakeCall, Buffer.from('late'));
    const got: Buffer[] = [];
    stream.on('data', (b: Buffer) => got.push(b));
    await until(() => Buffer.concat(got).toString() === 'early late');
    stream.destroy();
  });

  it('EOF handshake: empty CONTINUE → client STREAM/OK → daemon STREAM/OK → end + close', async () => {
    const { conn, peer } = setup();
    let call: FakeCall | undefined;
    peer.handle('REMOTE_PROC_STORAGE_VOL_DOWNLOAD', (c) => {
      call = c;
      return { ret: undefined };
    });
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_STORAGE_VOL_DOWNLOAD,
      { vol: { pool: 'p', name: 'v', key: 'k' }, offset: 0n, length: 0n, flags: 0 },
      { mode: 'read' },
    );
    await reply;
    const data = collect(stream);
    const c = call as FakeCall;
    peer.sendStreamData(c, Buffer.alloc(1000, 1));
    peer.sendStreamEof(c);
    await until(() => peer.streamPackets(c).length === 1);
    const [fin] = peer.streamPackets(c);
    expect(fin?.header).toMatchObject({ type: 3, status: 0, serial: c.header.serial, proc: c.header.proc });
    expect(fin?.payload.length).toBe(0);
    let ended = false;
    stream.on('end', () => (ended = true));
    await tick(20);
    expect(ended).toBe(false); // EOF is delivered only once the daemon confirmed the finish
    peer.sendStreamOk(c);
    expect((await data).length).toBe(1000);
    await closedOf(stream);
  });

  it('a finish that the daemon rejects surfaces as a stream error', async () => {
    const { conn, peer } = setup();
    let call: FakeCall | undefined;
    peer.handle('REMOTE_PROC_STORAGE_VOL_DOWNLOAD', (c) => {
      call = c;
      return { ret: undefined };
    });
    peer.on('stream', (pkt) => {
      if (pkt.header.status === 0)
        peer.write(peer.errorFrame({ ...pkt.header, type: 3 }, { code: 1, message: 'disk on fire' }));
    });
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_STORAGE_VOL_DOWNLOAD,
      { vol: { pool: 'p', name: 'v', key: 'k' }, offset: 0n, length: 0n, flags: 0 },
      { mode: 'read' },
    );
    await reply;
    const done = collect(stream);
    peer.sendStreamEof(call as FakeCall);
    await expect(done).rejects.toThrow('disk on fire');
  });

  it('upload: splits into packets, waits for the REPLY before sending, finishes on end()', async () => {
    const { conn, peer } = setup();
    let call: FakeCall | undefined;
    peer.handle('REMOTE_PROC_STORAGE_VOL_UPLOAD', (c) => {
      call = c;
      return { noReply: true };
    });
    peer.on('stream', (pkt) => {
      if (pkt.header.status === 0) peer.sendStreamOk(call as FakeCall);
    });
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_STORAGE_VOL_UPLOAD,
      { vol: { pool: 'p', name: 'v', key: 'k' }, offset: 0n, length: 0n, flags: 0 },
      { mode: 'write', packetSize: 1000 },
    );
    const finished = new Promise((r) => stream.on('finish', r));
    stream.write(Buffer.alloc(2500, 9));
    stream.write(Buffer.alloc(0)); // must not become an EOF packet
    stream.end(Buffer.from('tail'));
    await until(() => call !== undefined);
    await tick(20);
    expect(peer.streamPackets(call as FakeCall)).toEqual([]); // nothing before the REPLY
    peer.reply(call as FakeCall, undefined);
    await reply;
    await finished;
    const pkts = peer.streamPackets(call as FakeCall);
    expect(pkts.map((p) => [p.header.status, p.payload.length])).toEqual([
      [2, 1000],
      [2, 1000],
      [2, 500],
      [2, 4],
      [0, 0],
    ]);
  });

  it('destroy() aborts with an empty STREAM/ERROR and later data is dropped', async () => {
    const { conn, peer } = setup();
    let call: FakeCall | undefined;
    peer.handle('REMOTE_PROC_DOMAIN_OPEN_CONSOLE', (c) => {
      call = c;
      return { ret: undefined };
    });
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_DOMAIN_OPEN_CONSOLE,
      { dom, dev_name: null, flags: 1 },
      { mode: 'both' },
    );
    await reply;
    stream.write('echo hi\r');
    await until(() => peer.streamPackets(call as FakeCall).length === 1);
    stream.destroy();
    await until(() => peer.streamPackets(call as FakeCall).length === 2);
    const abort = peer.streamPackets(call as FakeCall)[1];
    expect(abort?.header.status).toBe(1);
    expect(abort?.payload.length).toBe(0);
    peer.sendStreamData(call as FakeCall, Buffer.from('dropped'));
    peer.sendStreamOk(call as FakeCall); // abort confirmation
    await until(() => conn.stats.streams === 0);
    expect(conn.isClosed).toBe(false);
  });

  it('a slow consumer overflows its bounded buffer: the stream is aborted, the connection lives', async () => {
    const { conn, peer } = setup();
    let call: FakeCall | undefined;
    peer.handle('REMOTE_PROC_STORAGE_VOL_DOWNLOAD', (c) => {
      call = c;
      return { ret: undefined };
    });
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ ret: { hostname: 'fine' } }));
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_STORAGE_VOL_DOWNLOAD,
      { vol: { pool: 'p', name: 'v', key: 'k' }, offset: 0n, length: 0n, flags: 0 },
      { mode: 'read', maxBufferedBytes: 64 * 1024 },
    );
    await reply;
    const error = new Promise<unknown>((r) => stream.on('error', r));
    for (let i = 0; i < 10; i++) peer.sendStreamData(call as FakeCall, Buffer.alloc(16 * 1024)); // nobody reads
    expect(await error).toBeInstanceOf(StreamOverflowError);
    await until(() => peer.streamPackets(call as FakeCall).some((p) => p.header.status === 1));
    await expect(conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined)).resolves.toEqual({
      hostname: 'fine',
    });
  });

  it('sparse streams deliver holes in order (object mode) and send holes', async () => {
    const { conn, peer } = setup();
    let call: FakeCall | undefined;
    peer.handle('REMOTE_PROC_STORAGE_VOL_DOWNLOAD', (c) => {
      call = c;
      return { ret: undefined };
    });
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_STORAGE_VOL_DOWNLOAD,
      { vol: { pool: 'p', name: 'v', key: 'k' }, offset: 0n, length: 0n, flags: 1 },
      { mode: 'read', sparse: true },
    );
    await reply;
    const items: unknown[] = [];
    stream.on('data', (x: unknown) => items.push(x));
    const c = call as FakeCall;
    peer.sendStreamData(c, Buffer.from('head'));
    peer.sendStreamHole(c, 1n << 40n);
    peer.sendStreamData(c, Buffer.from('tail'));
    await until(() => items.length === 3);
    expect(items[0]).toEqual(Buffer.from('head'));
    expect(items[1]).toEqual({ hole: 1n << 40n });
    expect(items[2]).toEqual(Buffer.from('tail'));
    stream.destroy();
  });

  it('a hole on a non-sparse stream fails that stream only', async () => {
    const { conn, peer } = setup();
    let call: FakeCall | undefined;
    peer.handle('REMOTE_PROC_STORAGE_VOL_DOWNLOAD', (c) => {
      call = c;
      return { ret: undefined };
    });
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_STORAGE_VOL_DOWNLOAD,
      { vol: { pool: 'p', name: 'v', key: 'k' }, offset: 0n, length: 0n, flags: 0 },
      { mode: 'read' },
    );
    await reply;
    const err = new Promise<unknown>((r) => stream.on('error', r));
    peer.sendStreamHole(call as FakeCall, 10n);
    expect(await err).toBeInstanceOf(ProtocolError);
    expect(conn.isClosed).toBe(false);
  });

  it('an error reply to the opening call destroys the stream with the LibvirtError', async () => {
    const { conn, peer } = setup();
    peer.handle('REMOTE_PROC_DOMAIN_OPEN_CONSOLE', () => ({
      error: { code: 55, message: 'Active console session exists for this domain' },
    }));
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_DOMAIN_OPEN_CONSOLE,
      { dom, dev_name: null, flags: 0 },
      { mode: 'both' },
    );
    const streamErr = new Promise<unknown>((r) => stream.on('error', r));
    await expect(reply).rejects.toBeInstanceOf(LibvirtError);
    expect(await streamErr).toBeInstanceOf(LibvirtError);
    expect(conn.stats.streams).toBe(0);
  });

  it('the daemon aborting a stream (STREAM/ERROR) errors it', async () => {
    const { conn, peer } = setup();
    let call: FakeCall | undefined;
    peer.handle('REMOTE_PROC_DOMAIN_OPEN_CONSOLE', (c) => {
      call = c;
      return { ret: undefined };
    });
    const { stream, reply } = conn.openStream(
      P.REMOTE_PROC_DOMAIN_OPEN_CONSOLE,
      { dom, dev_name: null, flags: 0 },
      { mode: 'both' },
    );
    await reply;
    const err = new Promise<unknown>((r) => stream.on('error', r));
    peer.sendStreamError(call as FakeCall, { code: 1, message: 'stream had I/O failure' });
    expect(await err).toMatchObject({ name: 'LibvirtError', message: 'stream had I/O failure' });
    expect(conn.stats.streams).toBe(0);
  });
});

describe('RpcConnection: close', () => {
  it('local close rejects queued (sent=false) and in-flight (sent=true) calls, ends streams, emits close once', async () => {
    const { conn, peer } = setup({ maxInFlight: 1 });
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ noReply: true }));
    peer.handle('REMOTE_PROC_DOMAIN_OPEN_CONSOLE', () => ({ noReply: true }));
    const closes: unknown[] = [];
    conn.on('close', (i) => closes.push(i));
    const a = conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined).catch((e: unknown) => e);
    const b = conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined).catch((e: unknown) => e);
    const { stream } = conn.openStream(
      P.REMOTE_PROC_DOMAIN_OPEN_CONSOLE,
      { dom, dev_name: null, flags: 0 },
      { mode: 'both' },
    );
    const streamErr = new Promise<unknown>((r) => stream.on('error', r));
    await until(() => peer.calls.length === 1);
    await conn.close();
    await conn.close();
    expect(await a).toMatchObject({ name: 'ConnectionClosedError', reason: 'local-close', sent: true });
    expect(await b).toMatchObject({ name: 'ConnectionClosedError', reason: 'local-close', sent: false });
    expect(await streamErr).toBeInstanceOf(ConnectionClosedError);
    expect(closes.length).toBe(1);
    expect(conn.stats).toEqual({ inFlight: 0, queued: 0, streams: 0 });
    await expect(conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined)).rejects.toMatchObject({
      sent: false,
    });
  });

  it('peer closing the transport closes with reason peer-closed', async () => {
    const { conn, peer } = setup();
    peer.handle('REMOTE_PROC_CONNECT_GET_HOSTNAME', () => ({ noReply: true }));
    const p = conn.call(P.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined).catch((e: unknown) => e);
    await until(() => peer.calls.length === 1);
    peer.transport.end();
    expect((await conn.closed).reason).toBe('peer-closed');
    expect(await p).toMatchObject({ reason: 'peer-closed', sent: true });
  });

  it('a peer closing mid-frame is reported as such', async () => {
    const { conn, peer } = setup();
    peer.write(new Uint8Array([0, 0, 0, 40, 1, 2]));
    peer.transport.end();
    const info = await conn.closed;
    expect(info.reason).toBe('peer-closed');
    expect(info.error.message).toMatch(/middle of a message/);
  });

  it('a bad length word closes the connection with a protocol error', async () => {
    const { conn, peer } = setup();
    peer.write(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    const info = await conn.closed;
    expect(info.reason).toBe('protocol-error');
    expect(info.error.message).toMatch(/invalid frame length/);
  });

  it('a CALL from the daemon is a protocol error', async () => {
    const { conn, peer } = setup();
    peer.write(
      encodeRawFrame({ prog: REMOTE_PROGRAM, vers: 1, proc: 1, type: 0, serial: 5, status: 0 }, null),
    );
    expect((await conn.closed).reason).toBe('protocol-error');
  });
});
