import type { HostEntry } from '../../../preload/api-contract';
import { connectSsh, type SshConnection, type SshPrompter } from '../../ssh';
import type { HostPrompter } from './host-prompts';
import { StartupGate, type StartupGateOptions } from './startup-gate';

/** How the hosts' SSH connections are made. */
export interface SshPoolOptions {
  /** known_hosts files (first one written by "trust and remember"); default ~/.ssh/known_hosts. */
  knownHostsFiles?: readonly string[];
  /** ssh_config path, null for none; default ~/.ssh/config then /etc/ssh/ssh_config. */
  sshConfigFile?: string | null;
  connectTimeoutMs?: number;
  /** SSH handshakes at once and how long a hanging one holds its slot (see startup-gate.ts). */
  startup?: StartupGateOptions;
}

/** Bridges the SSH layer's questions to the user-facing prompt broker. */
export function sshPrompter(prompter: HostPrompter): SshPrompter {
  return {
    hostKeyUnknown: (info) =>
      prompter.confirmHostKey({ host: info.host, port: info.port, keyType: info.keyType, fingerprint: info.fingerprint }),
    passphrase: (info) =>
      prompter.askSecret({
        secret: 'passphrase',
        message: info.attempt > 1 ? `Wrong passphrase. Passphrase for ${info.keyFile}` : `Passphrase for ${info.keyFile}`,
        echo: false,
      }),
    password: (info) =>
      prompter.askSecret({
        secret: 'password',
        message:
          info.attempt > 1
            ? `Password refused. Password for ${info.user}@${info.host}`
            : `Password for ${info.user}@${info.host}`,
        echo: false,
      }),
    keyboardInteractive: async (info) => {
      const answers: string[] = [];
      for (const question of info.prompts) {
        const answer = await prompter.askSecret({
          secret: 'keyboard-interactive',
          message: [info.instructions, question.prompt].filter(Boolean).join('\n'),
          echo: question.echo,
        });
        if (answer === null) return null;
        answers.push(answer);
      }
      return answers;
    },
  };
}

interface PoolEntry {
  /** The host's SSH settings the connection was opened with: edited settings mean a new connection. */
  key: string;
  opening: Promise<SshConnection>;
  connection: SshConnection | null;
}

/**
 * The one SSH connection per host that carries everything for it: libvirt's RPC, console channels,
 * SFTP, and the configuration editor's commands. It outlives a libvirt connection: when libvirtd
 * restarts, libvirt reconnects over the same SSH connection (no new login, no new key touch), and the
 * configuration editor can still reach a host whose libvirtd is down. It closes when the user
 * disconnects or removes the host, when the app stops, or when SSH itself goes away.
 */
export class SshConnectionPool {
  private readonly entries = new Map<string, PoolEntry>();
  /** One fair queue for every host's handshake: 1000 hosts never start 1000 key exchanges at once. */
  readonly startup: StartupGate;

  constructor(private readonly options: SshPoolOptions = {}) {
    this.startup = new StartupGate(options.startup);
  }

  /** The host's live SSH connection, or a new one; callers asking at the same time share one attempt. */
  async acquire(
    host: HostEntry,
    prompter: HostPrompter,
    signal?: AbortSignal,
    /** 'queued' while the handshake waits for a start-up slot, 'ssh' once it runs. */
    onStep?: (step: 'queued' | 'ssh') => void,
  ): Promise<SshConnection> {
    const key = JSON.stringify(host.ssh);
    const existing = this.entries.get(host.id);
    if (existing && existing.key === key && !(existing.connection?.closed ?? false)) return existing.opening;
    if (existing) this.forget(host.id, existing);
    const entry: PoolEntry = { key, opening: this.open(host, prompter, signal, onStep), connection: null };
    this.entries.set(host.id, entry);
    try {
      const connection = await entry.opening;
      if (this.entries.get(host.id) !== entry) {
        // Released or replaced while it was opening.
        void connection.close().catch(() => undefined);
        throw new Error('The SSH connection was closed while it opened');
      }
      entry.connection = connection;
      connection.once('close', () => {
        if (this.entries.get(host.id) === entry) this.entries.delete(host.id);
      });
      return connection;
    } catch (error) {
      if (this.entries.get(host.id) === entry) this.entries.delete(host.id);
      throw error;
    }
  }

  /** Closes and forgets the host's connection (disconnect, removal). */
  async release(hostId: string): Promise<void> {
    const entry = this.entries.get(hostId);
    if (entry) await this.forget(hostId, entry);
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((hostId) => this.release(hostId)));
  }

  private async forget(hostId: string, entry: PoolEntry): Promise<void> {
    if (this.entries.get(hostId) === entry) this.entries.delete(hostId);
    const connection = entry.connection ?? (await entry.opening.catch(() => null));
    await connection?.close().catch(() => undefined);
  }

  private async open(
    host: HostEntry,
    prompter: HostPrompter,
    signal?: AbortSignal,
    onStep?: (step: 'queued' | 'ssh') => void,
  ): Promise<SshConnection> {
    const target = {
      host: host.ssh.host,
      user: host.ssh.user,
      port: host.ssh.port,
      ...(host.ssh.identityFile ? { identityFile: host.ssh.identityFile } : {}),
      ...(host.ssh.proxyJump ? { proxyJump: host.ssh.proxyJump } : {}),
    };
    const options = {
      prompter: sshPrompter(prompter),
      ...(signal ? { signal } : {}),
      ...(this.options.knownHostsFiles ? { knownHostsFiles: this.options.knownHostsFiles } : {}),
      ...(this.options.sshConfigFile !== undefined ? { sshConfigFile: this.options.sshConfigFile } : {}),
      ...(this.options.connectTimeoutMs ? { connectTimeoutMs: this.options.connectTimeoutMs } : {}),
    };
    // The handshake waits its turn in the fair start-up queue (a host that makes no progress gives its
    // slot up after slotMs); its connect timeout runs from when it starts, not while it is queued.
    const ssh = await this.startup.run(
      (progress, slot) => connectSsh(target, { ...options, onProgress: progress, onPrompt: () => slot.unmeasured() }),
      signal,
      {
        queued: () => onStep?.('queued'),
        started: () => onStep?.('ssh'),
      },
    );
    turnNagleOff(ssh);
    return ssh;
  }
}

/**
 * OpenSSH's sshd turns Nagle off (TCP_NODELAY) only once a session channel runs a command or a
 * subsystem; forwarded channels alone (libvirt's socket, VNC) leave it on, and each small reply then
 * waits ~40 ms for our delayed ACK (measured: VNC banner 45 ms → 5 ms). Opening the connection's SFTP
 * session does it, and the host I/O and load readings use that session on the first tick anyway (with
 * `internal-sftp`, sshd only forks; no shell starts). A `true` command did the same, but started the
 * user's shell, with its rc file, for every host at every connect on top of the SFTP session: ~10 ms
 * of the host's CPU each (measured on the lab's sshd). A server without SFTP still gets the command.
 */
function turnNagleOff(ssh: SshConnection): void {
  ssh.sftp().then(
    () => undefined,
    () =>
      void ssh.run('true', { timeoutMs: 15_000 }).then(
        () => undefined,
        () => undefined,
      ),
  );
}
