/**
 * Typed SSH errors. Every failure of main/ssh surfaces as one of these, with a message a user can act on
 * (which host and port, which methods were tried, which known_hosts line disagrees). Secrets never appear
 * in messages or fields.
 */

export type SshErrorCode =
  | 'unreachable'
  | 'timeout'
  | 'cancelled'
  | 'auth-failed'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'host-key-rejected'
  | 'host-key-unknown'
  | 'config'
  | 'disconnected'
  | 'protocol'
  | 'channel-open-failed'
  | 'not-connected';

export interface SshErrorOptions {
  cause?: unknown;
  host?: string;
  port?: number;
}

export class SshError extends Error {
  readonly code: SshErrorCode;
  /** The host (as connected to: HostName after ~/.ssh/config) and port the error is about, when known. */
  readonly host: string | undefined;
  readonly port: number | undefined;

  constructor(code: SshErrorCode, message: string, options: SshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SshError';
    this.code = code;
    this.host = options.host;
    this.port = options.port;
  }
}

export function isSshError(value: unknown): value is SshError {
  return value instanceof SshError;
}

/** `host:port`, with IPv6 literals bracketed. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** TCP connect failed: refused, timed out in the kernel, no route, name not found. */
export class SshUnreachableError extends SshError {
  /** The system error code: ECONNREFUSED, ETIMEDOUT, ENOTFOUND, EHOSTUNREACH, … (or 'channel' via a jump host). */
  readonly syscallCode: string;
  constructor(
    host: string,
    port: number,
    syscallCode: string,
    detail: string,
    options: SshErrorOptions = {},
  ) {
    super('unreachable', `Cannot reach ${hostPort(host, port)}: ${detail}`, { ...options, host, port });
    this.name = 'SshUnreachableError';
    this.syscallCode = syscallCode;
  }
}

export type SshConnectStage =
  'tcp-connect' | 'handshake' | 'authentication' | 'channel-open' | 'proxy' | 'command' | 'prompt';

export class SshTimeoutError extends SshError {
  readonly stage: SshConnectStage;
  readonly timeoutMs: number;
  constructor(host: string, port: number, stage: SshConnectStage, timeoutMs: number) {
    const what =
      stage === 'tcp-connect'
        ? 'no TCP connection'
        : stage === 'handshake'
          ? 'no SSH handshake (is it an SSH server?)'
          : stage === 'authentication'
            ? 'authentication did not complete'
            : stage === 'proxy'
              ? 'the proxy did not connect'
              : stage === 'command'
                ? 'the command did not finish'
                : stage === 'prompt'
                  ? 'nobody answered the prompt'
                  : 'the channel did not open';
    const prefix = stage === 'command' ? 'Timed out on' : 'Timed out connecting to';
    super('timeout', `${prefix} ${hostPort(host, port)}: ${what} within ${timeoutMs} ms`, {
      host,
      port,
    });
    this.name = 'SshTimeoutError';
    this.stage = stage;
    this.timeoutMs = timeoutMs;
  }
}

export class SshCancelledError extends SshError {
  constructor(host?: string, port?: number, cause?: unknown) {
    super(
      'cancelled',
      host && port ? `Connection to ${hostPort(host, port)} cancelled` : 'SSH operation cancelled',
      {
        host,
        port,
        cause,
      },
    );
    this.name = 'SshCancelledError';
  }
}

export class SshAuthError extends SshError {
  readonly user: string;
  /** What was tried, in order, e.g. `publickey (ssh-agent: 2 keys)`, `publickey (~/.ssh/id_ed25519)`. */
  readonly tried: readonly string[];
  /** What the server said it accepts (from its last USERAUTH_FAILURE), e.g. ['publickey', 'password']. */
  readonly serverMethods: readonly string[];
  constructor(
    host: string,
    port: number,
    user: string,
    tried: readonly string[],
    serverMethods: readonly string[],
  ) {
    const triedText = tried.length > 0 ? tried.join('; ') : 'nothing (no usable method)';
    const serverText = serverMethods.length > 0 ? serverMethods.join(', ') : 'unknown';
    super(
      'auth-failed',
      `Permission denied for ${user}@${hostPort(host, port)}. Tried: ${triedText}. The server accepts: ${serverText}.`,
      { host, port },
    );
    this.name = 'SshAuthError';
    this.user = user;
    this.tried = tried;
    this.serverMethods = serverMethods;
  }
}

/** A known_hosts line, for error messages. */
export interface KnownHostRef {
  file: string;
  line: number;
  keyType: string;
  fingerprint: string;
}

export class SshHostKeyChangedError extends SshError {
  readonly presentedKeyType: string;
  readonly presentedFingerprint: string;
  /** The known_hosts entries the presented key contradicts (file:line, type, fingerprint). */
  readonly knownEntries: readonly KnownHostRef[];
  /** 'changed': same key type, different key. 'type-mismatch': the host is known only by keys of other types. */
  readonly kind: 'changed' | 'type-mismatch';
  constructor(
    host: string,
    port: number,
    presentedKeyType: string,
    presentedFingerprint: string,
    knownEntries: readonly KnownHostRef[],
    kind: 'changed' | 'type-mismatch',
  ) {
    const first = knownEntries[0];
    const where = knownEntries.map((e) => `${e.file}:${e.line} (${e.keyType} ${e.fingerprint})`).join(', ');
    const detail =
      kind === 'changed'
        ? `the server presented ${presentedKeyType} key ${presentedFingerprint}, but ${where} records a different key`
        : `the server presented a ${presentedKeyType} key ${presentedFingerprint}, but the host is known only by ${where}`;
    super(
      'host-key-changed',
      `HOST KEY CHANGED for ${hostPort(host, port)}: ${detail}. Someone may be intercepting the connection ` +
        `(man-in-the-middle), or the host was reinstalled. Refusing to connect. If the change is expected, ` +
        `remove the old entry${first ? ` (${first.file} line ${first.line})` : ''} and connect again.`,
      { host, port },
    );
    this.name = 'SshHostKeyChangedError';
    this.presentedKeyType = presentedKeyType;
    this.presentedFingerprint = presentedFingerprint;
    this.knownEntries = knownEntries;
    this.kind = kind;
  }
}

export class SshHostKeyRevokedError extends SshError {
  readonly revokedEntry: KnownHostRef;
  constructor(host: string, port: number, entry: KnownHostRef) {
    super(
      'host-key-revoked',
      `The host key of ${hostPort(host, port)} (${entry.keyType} ${entry.fingerprint}) is marked @revoked ` +
        `in ${entry.file} line ${entry.line}. Refusing to connect.`,
      { host, port },
    );
    this.name = 'SshHostKeyRevokedError';
    this.revokedEntry = entry;
  }
}

/** The user (through the prompter) refused an unknown host key. */
export class SshHostKeyRejectedError extends SshError {
  readonly fingerprint: string;
  constructor(host: string, port: number, keyType: string, fingerprint: string) {
    super('host-key-rejected', `Host key ${keyType} ${fingerprint} of ${hostPort(host, port)} was rejected`, {
      host,
      port,
    });
    this.name = 'SshHostKeyRejectedError';
    this.fingerprint = fingerprint;
  }
}

/** An unknown host key that could not be asked about (StrictHostKeyChecking yes, BatchMode, no prompter). */
export class SshHostKeyUnknownError extends SshError {
  readonly keyType: string;
  readonly fingerprint: string;
  constructor(host: string, port: number, keyType: string, fingerprint: string, why: string) {
    super(
      'host-key-unknown',
      `The host key of ${hostPort(host, port)} (${keyType} ${fingerprint}) is not in known_hosts and ${why}`,
      { host, port },
    );
    this.name = 'SshHostKeyUnknownError';
    this.keyType = keyType;
    this.fingerprint = fingerprint;
  }
}

/** ~/.ssh/config (or a target) that cannot be used: bad ProxyJump, unknown %-token, Include loop, … */
export class SshConfigError extends SshError {
  constructor(message: string, options: SshErrorOptions = {}) {
    super('config', message, options);
    this.name = 'SshConfigError';
  }
}

/** The server (or the network) closed the connection, or the SSH protocol failed, before or after ready. */
export class SshDisconnectedError extends SshError {
  constructor(host: string, port: number, detail: string, options: SshErrorOptions = {}) {
    super('disconnected', `Connection to ${hostPort(host, port)} closed: ${detail}`, {
      ...options,
      host,
      port,
    });
    this.name = 'SshDisconnectedError';
  }
}

export class SshProtocolError extends SshError {
  constructor(host: string, port: number, detail: string, options: SshErrorOptions = {}) {
    super('protocol', `SSH protocol error with ${hostPort(host, port)}: ${detail}`, {
      ...options,
      host,
      port,
    });
    this.name = 'SshProtocolError';
  }
}

/** SSH_MSG_CHANNEL_OPEN_FAILURE reason codes (RFC 4254 §5.1). */
export const CHANNEL_OPEN_FAILURE_REASONS: Readonly<Record<number, string>> = {
  1: 'administratively prohibited',
  2: 'connect failed',
  3: 'unknown channel type',
  4: 'resource shortage',
};

export type SshChannelKind = 'session' | 'direct-tcpip' | 'direct-streamlocal' | 'sftp';

export class SshChannelOpenError extends SshError {
  readonly channelKind: SshChannelKind;
  /** RFC 4254 reason code (1 prohibited, 2 connect failed, 3 unknown type, 4 resource shortage), or null. */
  readonly reasonCode: number | null;
  /** What the channel was for: the command, `host:port`, or the socket path. */
  readonly target: string;
  constructor(
    host: string,
    port: number,
    channelKind: SshChannelKind,
    target: string,
    reasonCode: number | null,
    detail: string,
    options: SshErrorOptions = {},
  ) {
    super(
      'channel-open-failed',
      `${hostPort(host, port)}: cannot open ${channelKind} channel (${target}): ${detail}`,
      {
        ...options,
        host,
        port,
      },
    );
    this.name = 'SshChannelOpenError';
    this.channelKind = channelKind;
    this.reasonCode = reasonCode;
    this.target = target;
  }
}

export class SshNotConnectedError extends SshError {
  constructor(host: string, port: number, why: string) {
    super('not-connected', `Not connected to ${hostPort(host, port)}: ${why}`, { host, port });
    this.name = 'SshNotConnectedError';
  }
}
