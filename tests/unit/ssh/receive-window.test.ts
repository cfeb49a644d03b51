import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type * as Ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { widenReceiveWindow } from '../../../main/ssh/receive-window';

/** ssh2's channel fields the window code uses, on a real stream, like ssh2's CHANNEL_DATA handler. */
function fakeChannel(initialWindow: number) {
  const adjusts: number[] = [];
  const channel = Object.assign(new PassThrough(), {
    incoming: { window: initialWindow },
    outgoing: { id: 7, state: 'open' },
    _client: { _protocol: { channelWindowAdjust: (id: number, amount: number) => adjusts.push(id === 7 ? amount : -1) } },
  });
  /** What ssh2 does with a CHANNEL_DATA packet: count it against the window, then push it. */
  const receive = (bytes: number) => {
    channel.incoming.window -= bytes;
    channel.write(Buffer.alloc(bytes));
  };
  return { channel, adjusts, receive };
}

const KiB = 1024;
const MiB = 1024 * KiB;

describe('widenReceiveWindow', () => {
  it('opens the window to its size at once and refills it in steps as data is read', async () => {
    const { channel, adjusts, receive } = fakeChannel(2 * MiB);
    const control = widenReceiveWindow(channel, 16 * MiB, 256 * KiB);
    expect(control).not.toBeNull();
    expect(adjusts).toEqual([14 * MiB]);
    expect(channel.incoming.window).toBe(16 * MiB);
    for (let i = 0; i < 16; i++) receive(32 * KiB);
    await new Promise((resolve) => setImmediate(resolve));
    // 512 KiB read: two refills of 256 KiB, the window full again.
    expect(adjusts.slice(1)).toEqual([256 * KiB, 256 * KiB]);
    expect(channel.incoming.window).toBe(16 * MiB);
  });

  it('refills nothing while paused (the sender stops after the window), and all of it on resume', async () => {
    const { channel, adjusts, receive } = fakeChannel(2 * MiB);
    const control = widenReceiveWindow(channel, 4 * MiB, 256 * KiB);
    control?.pause();
    for (let i = 0; i < 32; i++) receive(32 * KiB);
    await new Promise((resolve) => setImmediate(resolve));
    expect(adjusts).toEqual([2 * MiB]);
    expect(channel.incoming.window).toBe(3 * MiB);
    control?.resume();
    expect(adjusts).toEqual([2 * MiB, 1 * MiB]);
    expect(channel.incoming.window).toBe(4 * MiB);
  });

  it('leaves streams that are not ssh2 channels alone', () => {
    expect(widenReceiveWindow(new PassThrough())).toBeNull();
  });
});

/**
 * The same code on a real ssh2 channel (ssh2's own client and server over loopback TCP): this is what
 * fails if an ssh2 upgrade moves or renames the internals the window code relies on, or changes its
 * default window so that the code is no longer needed.
 */
describe('widenReceiveWindow on a real ssh2 channel', () => {
  const require = createRequire(import.meta.url);
  const ssh2 = require('ssh2') as typeof Ssh2;

  /** An ssh2 server whose exec channel writes `totalBytes` (as fast as the window allows), and a client channel to it. */
  async function openChannel(totalBytes: number) {
    const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
    let serverSent = 0;
    const server = new ssh2.Server({ hostKeys: [hostKey] }, (conn) => {
      conn.on('authentication', (ctx) => ctx.accept());
      conn.on('error', () => undefined);
      conn.on('ready', () => {
        conn.on('session', (acceptSession) => {
          acceptSession().on('exec', (acceptExec) => {
            const stream = acceptExec();
            const piece = Buffer.alloc(256 * KiB, 0x5a);
            const pump = () => {
              while (serverSent < totalBytes) {
                const n = Math.min(piece.length, totalBytes - serverSent);
                const ok = stream.write(piece.subarray(0, n));
                serverSent += n;
                if (!ok) return void stream.once('drain', pump);
              }
              stream.end();
            };
            pump();
          });
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', reject);
      client.connect({ host: '127.0.0.1', port, username: 'u', password: 'p', hostVerifier: () => true });
    });
    const channel = await new Promise<Ssh2.ClientChannel>((resolve, reject) =>
      client.exec('bulk', (error, ch) => (error ? reject(error) : resolve(ch))),
    );
    return {
      channel,
      close: async () => {
        client.end();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  /** Waits until the paused channel's buffer stops growing, and returns how much it holds. */
  /** What the paused channel holds once the sender has stopped: data arrived, then 3 checks 50 ms apart unchanged. */
  async function settledBuffer(channel: Ssh2.ClientChannel): Promise<number> {
    const sleep = () => new Promise((resolve) => setTimeout(resolve, 50));
    // On a loaded machine the sender may not have started yet: an empty buffer is not a settled one.
    for (let i = 0; i < 200 && channel.readableLength === 0; i++) await sleep();
    let last = -1;
    let unchanged = 0;
    for (let i = 0; i < 200 && unchanged < 3; i++) {
      unchanged = channel.readableLength === last ? unchanged + 1 : 0;
      last = channel.readableLength;
      await sleep();
    }
    return channel.readableLength;
  }

  // ssh2's window is 2 MiB, topped up at half while its buffer takes data: a reader that stops holds ~2-3 MiB.
  it("ssh2 still lets a sender run only a few MiB ahead of a reader that does not read (the reason for this code)", async () => {
    const { channel, close } = await openChannel(8 * MiB);
    try {
      channel.pause();
      const held = await settledBuffer(channel);
      expect(held).toBeGreaterThan(512 * KiB);
      expect(held).toBeLessThanOrEqual(4 * MiB);
    } finally {
      await close();
    }
  });

  it("finds ssh2's internals, and the sender then runs a full 16 MiB window ahead", async () => {
    const { channel, close } = await openChannel(24 * MiB);
    try {
      const control = widenReceiveWindow(channel, 16 * MiB, 256 * KiB);
      channel.pause();
      expect(control).not.toBeNull();
      const held = await settledBuffer(channel);
      // The full 16 MiB after what had arrived before the window was widened.
      expect(held).toBeGreaterThanOrEqual(16 * MiB);
      expect(held).toBeLessThanOrEqual(16 * MiB + 4 * MiB);
    } finally {
      await close();
    }
  });

  it('refills the window as the channel is read: all of a 64 MiB stream arrives intact', async () => {
    const { channel, close } = await openChannel(64 * MiB);
    try {
      expect(widenReceiveWindow(channel, 16 * MiB, 256 * KiB)).not.toBeNull();
      let received = 0;
      let wrong = 0;
      channel.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (chunk[0] !== 0x5a || chunk[chunk.length - 1] !== 0x5a) wrong++;
      });
      await new Promise<void>((resolve) => channel.once('close', () => resolve()));
      expect(received).toBe(64 * MiB);
      expect(wrong).toBe(0);
    } finally {
      await close();
    }
  });
});

describe('widenReceiveWindow when ssh2 has changed', () => {
  it('stops refilling, and leaves the window as it was, when the window adjust throws', () => {
    const { channel } = fakeChannel(2 * MiB);
    channel._client._protocol.channelWindowAdjust = () => {
      throw new TypeError('changed');
    };
    const control = widenReceiveWindow(channel, 16 * MiB, 256 * KiB);
    expect(channel.incoming.window).toBe(2 * MiB);
    control?.resume();
    expect(channel.incoming.window).toBe(2 * MiB);
  });

  it('does nothing when a field it needs has another type', () => {
    const { channel, adjusts } = fakeChannel(2 * MiB);
    (channel.outgoing as { id: unknown }).id = '7';
    expect(widenReceiveWindow(channel)).toBeNull();
    expect(adjusts).toEqual([]);
  });
});
