import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { createStorageUploadRoute } from '../api/storage-calls';
import { createAppServices } from '../app-services';
import { isLoopbackAddress } from '../serve/serve-auth';
import { startServeServer } from '../serve/serve-server';
import { RENDERER_OUT_DIR, ensureBuild } from './ensure-build';

const USAGE = `Usage: npm run serve -- [--port N] [--host ADDRESS] [--open] [--json]

Serves VirtDeck to a browser on this computer: the same services as the desktop app,
over a WebSocket on 127.0.0.1 guarded by a one-time access token.

  --port N        port to listen on (default 0: any free port)
  --host ADDRESS  address to bind (default 127.0.0.1). Anything but loopback exposes
                  VirtDeck to your network: it prints a warning and still needs the token.
  --open          open the URL in the default browser
  --json          print one JSON line {"url","tokenUrl","port"} (for scripts)`;

/** Opens a URL in the desktop's browser; quietly does nothing where there is none. */
export function openInBrowser(url: string): boolean {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer.exe' : 'xdg-open';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false;
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export async function runServe(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      open: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0–65535, not "${values.port}"`);
  if (!isLoopbackAddress(values.host)) {
    console.warn(
      `WARNING: binding to ${values.host} makes VirtDeck reachable from other machines on your network. ` +
        'Anyone with the token can manage your hosts. Prefer 127.0.0.1 and an SSH tunnel.',
    );
  }
  ensureBuild({ quiet: values.json });
  const services = createAppServices({ transport: 'serve' });
  const server = await startServeServer({
    router: services.router,
    downloads: services.deps.storage.transfers,
    uploads: createStorageUploadRoute(services.deps),
    rendererDir: RENDERER_OUT_DIR,
    host: values.host,
    port,
  });
  if (values.json) {
    console.log(JSON.stringify({ url: server.url, tokenUrl: server.tokenUrl, port: server.port }));
  } else {
    console.log(`VirtDeck serve mode is running. Open this URL in your browser (it carries the access token):\n\n  ${server.tokenUrl}\n`);
    console.log('Press Ctrl+C to stop.');
  }
  if (values.open) openInBrowser(server.tokenUrl);
  const stop = async () => {
    await server.close();
    await services.dispose();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
