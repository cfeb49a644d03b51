/**
 * SshConnection: ONE ssh2 connection per host, carrying everything (libvirt RPC, console tunnels, SFTP,
 * exec) as channels.
 *
 *   const ssh = await SshConnection.connect({ host: 'kvm1' }, { prompter, signal });
 *   const { code, stdout } = await ssh.run('virsh -c qemu:///system list --name');
 *   const rpc = await ssh.openUnixSocket('/var/run/libvirt/libvirt-sock');   // a plain Duplex
 *   ssh.on('close', (reason) => …);
 *
 * Connect pipeline: ~/.ssh/config resolution (ssh-config.ts) → jump hosts (each its own SshConnection,
 * `sock` = the previous hop's direct-tcpip channel) or ProxyCommand or TCP → SSH handshake with host key
 * verification against known_hosts (known-hosts.ts) → authentication in OpenSSH's order (auth.ts).
 *
 * Host keys: a known key connects; a changed key (same type, different key), or a host known only by keys
 * of other types, is refused with SshHostKeyChangedError and never asked about; a @revoked key is refused;
 * an unknown key goes to prompter.hostKeyUnknown (accept-once / accept-and-save / reject).
 * StrictHostKeyChecking: `yes` (or BatchMode) refuses unknown keys without asking; `ask` (default),
 * `accept-new` and `no` all ask — VirtDeck never trusts a new key silently, and never connects to a changed
 * one. Key types already known for the host are preferred in key exchange, as OpenSSH does.
 *
 * Timeout: `connectTimeoutMs` (default: ConnectTimeout from the config, else 20 s) bounds every wait on
 * the network — TCP connect (or the jump host's channel), then the SSH handshake and authentication with
 * no progress. Time spent in a prompt does not count; each answered prompt re-arms it. Cancellation
 * (`signal`) works at every stage, including during a prompt (the prompter's own signal aborts too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { Duplex, type Readable } from 'node:stream';
import type {
  BaseAgent,
  Client,
  ClientChannel,
  ConnectConfig,
  NegotiatedAlgorithms,
  SFTPWrapper,
} from 'ssh2';
import { SshAuthSession } from './auth';
import {
  SshAuthError,
  SshCancelledError,
  SshChannelOpenError,
  SshConfigError,
  SshDisconnectedError,
  SshError,
  SshHostKeyChangedError,
  SshHostKeyRejectedError,
  SshHostKeyRevokedError,
  SshHostKeyUnknownError,
  SshNotConnectedError,
  SshProtocolError,
  SshTimeoutError,
  SshUnreachableError,
  hostPort,
  type SshChannelKind,
  type SshConnectStage,
} from './errors';
import { keyTypeOfBlob, sha256Fingerprint } from './keys';
import {
  appendKnownHostsLine,
  checkHostKey,
  entryRef,
  formatKnownHostsLine,
  knownHostsName,
  knownKeyTypes,
  loadKnownHosts,
  type KnownHostEntry,
} from './known-hosts';
import type { HostKeyDecision, SshPromptContext, SshPrompter } from './prompter';
import { Semaphore } from './semaphore';
import {
  defaultSshEnvironment,
  formatProxyJump,
  resolveSshTarget,
  sshConfigSources,
  type ResolvedSshHost,
  type SshEnvironment,
  type SshTarget,
} from './ssh-config';
import { Ssh2Client } from './ssh2-runtime';
import { pooledPaddingFor } from './padding-pool';
import { coalesceWrites } from './write-coalescing';

export const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 15_000;
export const DEFAULT_KEEPALIVE_COUNT_MAX = 3;
/** OpenSSH's default MaxSessions: session channels (exec, sftp) beyond it are queued, not refused. */
export const DEFAULT_MAX_SESSIONS = 10;
const MAX_JUMP_DEPTH = 8;
const MAX_STDERR_BYTES = 1 << 20;

export interface SshConnectOptions {
  prompter?: SshPrompter;
  /** known_hosts files read and (the first one) written by accept-and-save; replaces UserKnownHostsFile. */
  knownHostsFiles?: readonly string[];
  /** System-wide known_hosts files (read only); default GlobalKnownHostsFile / /etc/ssh/ssh_known_hosts*. */
  globalKnownHostsFiles?: readonly string[];
  /** ssh_config to use: undefined = ~/.ssh/config then /etc/ssh/ssh_config; a path = only it; null = none. */
  sshConfigFile?: string | null;
  /** ssh-agent: socket path, `pageant`, or an agent object; null = none; default IdentityAgent/$SSH_AUTH_SOCK. */
  agent?: string | BaseAgent | null;
  connectTimeoutMs?: number;
  /**
   * Called whenever the connect moves on: each stage begins (TCP, handshake, authentication, after a
   * prompt is answered) and each chunk of bytes from the server during the handshake (`serverAnswered`: the
   * server has sent something; a hung host never does). The fleet's
   * start-up queue uses it to tell a slow host (keeps its slot) from a hung one (gives it up).
   */
  onProgress?: (serverAnswered: boolean) => void;
  /** Called when the connect asks the prompter something (the user's time is not the server's). */
  onPrompt?: () => void;
  /**
   * Longest wait for one prompter answer; default none (the server's LoginGraceTime, 2 min by default,
   * ends a connect left waiting, which fails it as disconnected). Fails with SshTimeoutError stage 'prompt'.
   */
  promptTimeoutMs?: number;
  /** Cancels the connect (all stages, prompts included). Not used after the connection is ready. */
  signal?: AbortSignal;
  /** SSH keepalive interval (default ServerAliveInterval, else 15 s); 0 disables. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Session channels (exec, sftp) open at once; more wait in a queue. Default 10 (OpenSSH MaxSessions). */
  maxSessions?: number;
  /** Facts about this computer (home, user, env): for tests. */
  environment?: SshEnvironment;
  /** Diagnostic messages (never contain secrets). */
  debug?: (message: string) => void;
}

export type HostKeyTrust = 'known' | 'accepted-once' | 'saved';

export interface SshConnectionInfo {
  /** The name asked for (alias or host). */
  alias: string;
  /** Where we are connected: HostName and port after ~/.ssh/config. */
  host: string;
  port: number;
  user: string;
  hostKey: { type: string; fingerprint: string; trust: HostKeyTrust };
  /** The method that completed authentication: publickey, password, keyboard-interactive, none. */
  authMethod: string;
  /** Jump hosts this connection goes through (`user@host:port`), first to last; empty when direct. */
  via: string[];
  /** ProxyCommand used, if any. */
  proxyCommand: string | null;
  /** Milliseconds from connect() to ready (prompts included). */
  connectMs: number;
  /** Non-fatal problems: known_hosts lines that could not be parsed, a host key that could not be saved. */
  warnings: string[];
  /** The server's pre-authentication banner (sshd Banner), if it sent one. */
  banner: string | null;
  /** The ciphers and MACs the key exchange chose (client to server, server to client); null if not reported. */
  negotiated?: { kex: string; cipher: [string, string]; mac: [string, string] } | null;
}

export type SshCloseReason =
  | { kind: 'requested'; message: string }
  | { kind: 'ended'; message: string }
  | { kind: 'error'; message: string; error: SshError };

export interface SshExitStatus {
  /** Exit code, or null when the command was killed by a signal (or the server sent no status). */
  code: number | null;
  signal: string | null;
  /** Collected stderr (first 1 MiB). */
  stderr: string;
  /** The SSH connection went away before the command reported an exit status. */
  connectionLost: boolean;
}

/**
 * A remote command: a plain Duplex (write = stdin, read = stdout) plus its stderr and exit status.
 * Read stdout (or resume() it): like a child process, the channel only closes once its output is consumed.
 */
export interface SshExecChannel extends Duplex {
  readonly stderr: Readable;
  /** Resolves when the channel has closed (never rejects). */
  readonly exitStatus: Promise<SshExitStatus>;
  /** The exit status as soon as the server sent it (before the channel closes); null until then. */
  readonly exited: { code: number | null; signal: string | null } | null;
  /** stderr received so far (first 1 MiB). */
  readonly collectedStderr: string;
  /** Sends a signal to the remote command (`TERM`, `KILL`, …; OpenSSH ≥ 7.9 delivers it). */
  signal(signalName: string): void;
  /** Closes the channel on both sides. */
  close(): void;
}

export interface SshChannelOptions {
  signal?: AbortSignal;
}

export interface SshExecOptions extends SshChannelOptions {
  /** Environment variables (the server only accepts those its AcceptEnv allows). */
  env?: Record<string, string>;
}

export interface SshRunOptions extends SshExecOptions {
  stdin?: string | Buffer;
  /** Kill (close the channel) after this long; rejects with SshTimeoutError. */
  timeoutMs?: number;
  /** Cap on collected stdout (default 64 MiB); beyond it the command is aborted. */
  maxStdoutBytes?: number;
}

export interface SshRunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutBuffer: Buffer;
}

function noop(): void {}

/**
 * ssh2's Channel.destroy() is `end() + close()`: it ignores its error, never sets `destroyed` and never
 * emits 'error'. Channels handed out get Node's semantics instead — destroy(err) closes the SSH channel,
 * marks the stream destroyed and emits 'error' (ssh2 still emits 'close' once the server confirms).
 */
/**
 * Sends an SSH "signal" channel request. ssh2's own signal() drops it once stdin was ended (the channel is
 * no longer writable), although RFC 4254 allows requests after EOF — so go to its protocol object directly.
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const internals = channel as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, signal: string) => void } };
  };
  const out = internals.outgoing;
  const protocol = internals._client?._protocol;
  const signalName = name.replace(/^SIG/, '');
  if (out?.id !== undefined && (out.state === 'open' || out.state === 'eof') && protocol?.signal) {
    protocol.signal(out.id, signalName);
  } else {
    Object.getPrototypeOf(channel).signal?.call(channel, signalName);
  }
}

function adoptChannel(channel: ClientChannel): void {
  channel.destroy = function destroy(this: ClientChannel, error?: Error): ClientChannel {
    if (this.destroyed) return this;
    try {
      this.close();
    } catch {
      // the connection is already gone
    }
    Duplex.prototype.destroy.call(this, error);
    return this;
  };
  channel.on('error', noop);
}

function describeEndpoint(user: string, host: string, port: number): string {
  return `${user}@${hostPort(host, port)}`;
}

// ---- host key algorithms ----------------------------------------------------------------------------

const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

const HOST_KEY_ALGORITHMS_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};

/** Host key algorithms with the types known for the host first (OpenSSH's order_hostkeyalgs). */
export function orderHostKeyAlgorithms(knownTypes: readonly string[]): string[] | null {
  const preferred: string[] = [];
  for (const type of knownTypes) {
    for (const algo of HOST_KEY_ALGORITHMS_BY_TYPE[type] ?? [])
      if (!preferred.includes(algo)) preferred.push(algo);
  }
  if (preferred.length === 0) return null;
  return [...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];
}

// ---- error mapping ----------------------------------------------------------------------------------

type Ssh2Error = Error & { level?: string; code?: unknown; reason?: unknown; description?: string };

function tcpErrorDetail(code: string, message: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (no SSH server on that port?)';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ENOTFOUND':
      return 'host name not found';
    case 'EAI_AGAIN':
      return 'host name lookup failed (DNS temporarily unavailable)';
    case 'EHOSTUNREACH':
      return 'no route to host';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ECONNRESET':
      return 'connection reset';
    default:
      return message;
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

// ---- the connect attempt ----------------------------------------------------------------------------

interface AttemptParams {
  target: SshTarget;
  resolved: ResolvedSshHost;
  options: SshConnectOptions;
  environment: SshEnvironment;
  jump: SshConnection | null;
  via: string[];
  startedAt: number;
}

class ConnectAttempt {
  private readonly client: Client = new Ssh2Client();
  private readonly host: string;
  private readonly port: number;
  private readonly user: string;
  private readonly timeoutMs: number;
  private readonly internal = new AbortController();
  private readonly auth: SshAuthSession;
  private stage: SshConnectStage = 'tcp-connect';
  private timer: NodeJS.Timeout | null = null;
  private settled = false;
  private resolve: (c: SshConnection) => void = noop;
  private reject: (e: SshError) => void = noop;
  private rawSocket: Socket | null = null;
  private proxySock: Duplex | null = null;
  private proxyChild: ChildProcess | null = null;
  private proxyStderr = '';
  private knownEntries: KnownHostEntry[] = [];
  private knownHostsSaveFile: string | null = null;
  private acceptedKey: Buffer | null = null;
  private hostKeyInfo: SshConnectionInfo['hostKey'] | null = null;
  private readonly warnings: string[] = [];
  private banner: string | null = null;
  private negotiated: SshConnectionInfo['negotiated'] = null;
  private readonly listeners: Array<[string, (...args: never[]) => void]> = [];
  private readonly onUserAbort = () => {
    this.fail(new SshCancelledError(this.host, this.port, this.params.options.signal?.reason));
  };

  constructor(private readonly params: AttemptParams) {
    const { resolved, options, environment } = params;
    this.host = resolved.hostName;
    this.port = resolved.port;
    this.user = resolved.user;
    this.timeoutMs = options.connectTimeoutMs ?? resolved.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const agent = chooseAgent(options, resolved, environment);
    this.auth = new SshAuthSession({
      user: this.user,
      host: this.host,
      port: this.port,
      resolved,
      agent: agent.agent,
      agentUnavailableReason: agent.reason,
      prompter: options.prompter ?? {},
      ask: (question) => this.ask(question),
      home: environment.home,
      debug: options.debug,
    });
  }

  private debug(message: string): void {
    this.params.options.debug?.(`ssh ${describeEndpoint(this.user, this.host, this.port)}: ${message}`);
  }

  run(): Promise<SshConnection> {
    return new Promise<SshConnection>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const signal = this.params.options.signal;
      if (signal?.aborted) {
        this.onUserAbort();
        return;
      }
      signal?.addEventListener('abort', this.onUserAbort, { once: true });
      this.start().catch((err: unknown) => this.fail(this.toSshError(err)));
    });
  }

  private toSshError(err: unknown): SshError {
    if (err instanceof SshError) return err;
    return new SshProtocolError(this.host, this.port, asError(err).message, { cause: err });
  }

  // -- timer and prompts --

  private readonly onSocketData = () => {
    if (!this.settled) this.params.options.onProgress?.(true);
  };

  private armTimer(): void {
    this.clearTimer();
    if (this.settled) return;
    // Past the key exchange (authentication, prompts) the server has answered.
    this.params.options.onProgress?.(this.stage === 'authentication');
    if (this.timeoutMs <= 0) return;
    const timer = setTimeout(() => {
      // On a computer too busy to turn the event loop for a while, expired timers run before the
      // socket data that arrived meanwhile: decide after this turn's I/O (a stage the server
      // completed in time re-arms or clears the timer; only then is it a timeout).
      setImmediate(() => {
        if (this.timer === timer && !this.settled) {
          this.fail(new SshTimeoutError(this.host, this.port, this.stage, this.timeoutMs));
        }
      });
    }, this.timeoutMs);
    this.timer = timer;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Runs a prompter call with the timer paused; aborts it when the connect fails or is cancelled. */
  private async ask<T>(question: (context: SshPromptContext) => Promise<T>): Promise<T> {
    if (this.settled) throw new SshCancelledError(this.host, this.port);
    this.clearTimer();
    this.params.options.onPrompt?.();
    const controller = new AbortController();
    const onFail = () => controller.abort(new SshCancelledError(this.host, this.port));
    this.internal.signal.addEventListener('abort', onFail, { once: true });
    const promptTimeoutMs = this.params.options.promptTimeoutMs;
    const promptTimer =
      promptTimeoutMs !== undefined && promptTimeoutMs > 0
        ? setTimeout(
            () => this.fail(new SshTimeoutError(this.host, this.port, 'prompt', promptTimeoutMs)),
            promptTimeoutMs,
          )
        : null;
    try {
      return await new Promise<T>((resolve, reject) => {
        controller.signal.addEventListener('abort', () => reject(asError(controller.signal.reason)), {
          once: true,
        });
        question({ signal: controller.signal }).then(resolve, reject);
      });
    } finally {
      if (promptTimer) clearTimeout(promptTimer);
      this.internal.signal.removeEventListener('abort', onFail);
      if (!this.settled) this.armTimer();
    }
  }

  // -- pipeline --

  private async start(): Promise<void> {
    const { resolved, options } = this.params;
    const userFiles = options.knownHostsFiles ?? resolved.userKnownHostsFiles;
    const globalFiles = options.globalKnownHostsFiles ?? resolved.globalKnownHostsFiles;
    this.knownHostsSaveFile = userFiles[0] ?? null;
    const known = await loadKnownHosts([...userFiles, ...globalFiles]);
    this.knownEntries = known.entries;
    for (const issue of known.issues) this.warnings.push(`${issue.file}:${issue.line}: ${issue.message}`);
    await this.auth.prepare();
    if (this.settled) return;

    let sock: Duplex;
    this.stage = this.params.jump ? 'tcp-connect' : resolved.proxyCommand ? 'proxy' : 'tcp-connect';
    this.armTimer();
    if (this.params.jump) {
      sock = await this.forwardThroughJump(this.params.jump);
    } else if (resolved.proxyCommand) {
      sock = this.spawnProxyCommand(resolved.proxyCommand);
    } else {
      sock = await this.connectTcp();
    }
    if (this.settled) {
      sock.destroy();
      return;
    }
    this.stage = 'handshake';
    this.armTimer();
    this.startSsh(sock);
  }

  private connectTcp(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: this.host, port: this.port });
      this.rawSocket = socket;
      const onError = (err: NodeJS.ErrnoException) => {
        const code = err.code ?? 'EUNKNOWN';
        reject(
          new SshUnreachableError(this.host, this.port, code, tcpErrorDetail(code, err.message), {
            cause: err,
          }),
        );
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        socket.setNoDelay(true);
        coalesceWrites(socket);
        resolve(socket);
      });
    });
  }

  private async forwardThroughJump(jump: SshConnection): Promise<Duplex> {
    try {
      const channel = await jump.forwardTcp(this.host, this.port, { signal: this.internal.signal });
      this.proxySock = channel;
      return channel;
    } catch (err) {
      if (err instanceof SshChannelOpenError) {
        throw new SshUnreachableError(
          this.host,
          this.port,
          err.reasonCode === 2 ? 'ECONNREFUSED' : 'channel',
          `via ${jump.describe()}: ${err.message.replace(/^.*?: cannot open direct-tcpip channel \([^)]*\): /, '')}`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  private spawnProxyCommand(command: string): Duplex {
    const { environment } = this.params;
    const child =
      environment.platform === 'win32'
        ? spawn(command, { shell: true, stdio: 'pipe', windowsHide: true })
        : spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: 'pipe' });
    this.proxyChild = child;
    child.stderr.on('data', (chunk: Buffer) => {
      this.proxyStderr = (this.proxyStderr + chunk.toString('utf8')).slice(-2000);
    });
    child.once('error', (err) => {
      this.fail(
        new SshDisconnectedError(this.host, this.port, `ProxyCommand failed to start: ${err.message}`),
      );
    });
    child.once('exit', (code, signal) => {
      if (this.settled) return;
      const status = code !== null ? `exit code ${code}` : `signal ${signal ?? '?'}`;
      const stderr = this.proxyStderr.trim();
      this.fail(
        new SshDisconnectedError(
          this.host,
          this.port,
          `ProxyCommand "${command}" ended (${status})${stderr ? `: ${stderr}` : ''}`,
        ),
      );
    });
    const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
    this.proxySock = sock;
    return sock;
  }

  private listen(event: string, handler: (...args: never[]) => void): void {
    (this.client as unknown as EventEmitter).on(event, handler as (...args: unknown[]) => void);
    this.listeners.push([event, handler]);
  }

  private startSsh(sock: Duplex): void {
    const { resolved, options } = this.params;
    const name = resolved.hostKeyAlias ?? knownHostsName(this.host, this.port);
    const algorithms = orderHostKeyAlgorithms(knownKeyTypes(this.knownEntries, name));
    this.listen('handshake', (chosen: NegotiatedAlgorithms) => {
      this.negotiated = {
        kex: chosen.kex,
        cipher: [chosen.cs.cipher, chosen.sc.cipher],
        mac: [chosen.cs.mac, chosen.sc.mac],
      };
      if (this.stage === 'handshake') {
        this.stage = 'authentication';
        this.armTimer();
      }
    });
    this.listen('ready', () => this.succeed());
    this.listen('banner', (message: string) => {
      this.banner = (this.banner ?? '') + message;
    });
    this.listen('error', (err: Ssh2Error) => this.onClientError(err));
    this.listen('close', () => {
      if (!this.settled) this.fail(this.closedEarlyError());
    });
    const keepalive =
      options.keepaliveIntervalMs ?? resolved.serverAliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS;
    const config: ConnectConfig = {
      sock,
      username: this.user,
      readyTimeout: 0, // our own timer (paused during prompts)
      keepaliveInterval: keepalive,
      keepaliveCountMax:
        options.keepaliveCountMax ?? resolved.serverAliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX,
      strictVendor: false,
      authHandler: this.auth.handler,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => this.verifyHostKey(key, name, verify),
    };
    if (algorithms)
      config.algorithms = {
        serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'],
      };
    try {
      this.client.connect(config);
      // After ssh2 has its own 'data' listener (a listener switches the socket to flowing mode).
      if (this.params.options.onProgress && sock === this.rawSocket) sock.on('data', this.onSocketData);
    } catch (err) {
      this.fail(new SshProtocolError(this.host, this.port, asError(err).message, { cause: err }));
    }
  }

  private closedEarlyError(): SshError {
    const detail =
      this.stage === 'handshake'
        ? 'the server closed the connection during the SSH handshake (not an SSH server, or it refused this client: MaxStartups, TCP wrappers, …)'
        : this.stage === 'authentication'
          ? 'the server closed the connection during authentication'
          : 'the connection closed before it was ready';
    return new SshDisconnectedError(this.host, this.port, detail);
  }

  private onClientError(err: Ssh2Error): void {
    if (err.level === 'agent') {
      // One key could not sign (agent refused, passphrase not given): ssh2 goes on with the next one.
      this.debug(`publickey: ${err.message}`);
      return;
    }
    if (this.settled) return;
    if (this.auth.fatal) {
      this.fail(this.toSshError(this.auth.fatal));
      return;
    }
    if (err.level === 'client-authentication') {
      this.fail(
        new SshAuthError(this.host, this.port, this.user, this.auth.tried(), this.auth.serverMethods),
      );
      return;
    }
    if (err.level === 'client-socket') {
      const code = typeof err.code === 'string' ? err.code : 'EUNKNOWN';
      this.fail(
        new SshDisconnectedError(
          this.host,
          this.port,
          `${tcpErrorDetail(code, err.message)} during ${this.stage}`,
          {
            cause: err,
          },
        ),
      );
      return;
    }
    if (typeof err.code === 'number') {
      // SSH_MSG_DISCONNECT from the server.
      if (this.stage === 'authentication') {
        const tried = [...this.auth.tried(), `the server disconnected: ${err.message}`];
        this.fail(new SshAuthError(this.host, this.port, this.user, tried, this.auth.serverMethods));
      } else {
        this.fail(new SshDisconnectedError(this.host, this.port, `the server disconnected: ${err.message}`));
      }
      return;
    }
    this.fail(
      new SshProtocolError(this.host, this.port, `${err.message} (during ${this.stage})`, { cause: err }),
    );
  }

  private verifyHostKey(key: Buffer, name: string, verify: (valid: boolean) => void): void {
    if (this.acceptedKey) {
      // Re-key: the same key is fine, another one never is.
      verify(this.acceptedKey.equals(key));
      return;
    }
    // The check may answer late (a prompt, a slow file): by then the attempt can be over (timeout,
    // cancel, server gone) and fail() has destroyed the ssh2 client. Calling verify() on a destroyed
    // client throws inside ssh2 and takes the whole process down, so only a live attempt calls back.
    this.checkHostKey(key, name).then(
      (trust) => {
        if (this.settled) return;
        this.acceptedKey = Buffer.from(key);
        const type = keyTypeOfBlob(key) ?? 'unknown';
        this.hostKeyInfo = { type, fingerprint: sha256Fingerprint(key), trust };
        verify(true);
      },
      (err: unknown) => {
        // fail() ends the attempt with the typed reason and destroys the client: no verify() after it.
        this.fail(this.toSshError(err));
      },
    );
  }

  private async checkHostKey(key: Buffer, name: string): Promise<HostKeyTrust> {
    const { resolved, options } = this.params;
    const type = keyTypeOfBlob(key) ?? 'unknown';
    const fingerprint = sha256Fingerprint(key);
    const reportHost = resolved.hostKeyAlias ?? this.host;
    const verdict = checkHostKey(this.knownEntries, name, key);
    switch (verdict.status) {
      case 'known':
        this.debug(`host key ${type} ${fingerprint} known (${verdict.entry.file}:${verdict.entry.line})`);
        return 'known';
      case 'revoked':
        throw new SshHostKeyRevokedError(reportHost, this.port, entryRef(verdict.entry));
      case 'changed':
        throw new SshHostKeyChangedError(
          reportHost,
          this.port,
          type,
          fingerprint,
          verdict.entries.map(entryRef),
          'changed',
        );
      case 'other-types': {
        // We asked for the known types first: a server offering none of them is treated as a changed key
        // (stricter than OpenSSH, which would ask). Types ssh2 cannot negotiate do not count.
        const usable = verdict.entries.filter((e) => e.keyType in HOST_KEY_ALGORITHMS_BY_TYPE);
        if (usable.length > 0) {
          throw new SshHostKeyChangedError(
            reportHost,
            this.port,
            type,
            fingerprint,
            usable.map(entryRef),
            'type-mismatch',
          );
        }
        break;
      }
      case 'unknown':
        break;
    }
    if (resolved.strictHostKeyChecking === 'yes' || resolved.batchMode) {
      throw new SshHostKeyUnknownError(
        reportHost,
        this.port,
        type,
        fingerprint,
        `StrictHostKeyChecking${resolved.batchMode ? '/BatchMode' : ''} forbids asking: add it to known_hosts first`,
      );
    }
    const prompter = options.prompter;
    const askHostKey = prompter?.hostKeyUnknown?.bind(prompter);
    if (!askHostKey) {
      throw new SshHostKeyUnknownError(
        reportHost,
        this.port,
        type,
        fingerprint,
        'there is no way to ask the user',
      );
    }
    this.debug(`host key ${type} ${fingerprint} unknown: asking`);
    const decision: HostKeyDecision = await this.ask((context) =>
      askHostKey(
        {
          host: reportHost,
          port: this.port,
          keyType: type,
          fingerprint,
          knownHostsFile: this.knownHostsSaveFile,
          via: this.params.via,
        },
        context,
      ),
    );
    if (decision === 'accept-once') return 'accepted-once';
    if (decision === 'accept-and-save') {
      if (!this.knownHostsSaveFile) {
        this.warnings.push('host key accepted but not saved: no user known_hosts file is configured');
        return 'accepted-once';
      }
      try {
        await appendKnownHostsLine(
          this.knownHostsSaveFile,
          formatKnownHostsLine(name, key, { hash: resolved.hashKnownHosts }),
        );
        return 'saved';
      } catch (err) {
        this.warnings.push(
          `host key accepted but not saved to ${this.knownHostsSaveFile}: ${asError(err).message}`,
        );
        return 'accepted-once';
      }
    }
    throw new SshHostKeyRejectedError(reportHost, this.port, type, fingerprint);
  }

  private succeed(): void {
    if (this.settled) {
      this.client.end();
      return;
    }
    this.settled = true;
    this.clearTimer();
    this.rawSocket?.off('data', this.onSocketData);
    this.params.options.signal?.removeEventListener('abort', this.onUserAbort);
    for (const [event, handler] of this.listeners) {
      (this.client as unknown as EventEmitter).off(event, handler as (...args: unknown[]) => void);
    }
    const method = this.auth.lastMethod ?? 'none';
    this.auth.dispose();
    const { resolved, options, jump, via, startedAt } = this.params;
    const info: SshConnectionInfo = {
      alias: resolved.alias,
      host: this.host,
      port: this.port,
      user: this.user,
      hostKey: this.hostKeyInfo ?? { type: 'unknown', fingerprint: '', trust: 'known' },
      authMethod: method,
      via,
      proxyCommand: resolved.proxyCommand,
      connectMs: Date.now() - startedAt,
      warnings: this.warnings,
      banner: this.banner,
      negotiated: this.negotiated,
    };
    // Only the accepted key is needed from now on (re-key checks).
    this.knownEntries = [];
    const child = this.proxyChild;
    const connection = new SshConnection(this.client, info, {
      jump,
      maxSessions: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
      cleanup: () => {
        if (child && child.exitCode === null) child.kill();
      },
    });
    this.debug(`ready in ${info.connectMs} ms (${method})`);
    this.resolve(connection);
  }

  private fail(error: SshError): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimer();
    this.params.options.signal?.removeEventListener('abort', this.onUserAbort);
    this.internal.abort(error);
    this.debug(`failed: ${error.message}`);
    try {
      this.client.destroy();
    } catch {
      // not connected yet
    }
    this.rawSocket?.destroy();
    this.proxySock?.destroy();
    if (this.proxyChild && this.proxyChild.exitCode === null) this.proxyChild.kill();
    this.client.on('error', noop);
    void this.params.jump?.close();
    this.auth.dispose();
    this.reject(error);
  }
}

function chooseAgent(
  options: SshConnectOptions,
  resolved: ResolvedSshHost,
  environment: SshEnvironment,
): { agent: string | BaseAgent | null; reason?: string } {
  if (options.agent !== undefined) {
    return options.agent === null ? { agent: null, reason: 'disabled' } : { agent: options.agent };
  }
  if (resolved.identityAgent === null) return { agent: null, reason: 'IdentityAgent none' };
  if (typeof resolved.identityAgent === 'string') return { agent: resolved.identityAgent };
  const sock = environment.env.SSH_AUTH_SOCK;
  if (sock) return { agent: sock };
  if (environment.platform === 'win32') return { agent: 'pageant' };
  return { agent: null, reason: 'SSH_AUTH_SOCK is not set' };
}

async function connectInternal(
  target: SshTarget,
  options: SshConnectOptions,
  depth: number,
): Promise<SshConnection> {
  const startedAt = Date.now();
  if (depth > MAX_JUMP_DEPTH)
    throw new SshConfigError(`ProxyJump chain deeper than ${MAX_JUMP_DEPTH} (a loop?)`);
  const environment = options.environment ?? defaultSshEnvironment();
  const resolved = resolveSshTarget(target, {
    sources: sshConfigSources(options.sshConfigFile, environment),
    environment,
  });
  if (options.signal?.aborted)
    throw new SshCancelledError(resolved.hostName, resolved.port, options.signal.reason);
  let jump: SshConnection | null = null;
  let via: string[] = [];
  const last = resolved.proxyJump[resolved.proxyJump.length - 1];
  if (last) {
    const rest = resolved.proxyJump.slice(0, -1);
    // Like `ssh -J a,b host`: hop b is reached as `ssh -J a b` (b's own ProxyJump from the config is
    // overridden by the earlier hops); the first hop uses its own config entirely.
    const hopTarget: SshTarget = { host: last.host };
    if (last.user !== undefined) hopTarget.user = last.user;
    if (last.port !== undefined) hopTarget.port = last.port;
    if (rest.length > 0) hopTarget.proxyJump = formatProxyJump(rest);
    jump = await connectInternal(hopTarget, options, depth + 1);
    via = [...jump.info.via, jump.describe()];
  }
  return new ConnectAttempt({ target, resolved, options, environment, jump, via, startedAt }).run();
}

// ---- the connection ---------------------------------------------------------------------------------

interface ConnectionInternals {
  jump: SshConnection | null;
  maxSessions: number;
  cleanup: () => void;
}

export class SshConnection extends EventEmitter {
  readonly info: SshConnectionInfo;
  private readonly client: Client;
  private readonly jump: SshConnection | null;
  private readonly sessions: Semaphore;
  private readonly cleanup: () => void;
  private closeReason: SshCloseReason | null = null;
  private closeRequested = false;
  private lastError: SshError | null = null;
  private jumpClosed: SshCloseReason | null = null;
  private sftpPromise: Promise<SFTPWrapper> | null = null;
  private readonly whenClosed: Promise<SshCloseReason>;
  private resolveClosed: (reason: SshCloseReason) => void = noop;

  /** Connects (see the module comment). Rejects with an {@link SshError} subclass. */
  static connect(target: SshTarget, options: SshConnectOptions = {}): Promise<SshConnection> {
    return connectInternal(target, options, 0);
  }

  /** @internal — use {@link SshConnection.connect}. */
  constructor(client: Client, info: SshConnectionInfo, internals: ConnectionInternals) {
    super();
    this.client = client;
    this.info = info;
    this.jump = internals.jump;
    this.sessions = new Semaphore(Math.max(1, internals.maxSessions));
    this.cleanup = internals.cleanup;
    this.whenClosed = new Promise((resolve) => (this.resolveClosed = resolve));
    pooledPaddingFor(client);
    client.on('error', (err: Ssh2Error) => this.onError(err));
    client.on('close', () => this.onClosed());
    this.jump?.once('close', (reason) => {
      this.jumpClosed = reason;
      this.client.destroy();
    });
  }

  override on(event: 'close', listener: (reason: SshCloseReason) => void): this {
    return super.on(event, listener);
  }

  override once(event: 'close', listener: (reason: SshCloseReason) => void): this {
    return super.once(event, listener);
  }

  override off(event: 'close', listener: (reason: SshCloseReason) => void): this {
    return super.off(event, listener);
  }

  /** `user@host:port` */
  describe(): string {
    return describeEndpoint(this.info.user, this.info.host, this.info.port);
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  /** Why it closed (null while open). */
  get closedBecause(): SshCloseReason | null {
    return this.closeReason;
  }

  /** Session channels (exec, sftp) open and waiting: for diagnostics. */
  get sessionUsage(): { open: number; waiting: number } {
    return { open: this.sessions.inUse, waiting: this.sessions.waiting };
  }

  private onError(err: Ssh2Error): void {
    if (err.level === 'agent') return;
    const { host, port } = this.info;
    if (err.level === 'client-timeout') {
      this.lastError = new SshDisconnectedError(
        host,
        port,
        'no answer to keepalives (network down or host hung)',
        {
          cause: err,
        },
      );
    } else if (typeof err.code === 'number') {
      this.lastError = new SshDisconnectedError(host, port, `the server disconnected: ${err.message}`, {
        cause: err,
      });
    } else {
      const code = typeof err.code === 'string' ? err.code : '';
      this.lastError = new SshDisconnectedError(host, port, tcpErrorDetail(code, err.message), {
        cause: err,
      });
    }
  }

  private onClosed(): void {
    if (this.closeReason) return;
    const { host, port } = this.info;
    let reason: SshCloseReason;
    if (this.closeRequested) {
      reason = { kind: 'requested', message: 'closed by VirtDeck' };
    } else if (this.jumpClosed) {
      const error = new SshDisconnectedError(
        host,
        port,
        `jump host ${this.jump?.describe() ?? ''} closed: ${this.jumpClosed.message}`,
      );
      reason = { kind: 'error', message: error.message, error };
    } else if (this.lastError) {
      reason = { kind: 'error', message: this.lastError.message, error: this.lastError };
    } else {
      reason = { kind: 'ended', message: `${hostPort(host, port)} closed the connection` };
    }
    this.closeReason = reason;
    this.sessions.rejectAll(new SshNotConnectedError(host, port, reason.message));
    this.sftpPromise = null;
    this.cleanup();
    void this.jump?.close();
    this.resolveClosed(reason);
    this.emit('close', reason);
  }

  /** Closes the connection (and its jump hosts); resolves once closed. */
  close(): Promise<SshCloseReason> {
    if (!this.closeReason) {
      this.closeRequested = true;
      try {
        this.client.end();
      } catch {
        // already gone
      }
      setTimeout(() => {
        if (!this.closeReason) this.client.destroy();
      }, 2000).unref();
    }
    return this.whenClosed;
  }

  private notConnected(why: string): SshNotConnectedError {
    return new SshNotConnectedError(this.info.host, this.info.port, why);
  }

  private channelError(kind: SshChannelKind, target: string, err: Ssh2Error): SshError {
    const { host, port } = this.info;
    if (this.closeReason) return this.notConnected(this.closeReason.message);
    if (/No response from server|Not connected/i.test(err.message)) return this.notConnected(err.message);
    const reasonCode = typeof err.reason === 'number' ? err.reason : null;
    const detail = err.message.replace(/^\(SSH\) Channel open failure: /, '');
    let hint = '';
    if (reasonCode === 1 && kind === 'direct-streamlocal')
      hint = ' (is AllowStreamLocalForwarding disabled on the server?)';
    else if (reasonCode === 1 && kind === 'direct-tcpip')
      hint = ' (is AllowTcpForwarding disabled on the server?)';
    else if (reasonCode === 1 || reasonCode === 4)
      hint = kind === 'session' || kind === 'sftp' ? ' (server MaxSessions reached?)' : '';
    return new SshChannelOpenError(host, port, kind, target, reasonCode, `${detail}${hint}`, { cause: err });
  }

  private open<T>(
    kind: SshChannelKind,
    target: string,
    opener: (cb: (err: Error | undefined, channel: T) => void) => void,
    discard: (channel: T) => void,
    signal?: AbortSignal,
    prepare?: (channel: T) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closeReason) {
        reject(this.notConnected(this.closeReason.message));
        return;
      }
      if (signal?.aborted) {
        reject(new SshCancelledError(this.info.host, this.info.port, signal.reason));
        return;
      }
      let done = false;
      const onAbort = () => {
        if (done) return;
        done = true;
        reject(new SshCancelledError(this.info.host, this.info.port, signal?.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        opener((err, channel) => {
          signal?.removeEventListener('abort', onAbort);
          if (done) {
            if (!err) discard(channel);
            return;
          }
          done = true;
          if (err) {
            reject(this.channelError(kind, target, err));
            return;
          }
          // Synchronously, before any await: ssh2 may emit events (exit-status of a fast command)
          // from the same read that delivered this callback.
          prepare?.(channel);
          resolve(channel);
        });
      } catch (err) {
        signal?.removeEventListener('abort', onAbort);
        done = true;
        reject(this.notConnected(asError(err).message));
      }
    });
  }

  private async withSession<T>(
    signal: AbortSignal | undefined,
    open: (release: () => void) => Promise<T>,
  ): Promise<{ value: T; release: () => void }> {
    let release: () => void;
    try {
      release = await this.sessions.acquire(signal);
    } catch (err) {
      if (err instanceof SshError) throw err;
      throw new SshCancelledError(this.info.host, this.info.port, err);
    }
    try {
      return { value: await open(release), release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * Runs `command` on the host (no pty) and returns its channel: write stdin, read stdout, `stderr`, and
   * `exit` (code/signal + collected stderr). Session channels beyond `maxSessions` wait for a free slot.
   */
  async exec(command: string, options: SshExecOptions = {}): Promise<SshExecChannel> {
    let decorated: SshExecChannel | null = null;
    await this.withSession(options.signal, (release) =>
      this.open<ClientChannel>(
        'session',
        command,
        (cb) => this.client.exec(command, options.env ? { env: options.env } : {}, cb),
        (ch) => ch.close(),
        options.signal,
        (ch) => (decorated = this.decorateExec(ch, release)),
      ),
    );
    if (!decorated) throw this.notConnected('exec channel lost');
    return decorated;
  }

  /** Exit status, stderr collection and slot release, attached synchronously when the channel opens. */
  private decorateExec(channel: ClientChannel, release: () => void): SshExecChannel {
    let exited: { code: number | null; signal: string | null } | null = null;
    const stderrChunks: Buffer[] = [];
    let stderrSize = 0;
    channel.on('exit', (exitCode: number | null, exitSignal?: string) => {
      exited = { code: typeof exitCode === 'number' ? exitCode : null, signal: exitSignal ?? null };
      // ssh2 emits 'close' only after the readable side ended, which needs a read even when stdout is
      // empty: nudge it (no data is lost — only when nothing is buffered).
      setImmediate(() => {
        if (channel.readableLength === 0 && !channel.readableEnded) channel.read(0);
      });
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      if (stderrSize >= MAX_STDERR_BYTES) return;
      const part = chunk.subarray(0, MAX_STDERR_BYTES - stderrSize);
      stderrChunks.push(part);
      stderrSize += part.length;
    });
    const exitStatus = new Promise<SshExitStatus>((resolve) => {
      channel.once('close', () => {
        release();
        const status = exited as { code: number | null; signal: string | null } | null;
        resolve({
          code: status?.code ?? null,
          signal: status?.signal ?? null,
          stderr: Buffer.concat(stderrChunks).toString('utf8'),
          connectionLost: status === null && this.closeReason !== null,
        });
      });
    });
    adoptChannel(channel);
    channel.signal = (name: string) => sendSignal(channel, name);
    Object.defineProperty(channel, 'exited', { get: () => exited, enumerable: true });
    Object.defineProperty(channel, 'collectedStderr', {
      get: () => Buffer.concat(stderrChunks).toString('utf8'),
      enumerable: false,
    });
    return Object.assign(channel, { exitStatus }) as unknown as SshExecChannel;
  }

  /**
   * Runs `command`, feeds `stdin`, collects stdout and stderr, resolves at exit (any exit code). On
   * timeout, abort or too much output the command is sent KILL, its channel closed, and run() rejects
   * at once.
   */
  async run(command: string, options: SshRunOptions = {}): Promise<SshRunResult> {
    const channel = await this.exec(command, options);
    const maxStdout = options.maxStdoutBytes ?? 64 << 20;
    const chunks: Buffer[] = [];
    let size = 0;
    let abortWith: (err: SshError) => void = noop;
    let timer: NodeJS.Timeout | null = null;
    const onAbort = () =>
      abortWith(new SshCancelledError(this.info.host, this.info.port, options.signal?.reason));
    try {
      const status = await new Promise<SshExitStatus>((resolve, reject) => {
        let failed = false;
        abortWith = (err) => {
          if (failed) return;
          failed = true;
          reject(err);
          try {
            channel.signal('KILL');
          } catch {
            // channel already closing
          }
          channel.close();
          channel.resume();
        };
        channel.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxStdout) {
            abortWith(
              new SshProtocolError(
                this.info.host,
                this.info.port,
                `\`${command}\`: more than ${maxStdout} bytes of output`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        if (options.signal?.aborted) onAbort();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        if (options.timeoutMs !== undefined) {
          const ms = options.timeoutMs;
          timer = setTimeout(
            () => abortWith(new SshTimeoutError(this.info.host, this.info.port, 'command', ms)),
            ms,
          );
        }
        if (options.stdin !== undefined) channel.end(options.stdin);
        else channel.end();
        channel.exitStatus.then(resolve, reject);
      });
      if (status.connectionLost) {
        throw new SshDisconnectedError(
          this.info.host,
          this.info.port,
          `while running \`${command}\`: ${this.closeReason?.message ?? 'connection lost'}`,
        );
      }
      const stdoutBuffer = Buffer.concat(chunks);
      return {
        code: status.code,
        signal: status.signal,
        stdout: stdoutBuffer.toString('utf8'),
        stderr: status.stderr,
        stdoutBuffer,
      };
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** A direct-streamlocal@openssh.com channel to a Unix socket on the host (OpenSSH ≥ 6.7). */
  async openUnixSocket(path: string, options: SshChannelOptions = {}): Promise<Duplex> {
    const channel = await this.open<ClientChannel>(
      'direct-streamlocal',
      path,
      (cb) => this.client.openssh_forwardOutStreamLocal(path, cb),
      (ch) => ch.close(),
      options.signal,
      adoptChannel,
    );
    return channel;
  }

  /** A direct-tcpip channel: the host connects to `host:port` (as seen from the host) for us. */
  async forwardTcp(host: string, port: number, options: SshChannelOptions = {}): Promise<Duplex> {
    const channel = await this.open<ClientChannel>(
      'direct-tcpip',
      hostPort(host, port),
      (cb) => this.client.forwardOut('127.0.0.1', 0, host, port, cb),
      (ch) => ch.close(),
      options.signal,
      adoptChannel,
    );
    return channel;
  }

  /** The connection's SFTP session (opened once, shared; reopened if it closes). */
  sftp(): Promise<SFTPWrapper> {
    if (!this.sftpPromise) {
      const promise = this.withSession(undefined, () =>
        this.open<SFTPWrapper>(
          'sftp',
          'sftp subsystem',
          (cb) => this.client.sftp(cb),
          (s) => s.end(),
        ),
      ).then(({ value: sftp, release }) => {
        sftp.on('error', noop);
        sftp.once('close', () => {
          release();
          if (this.sftpPromise === promise) this.sftpPromise = null;
        });
        return sftp;
      });
      promise.catch(() => {
        if (this.sftpPromise === promise) this.sftpPromise = null;
      });
      this.sftpPromise = promise;
    }
    return this.sftpPromise;
  }

  /** Remote forwards (tcpip-forward) open on this connection: `addr:port` → who takes their connections. */
  private remoteListeners: Map<string, (channel: Duplex, from: { ip: string; port: number }) => void> | null =
    null;

  /**
   * Asks the host's sshd to listen on `bindAddr:bindPort` (0 = a free port) and hands each connection
   * made to it there to `onConnection` as a channel (ssh2 forwardIn; needs AllowTcpForwarding, and
   * GatewayPorts only for non-loopback addresses). Resolves with the port and a close() that stops it.
   */
  async listenRemote(
    bindAddr: string,
    bindPort: number,
    onConnection: (channel: Duplex, from: { ip: string; port: number }) => void,
  ): Promise<{ port: number; close(): Promise<void> }> {
    if (this.closeReason) throw this.notConnected(this.closeReason.message);
    if (!this.remoteListeners) {
      const listeners = new Map<string, (channel: Duplex, from: { ip: string; port: number }) => void>();
      this.remoteListeners = listeners;
      this.client.on('tcp connection', (details, accept, reject) => {
        const handler =
          listeners.get(`${details.destIP}:${details.destPort}`) ??
          (listeners.size === 1 ? [...listeners.values()][0] : undefined);
        if (!handler) {
          reject();
          return;
        }
        const channel = accept();
        adoptChannel(channel);
        handler(channel, { ip: details.srcIP, port: details.srcPort });
      });
    }
    const listeners = this.remoteListeners;
    const port = await new Promise<number>((resolve, reject) => {
      this.client.forwardIn(bindAddr, bindPort, (err, bound) => {
        if (err) {
          const { host, port: sshPort } = this.info;
          reject(
            new SshChannelOpenError(
              host,
              sshPort,
              'direct-tcpip',
              hostPort(bindAddr, bindPort),
              null,
              `the server refused to listen on ${hostPort(bindAddr, bindPort)}: ${err.message} (is AllowTcpForwarding disabled?)`,
              { cause: err },
            ),
          );
        } else resolve(bindPort === 0 ? bound : bindPort);
      });
    });
    const key = `${bindAddr}:${port}`;
    listeners.set(key, onConnection);
    let closed = false;
    return {
      port,
      close: () =>
        new Promise<void>((resolve) => {
          if (closed) return resolve();
          closed = true;
          listeners.delete(key);
          if (this.closeReason) return resolve();
          try {
            this.client.unforwardIn(bindAddr, port, () => resolve());
          } catch {
            resolve();
          }
        }),
    };
  }
}

/** Same as {@link SshConnection.connect}. */
export function connectSsh(target: SshTarget, options: SshConnectOptions = {}): Promise<SshConnection> {
  return SshConnection.connect(target, options);
}
