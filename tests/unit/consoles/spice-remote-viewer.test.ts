import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SPICE_MAGIC, SpiceLinkObserver } from '../../../main/services/consoles/spice-link';
import {
  RemoteViewerSessions,
  SpiceTunnelListener,
  findOnPath,
  vvFile,
} from '../../../main/services/consoles/spice-remote-viewer';

/** A SpiceLinkHeader + the start of a SpiceLinkMess asking for `channelType`. */
function linkMess(channelType: number): Buffer {
  const buffer = Buffer.alloc(16 + 18);
  buffer.writeUInt32LE(SPICE_MAGIC, 0);
  buffer.writeUInt32LE(2, 4);
  buffer.writeUInt32LE(2, 8);
  buffer.writeUInt32LE(18, 12);
  buffer.writeUInt8(channelType, 16 + 4);
  return buffer;
}

/** SpiceLinkHeader + SpiceLinkReply (error) then, when the link is accepted, the auth result. */
function linkReply(error: number, auth: number | null): Buffer {
  const size = 4 + 162 + 12;
  const buffer = Buffer.alloc(16 + size + (auth === null ? 0 : 4));
  buffer.writeUInt32LE(SPICE_MAGIC, 0);
  buffer.writeUInt32LE(2, 4);
  buffer.writeUInt32LE(size, 12);
  buffer.writeUInt32LE(error, 16);
  if (auth !== null) buffer.writeUInt32LE(auth, 16 + size);
  return buffer;
}

/**
 * A local TCP server speaking just enough of SPICE's link handshake: it answers a link message with a
 * link reply and, after 128 ticket bytes, with the auth result (0 unless the ticket starts with 0xff).
 */
async function fakeSpiceServer(): Promise<{ server: Server; port: number; connections: Socket[] }> {
  const connections: Socket[] = [];
  const server = createServer((socket) => {
    connections.push(socket);
    let buffered = Buffer.alloc(0);
    let stage = 0;
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (stage === 0 && buffered.length >= 34) {
        stage = 1;
        buffered = buffered.subarray(34);
        socket.write(linkReply(0, null));
      }
      if (stage === 1 && buffered.length >= 128) {
        stage = 2;
        const auth = Buffer.alloc(4);
        auth.writeUInt32LE(buffered[0] === 0xff ? 7 : 0, 0);
        socket.write(auth);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, connections };
}

/** A client that links one channel and waits for the auth result. */
function linkChannel(port: number, channelType: number, ticketByte = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    socket.on('connect', () => socket.write(linkMess(channelType)));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length === 16 + 178) socket.write(Buffer.alloc(128, ticketByte));
      if (buffered.length >= 16 + 178 + 4) {
        resolve(buffered.readUInt32LE(16 + 178));
        socket.end();
      }
    });
    socket.on('error', reject);
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('vvFile', () => {
  it('is a [virt-viewer] connection file for SPICE on the loopback listener, deleted after reading', () => {
    expect(vvFile({ host: '127.0.0.1', port: 5930, password: 's3cr=t', title: 'vd-spice-1 (VirtDeck)' })).toBe(
      '[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=5930\npassword=s3cr=t\ntitle=vd-spice-1 (VirtDeck)\ndelete-this-file=1\n',
    );
  });

  it('has no password line without a password, keeps values on one line, and refuses a bad port', () => {
    const text = vvFile({ host: '127.0.0.1', port: 1, password: null, title: 'a\nport=9\r\nb' });
    expect(text).not.toContain('password');
    expect(text.split('\n').filter((line) => line.startsWith('port='))).toEqual(['port=1']);
    expect(() => vvFile({ host: '127.0.0.1', port: 0, password: null, title: 'x' })).toThrow(/Invalid port/);
    expect(() => vvFile({ host: '127.0.0.1', port: 70000, password: null, title: 'x' })).toThrow(/Invalid port/);
  });
});

describe('SpiceLinkObserver', () => {
  it('follows the link and auth results, in chunks of any size', () => {
    const observer = new SpiceLinkObserver();
    const mess = linkMess(2);
    for (const byte of mess) observer.fromClient(Buffer.from([byte]));
    expect(observer.channelName).toBe('display');
    const reply = Buffer.concat([linkReply(0, null), Buffer.from([0, 0, 0, 0])]);
    observer.fromServer(reply.subarray(0, 10));
    expect(observer.state).toBe('linking');
    observer.fromServer(reply.subarray(10));
    expect(observer.state).toBe('ready');
  });

  it('reports a refused link or ticket, and bytes that are not SPICE', () => {
    const refused = new SpiceLinkObserver();
    refused.fromServer(linkReply(3, null));
    expect([refused.state, refused.error]).toEqual(['refused', 3]);
    const denied = new SpiceLinkObserver();
    denied.fromServer(linkReply(0, 7));
    expect([denied.state, denied.error]).toEqual(['refused', 7]);
    const rfb = new SpiceLinkObserver();
    rfb.fromServer(Buffer.from('RFB 003.008\n0000', 'latin1'));
    expect(rfb.state).toBe('not-spice');
  });
});

describe('SpiceTunnelListener', () => {
  it('tunnels each connection through its own opened channel and sees the SPICE handshakes complete', async () => {
    const spice = await fakeSpiceServer();
    cleanups.push(() => new Promise((resolve) => spice.server.close(() => resolve())));
    let opened = 0;
    const listener = new SpiceTunnelListener(async () => {
      opened++;
      return connect(spice.port, '127.0.0.1');
    });
    const port = await listener.listen();
    cleanups.push(() => listener.close());
    expect(listener.port).toBe(port);
    const results = await Promise.all([linkChannel(port, 1), linkChannel(port, 2), linkChannel(port, 3)]);
    expect(results).toEqual([0, 0, 0]);
    expect(opened).toBe(3);
    expect(listener.channels.map((c) => [c.channelName, c.state]).sort()).toEqual([
      ['display', 'ready'],
      ['inputs', 'ready'],
      ['main', 'ready'],
    ]);
    // A refused ticket is seen as refused.
    expect(await linkChannel(port, 4, 0xff)).toBe(7);
    expect(listener.channels.at(-1)?.state).toBe('refused');
  });

  it('closes the connection when the tunnel cannot be opened, and stops listening and tunnelling on close', async () => {
    const failing = new SpiceTunnelListener(async () => {
      throw new Error('no route');
    });
    const failingPort = await failing.listen();
    cleanups.push(() => failing.close());
    const ended = await new Promise<boolean>((resolve) => {
      const socket = connect(failingPort, '127.0.0.1');
      socket.on('close', () => resolve(true));
      socket.on('error', () => undefined);
      socket.resume();
    });
    expect(ended).toBe(true);

    const spice = await fakeSpiceServer();
    cleanups.push(() => new Promise((resolve) => spice.server.close(() => resolve())));
    const listener = new SpiceTunnelListener(async () => connect(spice.port, '127.0.0.1'));
    const port = await listener.listen();
    const client = connect(port, '127.0.0.1');
    const clientClosed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => undefined);
    client.resume();
    client.write(linkMess(1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(listener.openConnections).toBe(1);
    await listener.close();
    await clientClosed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(spice.connections.every((socket) => socket.destroyed || socket.readableEnded)).toBe(true);
    await expect(
      new Promise((resolve, reject) => {
        const late = connect(port, '127.0.0.1');
        late.on('connect', () => resolve('connected'));
        late.on('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('RemoteViewerSessions', () => {
  it('finds executables on PATH only when they are executable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtdeck-path-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'remote-viewer'), '#!/bin/sh\n');
    expect(await findOnPath('remote-viewer', { PATH: dir }, 'linux')).toBeNull();
    chmodSync(join(dir, 'remote-viewer'), 0o755);
    expect(await findOnPath('remote-viewer', { PATH: `/nonexistent:${dir}` }, 'linux')).toBe(join(dir, 'remote-viewer'));
    const none = new RemoteViewerSessions({ env: { PATH: '/nonexistent' } });
    expect(await none.viewerPath()).toBeNull();
    await expect(none.open({ hostId: 'h', open: async () => connect(1, '127.0.0.1'), password: null, title: 't' })).rejects.toThrow(
      /not installed/,
    );
  });

  it('gives the viewer the connection file on stdin, tunnels its channels, and ends with the viewer', async () => {
    const spice = await fakeSpiceServer();
    cleanups.push(() => new Promise((resolve) => spice.server.close(() => resolve())));
    // A stand-in viewer: reads the .vv file from stdin, links a main and a display channel, exits.
    const dir = mkdtempSync(join(tmpdir(), 'virtdeck-viewer-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'viewer.mjs');
    writeFileSync(
      script,
      `#!${process.execPath}
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', async () => {
  writeFileSync(${JSON.stringify(join(dir, 'seen.vv'))}, input);
  const port = Number(/^port=(\\d+)$/m.exec(input)[1]);
  const link = (type) => new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const mess = Buffer.alloc(34); mess.writeUInt32LE(${SPICE_MAGIC}, 0); mess.writeUInt32LE(18, 12); mess.writeUInt8(type, 20);
    let got = 0;
    s.on('connect', () => s.write(mess));
    s.on('data', (d) => { got += d.length; if (got === 194) s.write(Buffer.alloc(128)); if (got >= 198) { s.end(); resolve(); } });
  });
  await link(1); await link(2);
  setTimeout(() => process.exit(0), ${process.argv.includes('--keep') ? 60000 : 200});
});
`,
    );
    chmodSync(script, 0o755);
    const sessions = new RemoteViewerSessions({ command: script });
    cleanups.push(() => sessions.dispose());
    const { sessionId } = await sessions.open({
      hostId: 'h1',
      open: async () => connect(spice.port, '127.0.0.1'),
      password: 'pw',
      title: 'guest',
    });
    expect(sessions.info(sessionId).running).toBe(true);
    const deadline = Date.now() + 10_000;
    while (sessions.info(sessionId).running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const info = sessions.info(sessionId);
    expect(info.running).toBe(false);
    expect(info.channels).toEqual([
      { channel: 'main', state: 'ready' },
      { channel: 'display', state: 'ready' },
    ]);
    const { readFileSync } = await import('node:fs');
    const seen = readFileSync(join(dir, 'seen.vv'), 'utf8');
    expect(seen).toBe(`[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${info.port}\npassword=pw\ntitle=guest\ndelete-this-file=1\n`);
    // The viewer exited: its listener is closed.
    await new Promise((r) => setTimeout(r, 50));
    await expect(
      new Promise((resolve, reject) => {
        const late = connect(info.port ?? 1, '127.0.0.1');
        late.on('connect', () => resolve('connected'));
        late.on('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it('close() ends a running viewer and its listener', async () => {
    // A viewer that stays open until it is told to go (it writes its pid so the test can check).
    const dir = mkdtempSync(join(tmpdir(), 'virtdeck-viewer-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'viewer.sh');
    writeFileSync(script, `#!/bin/sh\necho $$ > ${join(dir, 'pid')}\nexec sleep 60\n`);
    chmodSync(script, 0o755);
    const sessions = new RemoteViewerSessions({ command: script });
    cleanups.push(() => sessions.dispose());
    const { sessionId } = await sessions.open({ hostId: 'h2', open: async () => connect(1, '127.0.0.1'), password: null, title: 't' });
    const { port } = sessions.info(sessionId);
    expect(port).toBeGreaterThan(0);
    const { existsSync, readFileSync } = await import('node:fs');
    const deadline = Date.now() + 5_000;
    while (!existsSync(join(dir, 'pid')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).not.toThrow();
    await sessions.closeHost('h2');
    expect(sessions.info(sessionId)).toEqual({ sessionId, running: false, port: null, channels: [] });
    const gone = Date.now() + 5_000;
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < gone) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
    await expect(
      new Promise((resolve, reject) => {
        const late = connect(port ?? 1, '127.0.0.1');
        late.on('connect', () => resolve('connected'));
        late.on('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
