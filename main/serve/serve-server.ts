import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline, type Duplex } from 'node:stream';
import sirv from 'sirv';
import { WebSocketServer } from 'ws';
import { SERVE_TOKEN_PARAM, SERVE_WEBSOCKET_PATH, TRANSFER_DOWNLOAD_PATH, TRANSFER_UPLOAD_PATH } from '../../preload/api-contract';
import type { UploadRoute } from '../api/storage-calls';
import { toApiError } from '../services/api-failure';
import { RequestUploadPeer } from '../services/storage/request-upload-peer';
import type { DownloadProvider } from '../services/storage/transfers';
import type { ApiRouter } from '../api/api-router';
import { CONTENT_SECURITY_POLICY } from '../content-security-policy';
import { ServeAuth, type AuthVerdict } from './serve-auth';
import { ServeConnection } from './serve-connection';

export interface ServeServerOptions {
  router: ApiRouter;
  /** Directory of the built renderer (index.html and assets). */
  rendererDir: string;
  /** Address to bind; loopback unless the user asked otherwise. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  /** Volume downloads (GET /transfers/download/<id>, same session cookie as everything else). */
  downloads?: DownloadProvider;
  /** Volume uploads (POST /transfers/upload?…, the file as the body). */
  uploads?: UploadRoute;
}

export interface ServeServer {
  /** Base URL, e.g. http://127.0.0.1:43123/ */
  url: string;
  /** The URL with the access token: the one to open. */
  tokenUrl: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const MAX_WEBSOCKET_MESSAGE = 32 * 1024 * 1024;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // The token travels in the first URL: never leak it to another site.
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

function refuse(response: ServerResponse, verdict: Extract<AuthVerdict, { ok: false }>): void {
  response.writeHead(verdict.status, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
  response.end(`${verdict.reason}\n`);
}

/** Streams a prepared volume download to the browser's download manager (backpressure: the response's). */
async function serveDownload(provider: DownloadProvider, id: string, response: ServerResponse): Promise<void> {
  const download = /^[0-9a-f-]{36}$/i.test(id) ? await provider.openDownload(id).catch(() => null) : null;
  if (!download) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
    response.end('No such download (each link works once)\n');
    return;
  }
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(download.sizeBytes),
    'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(download.fileName)}`,
    'Cache-Control': 'no-store',
  });
  pipeline(download.body, response, () => undefined);
}

function refuseUpgrade(socket: Duplex, verdict: Extract<AuthVerdict, { ok: false }>): void {
  const text = { 401: 'Unauthorized', 403: 'Forbidden', 421: 'Misdirected Request' }[verdict.status];
  const body = `${verdict.reason}\n`;
  socket.end(
    `HTTP/1.1 ${verdict.status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Serve mode: the renderer and the API contract over HTTP + one WebSocket per tab, for a browser on
 * this computer. Bound to loopback by default; every request needs the token or the session it buys.
 */
export async function startServeServer(options: ServeServerOptions): Promise<ServeServer> {
  let boundPort = options.port;
  const auth = new ServeAuth(() => boundPort, options.host, options.token);
  const assets = sirv(options.rendererDir, { dev: false, etag: true, single: true, gzip: false, brotli: false });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WEBSOCKET_MESSAGE });

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://serve.invalid');
    const bad = auth.checkHost(request);
    if (bad && !bad.ok) return refuse(response, bad);
    const verdict = auth.checkCredentials(request, url);
    if (!verdict.ok) return refuse(response, verdict);
    if (verdict.viaToken) {
      // Trade the token for a session cookie and drop it from the address bar.
      url.searchParams.delete(SERVE_TOKEN_PARAM);
      response.writeHead(303, {
        Location: `${url.pathname}${url.search}`,
        'Set-Cookie': auth.newSessionCookie(),
        'Cache-Control': 'no-store',
        ...SECURITY_HEADERS,
      });
      response.end();
      return;
    }
    if (options.uploads && request.method === 'POST' && url.pathname === TRANSFER_UPLOAD_PATH) {
      // A POST from a page must come from this server's own origin (the cookie is SameSite=Strict too).
      const origin = auth.checkOrigin(request);
      if (origin && !origin.ok) return refuse(response, origin);
      const peer = new RequestUploadPeer(request, response);
      options.uploads(url.searchParams, peer).catch((error: unknown) => peer.close(toApiError(error)));
      return;
    }
    if (options.downloads && request.method === 'GET' && url.pathname.startsWith(TRANSFER_DOWNLOAD_PATH)) {
      void serveDownload(options.downloads, url.pathname.slice(TRANSFER_DOWNLOAD_PATH.length), response);
      return;
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    assets(request, response, () => {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('Not found\n');
    });
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://serve.invalid');
    const verdict =
      auth.checkHost(request) ??
      auth.checkOrigin(request) ??
      (url.pathname === SERVE_WEBSOCKET_PATH
        ? auth.checkCredentials(request, url)
        : ({ ok: false, status: 403, reason: 'No WebSocket here.' } as const));
    if (!verdict.ok) return refuseUpgrade(socket, verdict);
    sockets.handleUpgrade(request, socket, head, (ws) => new ServeConnection(ws, options.router));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  boundPort = (server.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${hostForUrl}:${boundPort}/`;
  return {
    url,
    tokenUrl: `${url}?${SERVE_TOKEN_PARAM}=${auth.token}`,
    token: auth.token,
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
