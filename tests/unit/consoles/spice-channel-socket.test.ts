import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ByteChannelListeners, type ByteChannel } from '../../../renderer/src/api/api-client';
import {
  SPICE_SESSIONS,
  SpiceChannelSocket,
  withSpiceSockets,
} from '../../../renderer/src/consoles/spice/spice-channel-socket';
import { scancodeOf, spiceKeyValue } from '../../../renderer/src/consoles/spice/spice-scancodes';
import { SPICE_MAGIC, SpiceLinkObserver } from '../../../main/services/consoles/spice-link';

function fakeChannel() {
  const listeners = new ByteChannelListeners();
  const sent: Uint8Array[] = [];
  let closed = false;
  const channel: ByteChannel = {
    send: (data) => sent.push(data),
    close: () => {
      closed = true;
      listeners.emitClose({ byPeer: false });
    },
    onData: (listener) => listeners.addData(listener),
    onClose: (listener) => listeners.addClose(listener),
  };
  return { channel, listeners, sent, closed: () => closed };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('SpiceChannelSocket', () => {
  it('starts CONNECTING, fires open when the channel is there, then carries bytes both ways', async () => {
    const { channel, listeners, sent } = fakeChannel();
    const dispatched: string[] = [];
    const socket = new SpiceChannelSocket('virtdeck-spice://x/', Promise.resolve(channel), (run) => {
      dispatched.push('scope');
      run();
    });
    const events: string[] = [];
    socket.addEventListener('open', () => events.push('open'));
    socket.addEventListener('message', (event) => {
      events.push(`message:${new Uint8Array((event as MessageEvent<ArrayBuffer>).data).join(',')}`);
    });
    socket.addEventListener('close', (event) => events.push(`close:${(event as Event & { wasClean: boolean }).wasClean}`));
    expect(socket.readyState).toBe(0);
    expect(socket.binaryType).toBe('arraybuffer');
    socket.send(new ArrayBuffer(2)); // not open yet: dropped, as a WebSocket would refuse
    await tick();
    expect(socket.readyState).toBe(1);
    const buffer = new Uint8Array([1, 2, 3, 4]);
    socket.send(buffer.subarray(1, 3));
    buffer.fill(9); // the caller may reuse its buffer at once
    expect([...(sent[0] ?? [])]).toEqual([2, 3]);
    listeners.emitData(new Uint8Array([7, 8]));
    listeners.emitClose({ byPeer: true, error: { code: 'io', message: 'gone' } });
    expect(events).toEqual(['open', 'message:7,8', 'close:false']);
    expect(socket.reason).toBe('gone');
    expect(socket.readyState).toBe(3);
    expect(dispatched.length).toBe(3);
  });

  it('a channel that cannot be opened fires only close, with the reason', async () => {
    const socket = new SpiceChannelSocket('virtdeck-spice://x/', Promise.reject(new Error('no listener')), (run) => run());
    const events: string[] = [];
    socket.addEventListener('error', () => events.push('error'));
    socket.addEventListener('close', () => events.push('close'));
    await tick();
    expect(events).toEqual(['close']);
    expect(socket.reason).toBe('no listener');
  });

  it('closing before the channel arrives closes the channel when it does', async () => {
    const { channel, closed } = fakeChannel();
    let resolve: (value: ByteChannel) => void = () => undefined;
    const socket = new SpiceChannelSocket('virtdeck-spice://x/', new Promise((r) => (resolve = r)), (run) => run());
    socket.close();
    resolve(channel);
    await tick();
    expect(closed()).toBe(true);
    expect(socket.readyState).toBe(3);
  });
});

describe('spice-html5 over SpiceChannelSocket', () => {
  beforeAll(() => {
    // spice-html5 is browser code: it reads navigator at load and uses window.setTimeout.
    const global = globalThis as Record<string, unknown>;
    global.window ??= globalThis;
    global.navigator ??= { appName: 'Netscape', appVersion: '5.0', userAgent: 'node' };
  });
  afterEach(() => SPICE_SESSIONS.clear());

  it('sees VirtDeck sockets only inside withSpiceSockets, and the main channel starts a real SPICE link on its channel', async () => {
    // The package's types are declared for the renderer build (spice-html5.d.ts); here only what the test uses.
    const specifier = '@spice-project/spice-html5';
    const { SpiceMainConn } = (await import(specifier)) as {
      SpiceMainConn: new (options: {
        uri: string;
        password: string;
        screen_id: string;
        onerror: (error: Error) => void;
      }) => { stop(): void };
    };
    const before = (globalThis as { WebSocket?: unknown }).WebSocket;
    const { channel, listeners, sent } = fakeChannel();
    const opened: number[] = [];
    SPICE_SESSIONS.set('t1', { count: 0, open: async () => channel, created: (_socket, index) => opened.push(index) });
    const errors: string[] = [];
    const conn = withSpiceSockets(
      () =>
        new SpiceMainConn({
          uri: 'virtdeck-spice://t1/',
          password: '',
          screen_id: 'nowhere',
          onerror: (error) => errors.push(error.message),
        }),
    );
    expect((globalThis as { WebSocket?: unknown }).WebSocket).toBe(before);
    expect(opened).toEqual([0]);
    await tick();
    // The main channel sent SpiceLinkHeader + SpiceLinkMess for channel type 1 (main): what a SPICE
    // server (and VirtDeck's own tunnel observer) expects.
    const observer = new SpiceLinkObserver();
    for (const chunk of sent) observer.fromClient(chunk);
    expect(new DataView((sent[0] ?? new Uint8Array(4)).buffer).getUint32(0, true)).toBe(SPICE_MAGIC);
    expect(observer.channelName).toBe('main');
    // A server that refuses the link: spice-html5 reports it through onerror.
    const reply = new Uint8Array(16 + 4);
    const view = new DataView(reply.buffer);
    view.setUint32(0, SPICE_MAGIC, true);
    view.setUint32(4, 2, true);
    view.setUint32(12, 4, true);
    view.setUint32(16, 3, true); // SPICE_LINK_ERR_BAD_CONNECTION_ID
    listeners.emitData(reply);
    expect(errors.some((message) => /reply link error 3/.test(message))).toBe(true);
    conn.stop();
  });
});

describe('SPICE scan codes', () => {
  it('maps physical keys to set-1 scan codes, E0-prefixed keys to two bytes, releases with 0x80', () => {
    expect(scancodeOf('KeyA')).toBe(0x1e);
    expect(scancodeOf('Enter')).toBe(0x1c);
    expect(scancodeOf('F12')).toBe(0x58);
    expect(scancodeOf('Pause')).toBeNull();
    expect(spiceKeyValue(0x1e, true)).toBe(0x1e);
    expect(spiceKeyValue(0x1e, false)).toBe(0x9e);
    // Delete is E0 53: down = bytes E0 53, up = E0 D3 (little endian in the message).
    expect(spiceKeyValue(scancodeOf('Delete') ?? 0, true)).toBe(0x53e0);
    expect(spiceKeyValue(scancodeOf('Delete') ?? 0, false)).toBe(0xd3e0);
  });
});

describe('withSpiceSockets', () => {
  it('keeps WebSocket.OPEN and friends for other code that runs inside it', () => {
    const seen = withSpiceSockets(() => {
      const scoped = (globalThis as unknown as { WebSocket: { OPEN: number; CLOSED: number } }).WebSocket;
      return [scoped.OPEN, scoped.CLOSED];
    });
    expect(seen).toEqual([1, 3]);
  });
});
