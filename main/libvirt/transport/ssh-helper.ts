/**
 * The `ssh-helper` transport: exactly what libvirt's own qemu+ssh client runs on the host (no pty), from
 * src/rpc/virnetclient.c virNetClientSSHHelperCommand (proxy=auto):
 *
 *   sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper [-r ]'URI'; \
 *     else    if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;\
 *     'nc' $ARG -U SOCKET; fi'
 *
 * virt-ssh-helper (libvirt ≥ 6.8) connects to the right daemon itself (modular virtqemud or libvirtd,
 * session daemons too); old hosts fall back to netcat on the legacy socket (`-q0` for nc builds that
 * otherwise linger after EOF). The command string is byte-identical to libvirt's, so hosts that restrict
 * SSH keys to libvirt's command (authorized_keys `command=`, sudo rules) accept it too. The URI is escaped
 * twice like libvirt does (login shell, then `sh -c`); any string round-trips (tests/unit/ssh).
 *
 * Shell rc files that print to stdout (e.g. an `echo` in ~/.bashrc, which bash runs even for ssh
 * commands) corrupt the byte stream before libvirt's first reply: the RPC layer detects it on the first
 * reply (an implausible length word); {@link explainUnexpectedLibvirtBytes} turns those bytes into an
 * actionable message. The ssh-socket transport is immune (no shell involved).
 */
import type { Duplex } from 'node:stream';
import type { SshConnection } from '../../ssh/connection';
import { LibvirtTransportError } from './errors';
import { legacySocketPath, parseLibvirtUri } from './libvirt-uri';

export type SshHelperProxy = 'auto' | 'netcat' | 'native';

const SHELL_META = /[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/;

/** libvirt's virBufferEscapeShell: unchanged without metacharacters, else single-quoted ('\'' for '). */
export function libvirtEscapeShell(str: string): string {
  if (str === '') return "''";
  if (!SHELL_META.test(str)) return str;
  return `'${str.replace(/'/g, `'\\''`)}'`;
}

/** libvirt's virNetClientDoubleEscapeShell: escaped for the login shell, then for `sh -c`. */
export function libvirtDoubleEscapeShell(str: string): string {
  return libvirtEscapeShell(libvirtEscapeShell(str));
}

export interface SshHelperCommandOptions {
  /** The URI for the host-side daemon, e.g. `qemu:///system`. */
  driverUri: string;
  readOnly: boolean;
  /** auto (helper, else netcat) — libvirt's default; netcat; native (helper only). */
  proxy?: SshHelperProxy;
  /** netcat binary (libvirt's `?netcat=`); default `nc`. */
  netcatPath?: string;
  /** Socket for the netcat fallback. */
  socketPath: string;
}

/** The remote command, byte-identical to libvirt's for the same inputs. */
export function buildSshHelperCommand(options: SshHelperCommandOptions): string {
  const proxy = options.proxy ?? 'auto';
  const nc = libvirtDoubleEscapeShell(options.netcatPath ?? 'nc');
  const uri = libvirtDoubleEscapeShell(options.driverUri);
  // libvirt inserts the socket path as is; we do too unless it needs quoting (then libvirt's URI scheme).
  const socket =
    libvirtEscapeShell(options.socketPath) === options.socketPath
      ? options.socketPath
      : `'${libvirtDoubleEscapeShell(options.socketPath)}'`;
  const ncCmd =
    `if '${nc}' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ` +
    `ARG=-q0;` +
    `else ` +
    `ARG=;` +
    `fi;` +
    `'${nc}' $ARG -U ${socket}`;
  const helperCmd = `virt-ssh-helper${options.readOnly ? ' -r ' : ' '}'${uri}'`;
  switch (proxy) {
    case 'auto':
      return (
        `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; ` +
        `if test $? = 0; then ` +
        `    ${helperCmd}; ` +
        `else` +
        `    ${ncCmd}; ` +
        `fi'`
      );
    case 'netcat':
      return `sh -c '${ncCmd}'`;
    case 'native':
      return `sh -c '${helperCmd}'`;
  }
}

export interface SshHelperOptions {
  uri: string;
  readOnly?: boolean;
  proxy?: SshHelperProxy;
  netcatPath?: string;
  /** Socket for the netcat fallback (default libvirt's: /var/run/libvirt/libvirt-sock[-ro]). */
  socketPath?: string;
  signal?: AbortSignal;
}

function classifyHelperFailure(
  code: number | null,
  signal: string | null,
  stderr: string,
): LibvirtTransportError {
  const text = stderr.trim().split('\n').slice(-5).join(' | ');
  const status = code !== null ? `exit code ${code}` : `signal ${signal ?? '?'}`;
  if (code === 127 || /\bnc\b.*not found|command not found/i.test(stderr)) {
    return new LibvirtTransportError(
      'helper-failed',
      'ssh-helper',
      `neither virt-ssh-helper nor nc can be run on the host (${status}${text ? `: ${text}` : ''}); ` +
        'install libvirt there, or use the ssh-socket transport',
    );
  }
  if (/permission denied/i.test(stderr)) {
    return new LibvirtTransportError(
      'permission-denied',
      'ssh-helper',
      `libvirt refused this account (${text}); is it in group libvirt, or allowed by polkit?`,
    );
  }
  if (/no such file or directory|connection refused/i.test(stderr)) {
    return new LibvirtTransportError(
      'no-socket',
      'ssh-helper',
      `libvirt is not running on the host? (${text})`,
    );
  }
  return new LibvirtTransportError(
    'helper-failed',
    'ssh-helper',
    `libvirt's ssh helper failed (${status})${text ? `: ${text}` : ''}`,
  );
}

/**
 * Runs libvirt's helper command on the host and returns its channel: stdin/stdout carry the libvirt RPC
 * byte stream. If the helper exits with an error, the stream is destroyed with a LibvirtTransportError
 * carrying its stderr (instead of a bare end-of-stream).
 */
export async function openSshHelperStream(
  ssh: SshConnection,
  options: SshHelperOptions,
): Promise<{ stream: Duplex; command: string }> {
  const uri = parseLibvirtUri(options.uri);
  const readOnly = options.readOnly ?? false;
  const netcatParam = uri.params.find(([k]) => k === 'netcat')?.[1];
  const netcatPath = options.netcatPath ?? netcatParam;
  const command = buildSshHelperCommand({
    driverUri: uri.driverUri,
    readOnly,
    // libvirt: a netcat path given in the URI means the legacy nc proxy.
    proxy: options.proxy ?? (netcatParam !== undefined ? 'netcat' : 'auto'),
    netcatPath,
    socketPath: options.socketPath ?? legacySocketPath(uri, readOnly),
  });
  const channel = await ssh.exec(command, { signal: options.signal });
  const failure = (): LibvirtTransportError | null => {
    const exited = channel.exited;
    if (!exited || exited.code === 0) return null;
    return classifyHelperFailure(exited.code, exited.signal, channel.collectedStderr);
  };
  // A helper that already failed (fast: missing binary, no socket) is reported here, not on the stream.
  const early = failure();
  if (early) {
    channel.destroy();
    throw early;
  }
  channel.on('exit', () => {
    const err = failure();
    if (err) channel.destroy(err);
  });
  return { stream: channel, command };
}

/**
 * When the first bytes read from a libvirt stream are not a plausible RPC length word, explains why in
 * terms a user can act on; null when they look fine. For the RPC layer's first-reply check.
 */
export function explainUnexpectedLibvirtBytes(first: Buffer): string | null {
  if (first.length < 4) return null;
  const length = first.readUInt32BE(0);
  if (length >= 28 && length <= 33554432) return null;
  const sample = first.subarray(0, 120).toString('utf8');
  // eslint-disable-next-line no-control-regex
  const printable = /^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/.test(sample);
  if (printable) {
    return (
      `the host printed text before libvirt's data: "${sample.replace(/\s+/g, ' ').trim()}". ` +
      'A shell startup file (~/.bashrc, ~/.profile, /etc/profile.d/*) writes to stdout even for ' +
      'non-interactive SSH commands; make it quiet, or use the ssh-socket transport'
    );
  }
  return `the byte stream does not look like libvirt's RPC protocol (length word ${length})`;
}
