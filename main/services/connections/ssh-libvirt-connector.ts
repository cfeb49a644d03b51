import type { HostEntry } from '../../../preload/api-contract';
import { LibvirtClient } from '../../libvirt/client';
import { createLibvirtDialer } from '../../libvirt/transport';
import {
  SshAuthError,
  SshCancelledError,
  SshHostKeyChangedError,
  SshHostKeyRejectedError,
  SshHostKeyRevokedError,
  type SshConnection,
  type SshPrompter,
} from '../../ssh';
import { ConnectFailure, type HostConnector } from './host-connections';
import type { HostPrompter } from './host-prompts';
import { LibvirtHostLink } from './libvirt-host-link';
import { SshConnectionPool } from './ssh-pool';

export interface SshLibvirtConnectorOptions {
  /** known_hosts files (first one written by "trust and remember"); default ~/.ssh/known_hosts. */
  knownHostsFiles?: readonly string[];
  /** ssh_config path, null for none; default ~/.ssh/config then /etc/ssh/ssh_config. */
  sshConfigFile?: string | null;
  connectTimeoutMs?: number;
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

function classify(error: unknown): ConnectFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SshHostKeyChangedError) return new ConnectFailure(message, { retryable: false, hostKeyChanged: true });
  if (
    error instanceof SshHostKeyRevokedError ||
    error instanceof SshHostKeyRejectedError ||
    error instanceof SshAuthError ||
    error instanceof SshCancelledError
  ) {
    return new ConnectFailure(message, { retryable: false });
  }
  return new ConnectFailure(message, { retryable: true });
}

/**
 * The real connector: the host's one SSH connection (from the pool; none for "this computer"), libvirt's
 * RPC over it, and a link the services use. The libvirt client does not reconnect by itself: any loss
 * ends the link and the connection manager rebuilds it with one backoff policy — over the same SSH
 * connection when only libvirt went away.
 */
export function createSshLibvirtConnector(
  options: SshLibvirtConnectorOptions = {},
  pool: SshConnectionPool = new SshConnectionPool(options),
): HostConnector<LibvirtHostLink> {
  return {
    async connect(host: HostEntry, prompter: HostPrompter, signal: AbortSignal, progress) {
      let ssh: SshConnection | null = null;
      let client: LibvirtClient | null = null;
      try {
        if (host.transport !== 'local-socket') {
          progress('ssh');
          ssh = await pool.acquire(host, prompter, signal);
        }
        progress('libvirt');
        const dialer = createLibvirtDialer(ssh, { uri: host.libvirtUri, transport: host.transport });
        client = new LibvirtClient({ dial: () => dialer(signal), uri: host.libvirtUri, reconnect: false });
        await client.connect();
        const info = await client.getConnectInfo();
        const transport = dialer.last?.transport ?? (ssh ? 'ssh-socket' : 'local-socket');
        return new LibvirtHostLink(host.id, ssh, client, {
          hostname: info.hostname,
          libvirtVersion: info.libVersion,
          hypervisorVersion: info.hypervisorVersion,
          transport,
        });
      } catch (error) {
        // A failed libvirt connection leaves SSH up for the next attempt (and the configuration editor).
        await client?.close().catch(() => undefined);
        throw classify(error);
      }
    },
    release: (hostId) => pool.release(hostId),
  };
}
