/**
 * The `local-socket` transport: "this computer" without SSH — net.connect to libvirt's Unix socket.
 * System URIs try the driver's modular daemon socket, then libvirtd's; session URIs look under
 * $XDG_RUNTIME_DIR/libvirt (else ~/.cache/libvirt). Unlike virsh, the session daemon is not spawned: it must
 * be running (or socket-activated).
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { LibvirtTransportError } from './errors';
import {
  modularDaemonFor,
  parseLibvirtUri,
  systemSocketCandidates,
  uriParam,
  type LibvirtUri,
} from './libvirt-uri';

export function localSocketCandidates(
  uri: LibvirtUri,
  readOnly: boolean,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string[] {
  const explicit = uriParam(uri, 'socket');
  if (explicit) return [explicit];
  if (!uri.session) return systemSocketCandidates(uri, readOnly);
  const dir = env.XDG_RUNTIME_DIR
    ? join(env.XDG_RUNTIME_DIR, 'libvirt')
    : join(homedir(), '.cache', 'libvirt');
  const daemon = modularDaemonFor(uri.driver);
  return [...(daemon ? [join(dir, `${daemon}-sock`)] : []), join(dir, 'libvirt-sock')];
}

function usable(path: string): 'rw' | 'no-access' | 'missing' {
  try {
    if (!statSync(path).isSocket()) return 'missing';
  } catch {
    return 'missing';
  }
  try {
    accessSync(path, fsConstants.W_OK);
    return 'rw';
  } catch {
    return 'no-access';
  }
}

export interface LocalSocketOptions {
  uri: string;
  readOnly?: boolean;
  socketPath?: string;
  signal?: AbortSignal;
}

export async function openLocalSocketStream(
  options: LocalSocketOptions,
): Promise<{ stream: Socket; socketPath: string }> {
  const uri = parseLibvirtUri(options.uri);
  const readOnly = options.readOnly ?? false;
  let socketPath = options.socketPath;
  if (!socketPath) {
    const candidates = localSocketCandidates(uri, readOnly);
    const states = candidates.map((c) => [c, usable(c)] as const);
    socketPath = states.find(([, s]) => s === 'rw')?.[0];
    if (!socketPath) {
      const denied = states.filter(([, s]) => s === 'no-access').map(([c]) => c);
      if (denied.length > 0) {
        throw new LibvirtTransportError(
          'permission-denied',
          'local-socket',
          `this account may not use ${denied.join(' or ')} (not in group libvirt?)`,
        );
      }
      throw new LibvirtTransportError(
        'no-socket',
        'local-socket',
        `no libvirt socket on this computer (looked for ${candidates.join(', ')}): is libvirtd or virtqemud running?`,
      );
    }
  }
  const path = socketPath;
  const stream = await new Promise<Socket>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(
        new LibvirtTransportError('local-connect-failed', 'local-socket', 'cancelled', {
          cause: options.signal.reason,
        }),
      );
      return;
    }
    const socket = connect(path);
    const onAbort = () => {
      socket.destroy();
      reject(
        new LibvirtTransportError('local-connect-failed', 'local-socket', 'cancelled', {
          cause: options.signal?.reason,
        }),
      );
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', onAbort);
      const code =
        err.code === 'EACCES'
          ? 'permission-denied'
          : err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
            ? 'no-socket'
            : 'local-connect-failed';
      reject(
        new LibvirtTransportError(code, 'local-socket', `cannot connect to ${path}: ${err.message}`, {
          cause: err,
        }),
      );
    });
    socket.once('connect', () => {
      options.signal?.removeEventListener('abort', onAbort);
      // Like the SSH channels: an 'error' without a listener must not crash the app; readers see 'close'.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
  return { stream, socketPath: path };
}
