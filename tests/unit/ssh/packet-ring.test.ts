import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type * as Ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { PacketRing, releaseRingOnWrite } from '../../../main/ssh/packet-ring';
import { pooledPaddingFor } from '../../../main/ssh/padding-pool';
import { coalesceWrites } from '../../../main/ssh/write-coalescing';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('PacketRing', () => {
  it('hands out regions in order, frees a completed write and every region before it, and wraps', () => {
    const ring = new PacketRing(64 * KiB);
    expect(ring.allocated).toBe(false);
    const [a, b, c, d] = [0, 1, 2, 3].map(() => ring.take(15 * KiB) as Buffer) as [
      Buffer,
      Buffer,
      Buffer,
      Buffer,
    ];
    expect(ring.allocated).toBe(true);
    const offset = (region: Buffer) => (region.byteOffset - a.byteOffset) / KiB;
    expect([a, b, c, d].map(offset)).toEqual([0, 15, 30, 45]);
    expect(ring.inFlight).toBe(60 * KiB);
    // 4 KiB left at the end, the start still in flight: no room.
    expect(ring.take(15 * KiB)).toBeNull();
    expect(ring.fallbacks).toBe(1);
    // b's write completed, so a's did too: the start is free and the next region wraps there.
    ring.release(b);
    expect(ring.inFlight).toBe(30 * KiB);
    const e = ring.take(15 * KiB) as Buffer;
    expect(offset(e)).toBe(0);
    // Wrapped: only the 15 KiB between e and c are free.
    const f = ring.take(15 * KiB) as Buffer;
    expect(offset(f)).toBe(15);
    expect(ring.take(1)).toBeNull();
    ring.release(c);
    expect(offset(ring.take(15 * KiB) as Buffer)).toBe(30);
    ring.release(f);
    expect(ring.inFlight).toBe(15 * KiB); // the last one, at 30
    expect(ring.taken).toBe(7);
  });

  it('refuses what is larger than a quarter of it, and ignores buffers that are not its own', () => {
    const ring = new PacketRing(64 * KiB);
    expect(ring.take(16 * KiB + 1)).toBeNull();
    const a = ring.take(8 * KiB) as Buffer;
    ring.release(Buffer.alloc(8 * KiB));
    expect(ring.inFlight).toBe(8 * KiB);
    expect(ring.owns(a)).toBe(true);
    expect(ring.owns(Buffer.alloc(1))).toBe(false);
  });

  it('frees a region when the stream it was written to has taken it, not before', async () => {
    const ring = new PacketRing(64 * KiB);
    const sink = new PassThrough({ highWaterMark: 1 });
    releaseRingOnWrite(sink, ring);
    sink.cork();
    sink.write(ring.take(16 * KiB));
    sink.write(Buffer.alloc(10)); // not the ring's: passes through untouched
    expect(ring.inFlight).toBe(16 * KiB);
    sink.uncork();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ring.inFlight).toBe(16 * KiB); // still queued in the stream: nobody read it
    sink.read();
    sink.read();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ring.inFlight).toBe(0);
  });
  it('reuses no region before the socket has sent it, while a peer that does not read backs it up', async () => {
    const received: Buffer[] = [];
    let peer: Socket | null = null;
    const server = createServer((socket) => {
      peer = socket;
      socket.pause(); // reads nothing until told
      socket.on('data', (chunk: Buffer) => received.push(chunk));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sock = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => sock.once('connect', resolve));
    coalesceWrites(sock);
    const ring = new PacketRing(1 * MiB);
    releaseRingOnWrite(sock, ring);
    const sent = createHash('sha256');
    let sentBytes = 0;
    // Write 32 KiB packets (each filled with its own random bytes) until the ring has no room twice.
    while (ring.fallbacks < 2 && sentBytes < 256 * MiB) {
      const packet = ring.take(32 * KiB) ?? Buffer.allocUnsafe(32 * KiB);
      randomFillSync(packet);
      sent.update(packet);
      sentBytes += packet.length;
      sock.write(packet);
      if (sentBytes % MiB === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(ring.fallbacks).toBe(2);
    expect(sock.writableLength).toBeGreaterThan(0);
    (peer as Socket | null)?.resume();
    await new Promise<void>((resolve) => sock.end(resolve));
    await new Promise((resolve) => (peer as unknown as Socket).once('end', resolve));
    server.close();
    expect(Buffer.concat(received).length).toBe(sentBytes);
    expect(createHash('sha256').update(Buffer.concat(received)).digest('hex')).toBe(sent.digest('hex'));
    expect(ring.inFlight).toBe(0);
  });
});

/**
 * The ring on a real ssh2 connection: an exec channel carries 48 MiB of random data to a server that
 * reads slowly at times, so the socket backs up, the ring fills and packets fall back to their own
 * buffers. A region reused while its write was still queued would show as a corrupted byte (the AEAD
 * tag check fails and the server drops the connection) or a wrong digest.
 */
describe('PacketRing on a real ssh2 connection', () => {
  const require = createRequire(import.meta.url);
  const ssh2 = require('ssh2') as typeof Ssh2;

  it('delivers every byte intact while the socket backs up', async () => {
    const total = 48 * MiB;
    const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
    const received = createHash('sha256');
    let receivedBytes = 0;
    let serverPort = 0;
    // Between client and server, a TCP proxy that stops reading from the client now and then, so the
    // client's socket writes queue up while packets keep coming from the ring.
    const proxy = createServer((fromClient) => {
      const toServer = connect(serverPort, '127.0.0.1');
      let relayed = 0;
      fromClient.on('data', (chunk: Buffer) => {
        relayed += chunk.length;
        if (!toServer.write(chunk)) {
          fromClient.pause();
          toServer.once('drain', () => fromClient.resume());
        } else if (relayed % (4 * MiB) < chunk.length) {
          fromClient.pause();
          setTimeout(() => fromClient.resume(), 40);
        }
      });
      toServer.pipe(fromClient);
      fromClient.on('error', () => toServer.destroy());
      toServer.on('error', () => fromClient.destroy());
    });
    const done = new Promise<void>((resolve, reject) => {
      const server = new ssh2.Server({ hostKeys: [hostKey] }, (conn) => {
        conn.on('authentication', (ctx) => ctx.accept());
        conn.on('error', reject);
        conn.on('ready', () =>
          conn.on('session', (accept) =>
            accept().on('exec', (acceptExec) => {
              const stream = acceptExec();
              stream.on('data', (chunk: Buffer) => {
                received.update(chunk);
                receivedBytes += chunk.length;
                if (receivedBytes >= total) {
                  stream.exit(0);
                  stream.end();
                  server.close();
                  proxy.close();
                  resolve();
                }
              });
            }),
          ),
        );
      });
      server.listen(0, '127.0.0.1', () => {
        serverPort = (server.address() as AddressInfo).port;
        proxy.listen(0, '127.0.0.1', () => openClient((proxy.address() as AddressInfo).port));
      });
      const openClient = (port: number) => {
        const sock = connect(port, '127.0.0.1');
        sock.setNoDelay(true);
        coalesceWrites(sock);
        const client = new ssh2.Client();
        client.on('error', reject);
        client.on('ready', () => {
          const ring = pooledPaddingFor(client, sock);
          client.exec('sink', (err, channel) => {
            if (err) return reject(err);
            const sent = createHash('sha256');
            let sentBytes = 0;
            const pump = () => {
              while (sentBytes < total) {
                // Odd sizes, so packets straddle and vary in length.
                const piece = randomBytes(Math.min(total - sentBytes, 40 * KiB + (sentBytes % 7919)));
                sent.update(piece);
                sentBytes += piece.length;
                if (!channel.write(piece)) return void channel.once('drain', pump);
              }
              sentDigest = sent.digest('hex');
              ringAfter = ring;
              channel.on('close', () => client.end());
            };
            pump();
          });
        });
        client.connect({
          sock,
          username: 'u',
          password: 'p',
          hostVerifier: () => true,
          algorithms: { cipher: ['aes128-gcm@openssh.com'] },
        });
      };
    });
    let sentDigest = '';
    let ringAfter: PacketRing | null = null;
    await done;
    expect(receivedBytes).toBe(total);
    expect(received.digest('hex')).toBe(sentDigest);
    // Most packets came from the ring (32 KiB channel packets: ~1 500 for 48 MiB).
    const ring = ringAfter as PacketRing | null;
    expect(ring?.taken).toBeGreaterThan(1_000);
    console.log(`packet ring: ${ring?.taken} packets from the ring, ${ring?.fallbacks} without room`);
  }, 60_000);
});
