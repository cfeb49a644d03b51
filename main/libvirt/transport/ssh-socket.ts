/**
 * The `ssh-socket` transport: a direct-streamlocal@openssh.com channel straight to libvirt's Unix socket
 * on the host — no process on the host, no shell (so no rc-file garbage), fastest to open.
 *
 * Which socket: `?socket=` in the URI or the `socketPath` option; else libvirt's candidates in its own
 * order of preference — the driver's modular daemon (virtqemud-sock) first, then libvirtd's (or
 * virtproxyd's) libvirt-sock; the `-ro` sockets for read-only. They are opened directly, all at once
 * (one round trip, no process on the host, immune to slow or noisy shell rc files), and the most
 * preferred one that opens is kept and remembered for the connection. Only when none opens does a
 * shell probe (`test -S` / `test -w`, through `sh -c`) run, to say exactly why.
 * Session URIs (qemu:///session) are not supported here: the per-user daemon may need spawning, which
 * only virt-ssh-helper does.
 */
import type { Duplex } from 'node:stream';
import type { SshConnection } from '../../ssh/connection';
import { SshChannelOpenError } from '../../ssh/errors';
import { shellQuote } from '../../ssh/shell-quote';
import { LibvirtTransportError } from './errors';
import { parseLibvirtUri, systemSocketCandidates, uriParam, type LibvirtUri } from './libvirt-uri';

const probes = new WeakMap<SshConnection, Map<string, Promise<string>>>();

const MARK = 'VIRTDECK-LIBVIRT-SOCKET';

/** The probe script (run with `sh -c`): prints `MARK rw|ro PATH` for each candidate that is a socket. */
export function socketProbeCommand(candidates: readonly string[]): string {
  const script =
    `for s in ${candidates.map(shellQuote).join(' ')}; do ` +
    `if test -S "$s"; then if test -w "$s"; then echo "${MARK} rw $s"; else echo "${MARK} ro $s"; fi; fi; ` +
    `done; exit 0`;
  return `sh -c ${shellQuote(script)}`;
}

/** Picks the socket from the probe output (lines not starting with the mark, e.g. rc-file noise, are ignored). */
export function pickProbedSocket(
  candidates: readonly string[],
  output: string,
): { path: string } | { error: LibvirtTransportError } {
  const found = new Map<string, 'rw' | 'ro'>();
  for (const line of output.split('\n')) {
    const m = new RegExp(`^${MARK} (rw|ro) (.+)$`).exec(line.trim());
    if (m?.[1] && m[2]) found.set(m[2], m[1] as 'rw' | 'ro');
  }
  for (const c of candidates) if (found.get(c) === 'rw') return { path: c };
  const readOnly = candidates.filter((c) => found.get(c) === 'ro');
  if (readOnly.length > 0) {
    return {
      error: new LibvirtTransportError(
        'permission-denied',
        'ssh-socket',
        `this account may not use ${readOnly.join(' or ')} (not in group libvirt?)`,
      ),
    };
  }
  return {
    error: new LibvirtTransportError(
      'no-socket',
      'ssh-socket',
      `no libvirt socket on the host (looked for ${candidates.join(', ')}): is libvirtd or virtqemud running?`,
    ),
  };
}

async function probe(
  ssh: SshConnection,
  uri: LibvirtUri,
  readOnly: boolean,
  signal?: AbortSignal,
): Promise<string> {
  const candidates = systemSocketCandidates(uri, readOnly);
  const result = await ssh.run(socketProbeCommand(candidates), { signal, timeoutMs: 30_000 });
  if (result.code !== 0) {
    throw new LibvirtTransportError(
      'no-socket',
      'ssh-socket',
      `could not look for the libvirt socket (exit ${String(result.code)}: ${result.stderr.trim()})`,
    );
  }
  const picked = pickProbedSocket(candidates, result.stdout);
  if ('error' in picked) throw picked.error;
  return picked.path;
}

/** The libvirt socket path on the host for this URI (probed once per connection, then cached). */
export function findLibvirtSocket(
  ssh: SshConnection,
  uri: LibvirtUri,
  readOnly: boolean,
  signal?: AbortSignal,
): Promise<string> {
  const explicit = uriParam(uri, 'socket');
  if (explicit) return Promise.resolve(explicit);
  let cache = probes.get(ssh);
  if (!cache) {
    cache = new Map();
    probes.set(ssh, cache);
  }
  const key = `${uri.driver}|${uriParam(uri, 'mode') ?? ''}|${readOnly ? 'ro' : 'rw'}`;
  let found = cache.get(key);
  if (!found) {
    found = probe(ssh, uri, readOnly, signal);
    const c = cache;
    found.catch(() => c.delete(key));
    cache.set(key, found);
  }
  return found;
}

export function forgetLibvirtSocket(ssh: SshConnection): void {
  probes.delete(ssh);
}

export interface SshSocketOptions {
  uri: string;
  readOnly?: boolean;
  /** Socket path on the host; default `?socket=` or the probe. */
  socketPath?: string;
  signal?: AbortSignal;
}

/** Which candidate opened last time on this connection, per URI kind: tried alone first next time. */
const opened = new WeakMap<SshConnection, Map<string, string>>();

function openAll(ssh: SshConnection, paths: readonly string[], signal?: AbortSignal): Promise<PromiseSettledResult<Duplex>[]> {
  return Promise.allSettled(paths.map((path) => ssh.openUnixSocket(path, { signal })));
}

/** The first stream that opened, in the candidates' order; the others are closed. */
function firstOpened(
  attempts: readonly PromiseSettledResult<Duplex>[],
  paths: readonly string[],
): { stream: Duplex; socketPath: string } | null {
  let chosen: { stream: Duplex; socketPath: string } | null = null;
  attempts.forEach((attempt, index) => {
    if (attempt.status !== 'fulfilled') return;
    if (chosen) attempt.value.destroy();
    else chosen = { stream: attempt.value, socketPath: paths[index] ?? '' };
  });
  return chosen;
}

/** The SSH connection itself failed, or the attempt was cancelled: no other path can help. */
function isFatal(attempt: PromiseSettledResult<Duplex>): attempt is PromiseRejectedResult {
  return attempt.status === 'rejected' && !(attempt.reason instanceof SshChannelOpenError);
}

async function openFirstCandidate(
  ssh: SshConnection,
  uri: LibvirtUri,
  readOnly: boolean,
  signal?: AbortSignal,
): Promise<{ stream: Duplex; socketPath: string }> {
  const key = `${uri.driver}|${uriParam(uri, 'mode') ?? ''}|${readOnly ? 'ro' : 'rw'}`;
  let remembered = opened.get(ssh);
  if (!remembered) {
    remembered = new Map();
    opened.set(ssh, remembered);
  }
  const known = remembered.get(key);
  if (known) {
    try {
      return { stream: await ssh.openUnixSocket(known, { signal }), socketPath: known };
    } catch (err) {
      if (!(err instanceof SshChannelOpenError)) throw err;
      remembered.delete(key); // the daemon moved (e.g. switched to modular daemons): look again
    }
  }
  const candidates = systemSocketCandidates(uri, readOnly);
  // /var/run is a link to /run on current systems: opening both paths at once connected to the daemon
  // twice (one connection thrown away at once, for every host at every connect). The /var/run paths
  // are tried only when none under /run opened (older systems), one round trip later.
  const underRun = candidates.filter((path) => !path.startsWith('/var/run/'));
  const rest = candidates.filter((path) => path.startsWith('/var/run/'));
  let attempts = await openAll(ssh, underRun, signal);
  let chosen = firstOpened(attempts, underRun);
  if (!chosen && rest.length > 0 && !attempts.some(isFatal)) {
    attempts = [...attempts, ...(await openAll(ssh, rest, signal))];
    chosen = firstOpened(attempts, [...underRun, ...rest]);
  }
  if (chosen) {
    remembered.set(key, chosen.socketPath);
    return chosen;
  }
  const fatal = attempts.find(isFatal);
  if (fatal) throw fatal.reason; // the SSH connection itself failed or the attempt was cancelled
  // None opened: ask the host why (missing socket, permission, or stream-local forwarding refused).
  const socketPath = await findLibvirtSocket(ssh, uri, readOnly, signal);
  forgetLibvirtSocket(ssh);
  const reason = attempts.find((a): a is PromiseRejectedResult => a.status === 'rejected')?.reason;
  throw new LibvirtTransportError(
    'streamlocal-failed',
    'ssh-socket',
    `the SSH server did not open ${socketPath}: ${reason instanceof Error ? reason.message : String(reason)}`,
    reason instanceof Error ? { cause: reason } : undefined,
  );
}

export async function openSshSocketStream(
  ssh: SshConnection,
  options: SshSocketOptions,
): Promise<{ stream: Duplex; socketPath: string }> {
  const uri = parseLibvirtUri(options.uri);
  const readOnly = options.readOnly ?? false;
  const explicit = options.socketPath ?? uriParam(uri, 'socket');
  if (uri.session && !explicit) {
    throw new LibvirtTransportError(
      'unsupported',
      'ssh-socket',
      `${uri.driverUri}: session daemons are reached through virt-ssh-helper (use transport ssh-helper or auto)`,
    );
  }
  if (!explicit) return openFirstCandidate(ssh, uri, readOnly, options.signal);
  try {
    const stream = await ssh.openUnixSocket(explicit, { signal: options.signal });
    return { stream, socketPath: explicit };
  } catch (err) {
    if (err instanceof SshChannelOpenError) {
      throw new LibvirtTransportError(
        'streamlocal-failed',
        'ssh-socket',
        `the SSH server did not open ${explicit}: ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}
