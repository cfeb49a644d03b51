import { PassThrough } from 'node:stream';
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
