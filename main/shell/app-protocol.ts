import { net, protocol } from 'electron';
import { join, normalize, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { TRANSFER_DOWNLOAD_PATH } from '../../preload/api-contract';
import type { DownloadProvider } from '../services/storage/transfers';
import { CONTENT_SECURITY_POLICY } from '../content-security-policy';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://virtdeck`;

/** Must run before the app is ready: makes app:// a standard, secure origin for the renderer. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/** A volume download (storage): Electron's download manager saves it (save dialog, progress). */
async function downloadResponse(downloads: DownloadProvider, id: string): Promise<Response> {
  const download = /^[0-9a-f-]{36}$/i.test(id) ? await downloads.openDownload(id).catch(() => null) : null;
  if (!download) return new Response('No such download', { status: 404 });
  return new Response(Readable.toWeb(download.body) as ReadableStream, {
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(download.sizeBytes),
      'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(download.fileName)}`,
    },
  });
}

/**
 * Serves the built renderer from app://virtdeck/, with the CSP header, refusing paths outside it, and
 * volume downloads under TRANSFER_DOWNLOAD_PATH once the services exist (`downloads()`).
 */
export function serveRendererFiles(rendererDir: string, downloads: () => DownloadProvider | null = () => null): void {
  const root = normalize(rendererDir + sep);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'virtdeck') return new Response('Not found', { status: 404 });
    const provider = downloads();
    if (provider && request.method === 'GET' && url.pathname.startsWith(TRANSFER_DOWNLOAD_PATH)) {
      return downloadResponse(provider, url.pathname.slice(TRANSFER_DOWNLOAD_PATH.length));
    }
    const relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = normalize(join(root, relative));
    if (!file.startsWith(root)) return new Response('Forbidden', { status: 403 });
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}
