/**
 * Serve mode's volume download route: the same session cookie as everything else, 404 for an unknown
 * or malformed id, and a streamed attachment with the size and file name the transfer provides.
 * The provider here stands in for the storage service's TransferManager (its own behaviour is
 * integration-tested against the lab).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiRouter } from '../../../main/api/api-router';
import { createCallHandlers } from '../../../main/api/call-handlers';
import { createServices } from '../../../main/app-services';
import { createStorageUploadRoute } from '../../../main/api/storage-calls';
import { startServeServer, type ServeServer } from '../../../main/serve/serve-server';
import type { DownloadProvider } from '../../../main/services/storage/transfers';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const BYTES = Buffer.from('volume bytes '.repeat(1000));
let server: ServeServer;
const served = new Set<string>();

const provider: DownloadProvider = {
  openDownload: async (id) => {
    if (id !== ID || served.has(id)) return null;
    served.add(id);
    return { fileName: 'disk one.qcow2', sizeBytes: BYTES.length, body: Readable.from([BYTES.subarray(0, 5000), BYTES.subarray(5000)]) };
  },
};

function post(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers, method: 'POST' }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const rendererDir = await mkdtemp(join(tmpdir(), 'virtdeck-renderer-'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>VirtDeck</title>');
  const deps = createServices({ transport: 'serve', configDir: await mkdtemp(join(tmpdir(), 'virtdeck-config-')), connectOnLaunch: false });
  const router = new ApiRouter(createCallHandlers(deps), {}, deps.events);
  server = await startServeServer({ router, rendererDir, host: '127.0.0.1', port: 0, downloads: provider, uploads: createStorageUploadRoute(deps) });
});

afterAll(async () => {
  await server.close();
});

describe('serve mode downloads', () => {
  it('needs the session', async () => {
    expect((await get(`/transfers/download/${ID}`)).status).toBe(401);
    expect(served.size).toBe(0);
  });

  it('streams the volume as an attachment once, then answers 404', async () => {
    const login = await get(`/?token=${server.token}`);
    const cookie = String((login.headers['set-cookie'] as string[])[0]).split(';')[0] ?? '';
    expect((await get('/transfers/download/not-an-id', { Cookie: cookie })).status).toBe(404);
    const answer = await get(`/transfers/download/${ID}`, { Cookie: cookie });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-disposition']).toBe("attachment; filename*=UTF-8''disk%20one.qcow2");
    expect(answer.headers['content-length']).toBe(String(BYTES.length));
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body.equals(BYTES)).toBe(true);
    expect((await get(`/transfers/download/${ID}`, { Cookie: cookie })).status).toBe(404);
  });
});

describe('serve mode uploads', () => {
  it('need the session and this origin, and validate the parameters before touching a host', async () => {
    const login = await get(`/?token=${server.token}`);
    const cookie = String((login.headers['set-cookie'] as string[])[0]).split(';')[0] ?? '';
    const origin = `http://127.0.0.1:${server.port}`;
    const query = `transferId=${ID}&hostId=h1&pool=p&name=v.iso&fileName=v.iso&sizeBytes=3`;
    expect((await post(`/transfers/upload?${query}`, { Origin: origin }, 'abc')).status).toBe(401);
    expect((await post(`/transfers/upload?${query}`, { Cookie: cookie, Origin: 'http://evil.example' }, 'abc')).status).toBe(403);
    const bad = await post(`/transfers/upload?${query.replace('sizeBytes=3', 'sizeBytes=-1')}`, { Cookie: cookie, Origin: origin }, 'abc');
    expect(bad.status).toBe(200);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    const unknownHost = await post(`/transfers/upload?${query}`, { Cookie: cookie, Origin: origin }, 'abc');
    expect(JSON.parse(unknownHost.body)).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(JSON.parse(unknownHost.body).error.message).toContain('not connected');
  });
});
