import { describe, expect, it } from 'vitest';
import { ByteChannelListeners, type ByteChannel } from '../../../renderer/src/api/api-client';
import { ByteChannelSocket } from '../../../renderer/src/consoles/byte-channel-socket';

function fakeChannel() {
  const listeners = new ByteChannelListeners();
  const sent: Uint8Array[] = [];
  let closedByUs = false;
  const channel: ByteChannel = {
    send: (data) => sent.push(data),
    close: () => {
      closedByUs = true;
      listeners.emitClose({ byPeer: false });
    },
    onData: (listener) => listeners.addData(listener),
    onClose: (listener) => listeners.addClose(listener),
  };
  return { channel, listeners, sent, closedByUs: () => closedByUs };
}

describe('ByteChannelSocket (noVNC raw channel)', () => {
  it('has the members noVNC checks and starts open', () => {
    const socket = new ByteChannelSocket(fakeChannel().channel);
    const members = [...Object.keys(socket), ...Object.getOwnPropertyNames(Object.getPrototypeOf(socket))];
    for (const name of [
      'send',
      'close',
      'binaryType',
      'onerror',
      'onmessage',
      'onopen',
      'protocol',
      'readyState',
    ]) {
      expect(members).toContain(name);
    }
    expect(socket.readyState).toBe(1);
  });

  it('delivers early bytes in order after onmessage is set (not inside the setter), as ArrayBuffers', async () => {
    const { channel, listeners } = fakeChannel();
    const socket = new ByteChannelSocket(channel);
    listeners.emitData(Uint8Array.of(1, 2));
    listeners.emitData(Uint8Array.of(3));
    const got: number[][] = [];
    socket.onmessage = (event) => got.push([...new Uint8Array(event.data)]);
    // noVNC sets onmessage, then handles the socket as open: the server's banner must come after that.
    expect(got).toEqual([]);
    listeners.emitData(Uint8Array.of(4));
    expect(got).toEqual([]);
    await Promise.resolve();
    expect(got).toEqual([[1, 2], [3], [4]]);
    listeners.emitData(Uint8Array.of(5));
    expect(got).toEqual([[1, 2], [3], [4], [5]]);
  });

  it('copies what it sends (noVNC reuses its buffer)', () => {
    const { channel, sent } = fakeChannel();
    const socket = new ByteChannelSocket(channel);
    const buffer = Uint8Array.of(9, 9, 9);
    socket.send(buffer.subarray(0, 2));
    buffer.fill(0);
    expect([...(sent[0] ?? [])]).toEqual([9, 9]);
  });

  it('reports the close once: clean when closed here, with the reason when the stream failed', async () => {
    const mine = fakeChannel();
    const socket = new ByteChannelSocket(mine.channel);
    const closes: Array<{ code: number; wasClean: boolean }> = [];
    socket.onclose = (event) => closes.push({ code: event.code, wasClean: event.wasClean });
    socket.close();
    socket.close();
    expect(mine.closedByUs()).toBe(true);
    // Not from inside close(): noVNC arms its disconnect timer after close() returns (else it logs
    // "Disconnection timed out" 3 s later).
    expect(closes).toEqual([]);
    expect(socket.readyState).toBe(2);
    await Promise.resolve();
    expect(closes).toEqual([{ code: 1000, wasClean: true }]);
    expect(socket.readyState).toBe(3);

    const theirs = fakeChannel();
    const failed = new ByteChannelSocket(theirs.channel);
    const reasons: string[] = [];
    failed.onclose = (event) => reasons.push(event.reason);
    theirs.listeners.emitClose({ byPeer: false, error: { code: 'io', message: 'VNC listener went away' } });
    expect(reasons).toEqual(['VNC listener went away']);
    expect(failed.reason).toBe('VNC listener went away');
  });
});
