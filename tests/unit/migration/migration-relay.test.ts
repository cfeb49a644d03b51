import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import type * as Ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import {
  MigrationRelay,
  relayPair,
  traceSendWindow,
  type RelayPairHooks,
} from '../../../main/services/migration/migration-relay';

const KiB = 1024;
const MiB = 1024 * KiB;
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function counters(flushGraceMs = 5_000) {
  const seen = { toDestination: 0, toSource: 0, widened: 0, closed: 0, waits: 0, waitedMs: 0 };
  const hooks: RelayPairHooks = {
    flushGraceMs,
    toDestination: (n) => (seen.toDestination += n),
    toSource: (n) => (seen.toSource += n),
    widened: () => seen.widened++,
    closed: () => seen.closed++,
    waited: (direction, ms) => {
      if (direction === 'toDestination') {
        seen.waits++;
        seen.waitedMs += ms;
      }
    },
  };
  return { seen, hooks };
}

/** A writable side that takes a chunk only every `delayMs` (a destination behind), keeping what it got. */
class SlowSide extends Duplex {
  received = 0;
  constructor(private readonly delayMs: number) {
    super({ highWaterMark: 64 * KiB });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (error?: Error | null) => void): void {
    setTimeout(() => {
      this.received += chunk.length;
      cb();
    }, this.delayMs);
  }
  override _final(cb: (error?: Error | null) => void): void {
    this.push(null);
    cb();
  }
}

/** A side whose incoming data is what the test pushes, and whose written data is only counted. */
class FastSide extends Duplex {
  received = 0;
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.received += chunk.length;
    cb();
  }
}

describe('relayPair (streams)', () => {
  it('pauses the reading side while the writing side is full and resumes it on drain, counting per direction', async () => {
    const source = new FastSide();
    const destination = new SlowSide(2);
    const { seen, hooks } = counters();
    relayPair(source, destination, hooks);
    const piece = Buffer.alloc(32 * KiB, 1);
    for (let i = 0; i < 32; i++) source.push(piece); // 1 MiB toward a side that takes 32 KiB per 2 ms
    await tick(20);
    // Behind: the relay stopped reading the source (its own buffer fills up instead).
    expect(source.isPaused()).toBe(true);
    expect(seen.toDestination).toBeLessThan(1 * MiB);
    destination.push(Buffer.from('reply'));
    for (let i = 0; i < 400 && destination.received < 1 * MiB; i++) await tick(10);
    expect(destination.received).toBe(1 * MiB);
    expect(seen.toDestination).toBe(1 * MiB);
    expect(seen.toSource).toBe(5);
    expect(source.received).toBe(5);
    expect(seen.waits).toBeGreaterThan(0);
    expect(source.isPaused()).toBe(false);
    // Plain streams are not SSH channels: no window to widen.
    expect(seen.widened).toBe(0);
  });

  it('hands on what is queued for the destination when the source ends and closes, then ends it (nothing dropped)', async () => {
    // Like an ssh2 channel the source host closed: 'end' once its buffered data is read, then 'close'.
    const source = new PassThrough();
    const destination = new SlowSide(5);
    let finished = false;
    let sourceClosed = false;
    destination.on('finish', () => (finished = true));
    source.on('close', () => (sourceClosed = true));
    const { hooks } = counters();
    relayPair(source, destination, hooks);
    for (let i = 0; i < 16; i++) source.write(Buffer.alloc(32 * KiB, 2));
    source.end();
    for (let i = 0; i < 100 && !sourceClosed; i++) await tick(5);
    // The source is gone, with bytes still queued toward the destination.
    expect(sourceClosed).toBe(true);
    expect(destination.received).toBeLessThan(512 * KiB);
    for (let i = 0; i < 300 && !finished; i++) await tick(10);
    expect(destination.received).toBe(512 * KiB);
    expect(finished).toBe(true);
  });

  it('cuts a side that cannot hand on its queue within the grace time', async () => {
    const source = new PassThrough();
    const destination = new SlowSide(60_000); // never takes the chunk
    const { hooks } = counters(100);
    relayPair(source, destination, hooks);
    source.write(Buffer.alloc(KiB));
    await tick(10);
    source.destroy();
    await tick(300);
    expect(destination.destroyed).toBe(true);
  });
});

/**
 * On real ssh2 channels (ssh2's own client and server over loopback TCP): the source channel's server
 * side sends 24 MiB and closes, the destination channel's server side reads slowly at first and answers
 * with what it got. Both channels get the wide window; every byte arrives, after the source has closed.
 */
describe('MigrationRelay measurements', () => {
  it('counts the relayed connections, how long each waited for its destination channel, and the pieces per direction', async () => {
    let onInbound: ((channel: Duplex, from: { ip: string; port: number }) => void) | null = null;
    const destinations: FastSide[] = [];
    const relay = new MigrationRelay(
      {
        listenRemote: async (_addr, _port, onConnection) => {
          onInbound = onConnection;
          return { port: 40001, close: async () => undefined };
        },
        forwardTcp: async () => new FastSide(),
      },
      {
        listenRemote: async () => ({ port: 0, close: async () => undefined }),
        forwardTcp: async () => {
          await tick(30); // the destination's channel open round trip
          const side = new FastSide();
          destinations.push(side);
          return side;
        },
      },
    );
    const opened = await relay.open({ hosts: ['127.0.0.1'], port: 49152 });
    expect(opened.sourcePort).toBe(40001);
    const first = new FastSide();
    const second = new FastSide();
    onInbound!(first, { ip: '127.0.0.1', port: 50001 });
    onInbound!(second, { ip: '127.0.0.1', port: 50002 });
    for (let i = 0; i < 100 && destinations.length < 2; i++) await tick(10);
    await tick(10);
    first.push(Buffer.alloc(32 * KiB));
    first.push(Buffer.alloc(16 * KiB));
    second.push(Buffer.alloc(8 * KiB));
    destinations[0]!.push(Buffer.alloc(100));
    await tick(20);
    const stats = relay.connectionStats;
    expect(stats.channelOpenMs).toHaveLength(2);
    for (const ms of stats.channelOpenMs) expect(ms).toBeGreaterThanOrEqual(25);
    expect(stats.pieces).toEqual({ toDestination: 3, toSource: 1 });
    expect(relay.bytes).toEqual({ toDestination: 56 * KiB, toSource: 100 });
    expect(destinations[0]!.received + destinations[1]!.received).toBe(56 * KiB);
    await relay.close();
  });
  it('records per connection the bytes, the pieces and the turns of a request/reply exchange', async () => {
    let onInbound: ((channel: Duplex, from: { ip: string; port: number }) => void) | null = null;
    let destination: FastSide | null = null;
    const relay = new MigrationRelay(
      {
        listenRemote: async (_addr, _port, onConnection) => {
          onInbound = onConnection;
          return { port: 40002, close: async () => undefined };
        },
        forwardTcp: async () => new FastSide(),
      },
      {
        listenRemote: async () => ({ port: 0, close: async () => undefined }),
        forwardTcp: async () => {
          destination = new FastSide();
          return destination;
        },
      },
    );
    await relay.open({ hosts: ['127.0.0.1'], port: 49153 });
    const source = new FastSide();
    onInbound!(source, { ip: '127.0.0.1', port: 50003 });
    for (let i = 0; i < 100 && !destination; i++) await tick(10);
    await tick(10);
    // A request in two pieces, its reply 30 ms later, the next request 40 ms after the reply.
    source.push(Buffer.alloc(32 * KiB));
    source.push(Buffer.alloc(32 * KiB));
    await tick(30);
    destination!.push(Buffer.alloc(16));
    await tick(40);
    source.push(Buffer.alloc(8 * KiB));
    await tick(20);
    const [connection, ...others] = relay.connectionStats.connections;
    expect(others).toHaveLength(0);
    expect(connection!.bytes).toEqual({ toDestination: 72 * KiB, toSource: 16 });
    expect(connection!.pieces).toEqual({ toDestination: 3, toSource: 1 });
    expect(connection!.destinationWindow).toBeNull(); // not an ssh2 channel
    expect(connection!.turns).toEqual({ toDestination: 1, toSource: 1 });
    expect(connection!.turnGapMs.toSource).toBeGreaterThanOrEqual(25);
    expect(connection!.turnGapMs.toDestination).toBeGreaterThanOrEqual(35);
    expect(connection!.lastToDestinationAt! - connection!.firstAt!).toBeGreaterThanOrEqual(65);
    expect(connection!.paused.toDestination.times).toBe(0);
    expect(connection!.window).toBeNull();
    await relay.close();
  });

  it('records per connection how often and how long the source was paused for its destination', async () => {
    let onInbound: ((channel: Duplex, from: { ip: string; port: number }) => void) | null = null;
    const destinations: SlowSide[] = [];
    const relay = new MigrationRelay(
      {
        listenRemote: async (_addr, _port, onConnection) => {
          onInbound = onConnection;
          return { port: 40003, close: async () => undefined };
        },
        forwardTcp: async () => new FastSide(),
      },
      {
        listenRemote: async () => ({ port: 0, close: async () => undefined }),
        forwardTcp: async () => {
          // The first connection's destination takes 32 KiB per 2 ms, the second's at once.
          const side = destinations.length === 0 ? new SlowSide(2) : new SlowSide(0);
          destinations.push(side);
          return side;
        },
      },
    );
    await relay.open({ hosts: ['127.0.0.1'], port: 49154 });
    const slow = new FastSide();
    onInbound!(slow, { ip: '127.0.0.1', port: 50004 });
    for (let i = 0; i < 100 && destinations.length < 1; i++) await tick(10);
    const fast = new FastSide();
    onInbound!(fast, { ip: '127.0.0.1', port: 50005 });
    for (let i = 0; i < 100 && destinations.length < 2; i++) await tick(10);
    for (let i = 0; i < 32; i++) slow.push(Buffer.alloc(32 * KiB, 1));
    fast.push(Buffer.alloc(32 * KiB, 1));
    for (let i = 0; i < 400 && destinations[0]!.received < 1 * MiB; i++) await tick(10);
    const [first, second] = relay.connectionStats.connections;
    expect(first!.paused.toDestination.times).toBeGreaterThan(0);
    expect(first!.paused.toDestination.ms).toBeGreaterThan(0);
    expect(second!.paused.toDestination.times).toBe(0);
    expect(relay.waits.toDestinationTimes).toBe(first!.paused.toDestination.times);
    expect(relay.waits.toDestinationMs).toBeCloseTo(first!.paused.toDestination.ms, 6);
    await relay.close();
  });
});

describe('traceSendWindow', () => {
  /** Stands in for ssh2's channel as far as the trace sees it: `outgoing.window`, lowered by sends, raised by adjusts. */
  const channel = (window: number) =>
    ({ outgoing: { window } }) as unknown as Duplex & { outgoing: { window: number } };

  it('counts adjusts and stalls and measures each adjust against the send that held its last credited byte', async () => {
    const ch = channel(2 * MiB);
    const trace = traceSendWindow(ch)!;
    expect(trace).not.toBeNull();
    ch.outgoing.window -= 1 * MiB; // send 1: bytes 0 … 1 MiB
    await tick(20);
    ch.outgoing.window -= 1 * MiB; // send 2: 1 … 2 MiB, the window is used up
    expect(ch.outgoing.window).toBe(0);
    await tick(30);
    ch.outgoing.window += 512 * KiB; // credits bytes up to 512 KiB: sent with send 1, ~50 ms ago
    expect(ch.outgoing.window).toBe(512 * KiB);
    expect(trace.adjusts).toBe(1);
    expect(trace.stalls).toBe(1);
    expect(trace.stalledMs).toBeGreaterThanOrEqual(25);
    expect(trace.roundTripsMs[0]).toBeGreaterThanOrEqual(45);
    ch.outgoing.window += 1536 * KiB; // credits up to 2 MiB: the last credited byte went with send 2, ~30 ms ago
    expect(trace.adjusts).toBe(2);
    expect(trace.stalls).toBe(1); // the window was not used up in between
    expect(trace.roundTripsMs[1]).toBeGreaterThanOrEqual(25);
    expect(trace.roundTripsMs[1]).toBeLessThan(trace.roundTripsMs[0]!);
  });

  it('leaves a channel that is not an ssh2 channel alone', () => {
    expect(traceSendWindow(new PassThrough())).toBeNull();
  });
});

describe('relayPair on real ssh2 channels', () => {
  const require = createRequire(import.meta.url);
  const ssh2 = require('ssh2') as typeof Ssh2;

  it('widens both channels, carries 24 MiB source → destination intact and the reply back', async () => {
    const total = 24 * MiB;
    const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
    let sinkGot = 0;
    let sinkWrong = 0;
    const sinkDone = new Promise<void>((resolveSink) => {
      const server = new ssh2.Server({ hostKeys: [hostKey] }, (conn) => {
        conn.on('authentication', (ctx) => ctx.accept());
        conn.on('error', () => undefined);
        conn.on('ready', () => {
          conn.on('session', (acceptSession) => {
            acceptSession().on('exec', (acceptExec, _reject, info) => {
              const stream = acceptExec();
              if (info.command === 'send') {
                const piece = Buffer.alloc(256 * KiB, 0x5a);
                let sent = 0;
                const pump = () => {
                  while (sent < total) {
                    const ok = stream.write(piece);
                    sent += piece.length;
                    if (!ok) return void stream.once('drain', pump);
                  }
                  stream.exit(0);
                  stream.end();
                };
                pump();
              } else {
                // A slow start: nothing read for 300 ms, so the relay has to hold the source back.
                stream.pause();
                setTimeout(() => stream.resume(), 300);
                stream.on('data', (chunk: Buffer) => {
                  sinkGot += chunk.length;
                  if (chunk[0] !== 0x5a || chunk[chunk.length - 1] !== 0x5a) sinkWrong++;
                });
                stream.once('end', () => {
                  stream.end(`got ${sinkGot}`);
                  resolveSink();
                });
              }
            });
          });
        });
      });
      server.listen(0, '127.0.0.1', () => void start((server.address() as AddressInfo).port, server));
    });
    let cleanup: () => Promise<void> = async () => undefined;
    const { seen, hooks } = counters();
    let reply = '';
    const start = async (port: number, server: Ssh2.Server) => {
      const client = new ssh2.Client();
      await new Promise<void>((resolve, reject) => {
        client.once('ready', () => resolve());
        client.once('error', reject);
        client.connect({ host: '127.0.0.1', port, username: 'u', password: 'p', hostVerifier: () => true });
      });
      const open = (command: string) =>
        new Promise<Ssh2.ClientChannel>((resolve, reject) =>
          client.exec(command, (error, ch) => (error ? reject(error) : resolve(ch))),
        );
      const sink = await open('sink');
      const source = await open('send');
      source.pause();
      sink.on('data', (chunk: Buffer) => (reply += chunk.toString()));
      relayPair(source, sink, hooks);
      cleanup = async () => {
        client.end();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      };
    };
    try {
      await Promise.race([sinkDone, tick(15_000)]);
      for (let i = 0; i < 100 && !reply; i++) await tick(20);
      expect(seen.widened).toBe(2);
      expect(sinkGot).toBe(total);
      expect(sinkWrong).toBe(0);
      expect(seen.toDestination).toBe(total);
      expect(reply).toBe(`got ${total}`);
      expect(seen.toSource).toBe(reply.length);
    } finally {
      await cleanup();
    }
  }, 30_000);
});
