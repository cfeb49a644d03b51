/**
 * createLibvirtDialer: how the RPC client gets its byte stream to libvirt.
 *
 *   const dial = createLibvirtDialer(ssh, { uri: 'qemu:///system', transport: 'auto' });
 *   const stream = await dial();          // a plain Duplex speaking libvirt's RPC protocol
 *   dial.last                              // { transport: 'ssh-socket', detail: '/run/libvirt/…', … }
 *
 * `auto` tries ssh-socket first, then ssh-helper:
 *  - ssh-socket (direct-streamlocal) starts no process on the host, cannot be corrupted by shell rc files,
 *    and after the one-time socket probe opens in one channel round trip;
 *  - ssh-helper works where stream-local forwarding is disabled (AllowStreamLocalForwarding no,
 *    DisableForwarding, non-OpenSSH servers, SELinux denying sshd the socket), reaches session daemons,
 *    and lets virt-ssh-helper pick the daemon socket itself.
 * Session URIs go straight to ssh-helper. Without an SSH connection (`ssh` null: this computer), auto
 * means local-socket. The transport that worked is remembered by the dialer; if it stops working, the
 * next dial detects again. Cancellation and a closed SSH connection are never "fallen back" from.
 */
import type { Duplex } from 'node:stream';
import type { SshConnection } from '../../ssh/connection';
import { SshError } from '../../ssh/errors';
import { LibvirtTransportError } from './errors';
import { parseLibvirtUri } from './libvirt-uri';
import { openLocalSocketStream } from './local-socket';
import { openSshHelperStream } from './ssh-helper';
import { openSshSocketStream } from './ssh-socket';

export type LibvirtTransportKind = 'ssh-helper' | 'ssh-socket' | 'local-socket';
export type LibvirtTransportChoice = LibvirtTransportKind | 'auto';

export interface LibvirtDialInfo {
  transport: LibvirtTransportKind;
  /** The socket path (ssh-socket, local-socket) or the remote command (ssh-helper). */
  detail: string;
  /** With auto: the transport tried first and why it was not used. */
  fallbackFrom: { transport: LibvirtTransportKind; reason: string } | null;
  /** Time to get the stream (probe included), ms. */
  openMs: number;
}

export interface LibvirtDialerOptions {
  /** libvirt URI, e.g. `qemu:///system` (a `qemu+ssh://host/system` form works too: host part ignored). */
  uri: string;
  /** Default auto. */
  transport?: LibvirtTransportChoice;
  /** Read-only connection: the `-ro` socket / `virt-ssh-helper -r`. The RPC layer must open with VIR_CONNECT_RO. */
  readOnly?: boolean;
  /** Socket path on the host (ssh-socket, local-socket, and the netcat fallback of ssh-helper). */
  socketPath?: string;
  /** Called after each successful dial. */
  onDial?: (info: LibvirtDialInfo) => void;
}

export interface LibvirtDialer {
  (signal?: AbortSignal): Promise<Duplex>;
  /** What the last successful dial used; null before. */
  readonly last: LibvirtDialInfo | null;
}

function isFinal(err: unknown): boolean {
  // Cancelled, timed out, or the SSH connection itself is gone: trying another transport cannot help.
  return (
    err instanceof SshError &&
    (err.code === 'cancelled' || err.code === 'not-connected' || err.code === 'timeout')
  );
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createLibvirtDialer(ssh: SshConnection | null, options: LibvirtDialerOptions): LibvirtDialer {
  const uri = parseLibvirtUri(options.uri);
  const readOnly = options.readOnly ?? false;
  const choice = options.transport ?? 'auto';
  if (!ssh && choice !== 'auto' && choice !== 'local-socket') {
    throw new LibvirtTransportError('unsupported', choice, `transport ${choice} needs an SSH connection`);
  }
  if (ssh && choice === 'local-socket') {
    throw new LibvirtTransportError(
      'unsupported',
      choice,
      'local-socket is for this computer: pass no SSH connection',
    );
  }
  let last: LibvirtDialInfo | null = null;
  let remembered: LibvirtTransportKind | null = null;

  const open = async (
    kind: LibvirtTransportKind,
    signal?: AbortSignal,
  ): Promise<{ stream: Duplex; detail: string }> => {
    switch (kind) {
      case 'local-socket': {
        const r = await openLocalSocketStream({
          uri: options.uri,
          readOnly,
          socketPath: options.socketPath,
          signal,
        });
        return { stream: r.stream, detail: r.socketPath };
      }
      case 'ssh-socket': {
        if (!ssh) throw new LibvirtTransportError('unsupported', kind, 'no SSH connection');
        const r = await openSshSocketStream(ssh, {
          uri: options.uri,
          readOnly,
          socketPath: options.socketPath,
          signal,
        });
        return { stream: r.stream, detail: r.socketPath };
      }
      case 'ssh-helper': {
        if (!ssh) throw new LibvirtTransportError('unsupported', kind, 'no SSH connection');
        const r = await openSshHelperStream(ssh, {
          uri: options.uri,
          readOnly,
          socketPath: options.socketPath,
          signal,
        });
        return { stream: r.stream, detail: r.command };
      }
    }
  };

  const dial = async (signal?: AbortSignal): Promise<Duplex> => {
    const started = Date.now();
    const finish = (
      transport: LibvirtTransportKind,
      detail: string,
      fallbackFrom: LibvirtDialInfo['fallbackFrom'],
    ) => {
      last = { transport, detail, fallbackFrom, openMs: Date.now() - started };
      options.onDial?.(last);
    };
    if (choice !== 'auto') {
      const r = await open(choice, signal);
      finish(choice, r.detail, null);
      return r.stream;
    }
    if (!ssh) {
      const r = await open('local-socket', signal);
      finish('local-socket', r.detail, null);
      return r.stream;
    }
    const order: LibvirtTransportKind[] = uri.session
      ? ['ssh-helper']
      : remembered === 'ssh-helper'
        ? ['ssh-helper', 'ssh-socket']
        : ['ssh-socket', 'ssh-helper'];
    const failures: Array<{ transport: LibvirtTransportKind; reason: string }> = [];
    for (const kind of order) {
      try {
        const r = await open(kind, signal);
        remembered = kind;
        finish(kind, r.detail, failures[0] ?? null);
        return r.stream;
      } catch (err) {
        if (isFinal(err)) throw err;
        failures.push({ transport: kind, reason: reasonOf(err) });
      }
    }
    remembered = null;
    throw new LibvirtTransportError(
      'all-failed',
      'auto',
      `cannot reach libvirt (${uri.driverUri}): ${failures.map((f) => `${f.transport}: ${f.reason}`).join('; ')}`,
    );
  };

  Object.defineProperty(dial, 'last', { get: () => last, enumerable: true });
  return dial as LibvirtDialer;
}
