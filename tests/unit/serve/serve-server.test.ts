import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { ApiRouter } from '../../../main/api/api-router';
import { createCallHandlers } from '../../../main/api/call-handlers';
import { createServices } from '../../../main/app-services';
import { startServeServer, type ServeServer } from '../../../main/serve/serve-server';
import type { ServeServerMessage } from '../../../preload/api-contract';

let server: ServeServer;

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function sessionCookie(): Promise<string> {
  const answer = await get(`/?token=${server.token}`);
  const cookie = answer.headers['set-cookie']?.[0] ?? '';
  return cookie.split(';')[0] ?? '';
}

/** Opens a WebSocket; resolves with it when open, or with the HTTP status it was refused with. */
function openSocket(headers: Record<string, string>, path = '/api'): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers });
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

function nextMessage(ws: WebSocket, match: (m: ServeServerMessage) => boolean): Promise<ServeServerMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const message = JSON.parse(data.toString()) as ServeServerMessage;
      if (match(message)) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
  });
}

const origin = () => `http://127.0.0.1:${server.port}`;

beforeAll(async () => {
  const rendererDir = await mkdtemp(join(tmpdir(), 'virtdeck-renderer-'));
  await mkdir(join(rendererDir, 'assets'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>VirtDeck</title>');
  const deps = createServices({
    transport: 'serve',
    configDir: await mkdtemp(join(tmpdir(), 'virtdeck-config-')),
    connectOnLaunch: false,
  });
  // A test stream handler: echoes bytes back uppercased, so that the multiplexing is observable.
  const router = new ApiRouter(createCallHandlers(deps), {
    'console.serial': {
      params: z.object({ hostId: z.string(), domainUuid: z.string(), force: z.boolean() }),
      open: async (params, peer) => {
        peer.send(new TextEncoder().encode(`hello ${params.domainUuid}\n`));
        peer.onData((data) => {
          const text = new TextDecoder().decode(data);
          if (text === 'bye') peer.close();
          else peer.send(new TextEncoder().encode(text.toUpperCase()));
        });
      },
    },
  }, deps.events);
  server = await startServeServer({ router, rendererDir, host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server.close();
});

describe('serve mode HTTP', () => {
  it('listens on loopback and prints a URL carrying a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
    expect(server.tokenUrl).toBe(`${server.url}?token=${server.token}`);
  });

  it('refuses a request without the token with 401 and says what to do', async () => {
    const answer = await get('/');
    expect(answer.status).toBe(401);
    expect(answer.body).toMatch(/needs the access token/);
  });

  it('refuses a wrong token', async () => {
    expect((await get('/?token=guess')).status).toBe(401);
  });

  it('trades the token for an HttpOnly SameSite=Strict cookie and strips it from the URL', async () => {
    const answer = await get(`/?token=${server.token}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    expect(answer.headers['set-cookie']?.[0]).toMatch(/^virtdeck_session=[\w-]{32,}; HttpOnly; SameSite=Strict; Path=\/$/);
    const page = await get('/', { cookie: await sessionCookie() });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>VirtDeck</title>');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });

  it('refuses a forged session cookie', async () => {
    expect((await get('/', { cookie: 'virtdeck_session=forged' })).status).toBe(401);
  });

  it('refuses other Host headers (DNS rebinding) with 421', async () => {
    expect((await get(`/?token=${server.token}`, { host: `attacker.example:${server.port}` })).status).toBe(421);
  });
});

describe('serve mode WebSocket', () => {
  it('refuses a socket without token or session (401)', async () => {
    expect(await openSocket({ origin: origin() })).toBe(401);
  });

  it('refuses a foreign Origin even with the session (403)', async () => {
    expect(await openSocket({ origin: 'http://evil.example', cookie: await sessionCookie() })).toBe(403);
    expect(await openSocket({ cookie: await sessionCookie() })).toBe(403);
  });

  it('carries calls, typed errors and events', async () => {
    const ws = await openSocket({ origin: origin(), cookie: await sessionCookie() });
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    ws.send(JSON.stringify({ t: 'subscribe', name: 'hosts.changed' }));
    const changed = nextMessage(ws, (m) => m.t === 'event');
    const added = nextMessage(ws, (m) => m.t === 'result' && m.id === 1);
    ws.send(JSON.stringify({
      t: 'call',
      id: 1,
      name: 'hosts.add',
      request: { displayName: 'lab', ssh: { user: 'root', host: '127.0.0.1', port: 2722 }, libvirtUri: 'qemu:///system', transport: 'auto', tags: [] },
    }));
    expect(await added).toMatchObject({ t: 'result', id: 1, result: { ok: true, value: { displayName: 'lab' } } });
    expect(await changed).toMatchObject({ t: 'event', name: 'hosts.changed', payload: { hosts: [{ displayName: 'lab' }] } });

    const invalid = nextMessage(ws, (m) => m.t === 'result' && m.id === 2);
    ws.send(JSON.stringify({ t: 'call', id: 2, name: 'hosts.add', request: { displayName: 'x' } }));
    expect(await invalid).toMatchObject({ result: { ok: false, error: { code: 'invalid-request' } } });
    ws.close();
  });

  it('closes a socket that sends something that is not the protocol', async () => {
    const ws = await openSocket({ origin: origin(), cookie: await sessionCookie() });
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('not json');
    expect(await closed).toBe(1003);
  });

  it('multiplexes binary streams and delivers bytes sent before the open was announced', async () => {
    const ws = await openSocket({ origin: origin(), cookie: await sessionCookie() });
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    const received: string[] = [];
    const frames = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return;
        expect(data.readUInt32BE(0)).toBe(1);
        received.push(data.subarray(4).toString());
        if (received.length === 2) resolve();
      });
    });
    const opened = nextMessage(ws, (m) => m.t === 'stream.opened');
    ws.send(JSON.stringify({ t: 'stream.open', id: 7, kind: 'console.serial', params: { hostId: 'h', domainUuid: 'u-1', force: false } }));
    expect(await opened).toEqual({ t: 'stream.opened', id: 7, result: { ok: true, value: { stream: 1 } } });
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from('echo $((6*7))')]);
    ws.send(frame, { binary: true });
    await frames;
    expect(received).toEqual(['hello u-1\n', 'ECHO $((6*7))']);

    const closed = nextMessage(ws, (m) => m.t === 'stream.closed');
    ws.send(Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from('bye')]), { binary: true });
    expect(await closed).toEqual({ t: 'stream.closed', stream: 1, info: { byPeer: false } });

    const badParams = nextMessage(ws, (m) => m.t === 'stream.opened' && m.id === 8);
    ws.send(JSON.stringify({ t: 'stream.open', id: 8, kind: 'console.serial', params: { hostId: 1 } }));
    expect(await badParams).toMatchObject({ result: { ok: false, error: { code: 'invalid-request', field: 'hostId' } } });
    ws.close();
  });
});
