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
} from '../../ssh';
import { ConnectFailure, type HostConnector } from './host-connections';
import type { HostPrompter } from './host-prompts';
import { LibvirtHostLink } from './libvirt-host-link';
import { SshConnectionPool, type SshPoolOptions } from './ssh-pool';

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
  options: SshPoolOptions = {},
  pool: SshConnectionPool = new SshConnectionPool(options),
): HostConnector<LibvirtHostLink> {
  return {
    async connect(host: HostEntry, prompter: HostPrompter, signal: AbortSignal, progress) {
      let ssh: SshConnection | null = null;
      let client: LibvirtClient | null = null;
      try {
        if (host.transport !== 'local-socket') {
          progress('ssh');
          ssh = await pool.acquire(host, prompter, signal, progress);
        }
        progress('libvirt');
        const dialer = createLibvirtDialer(ssh, { uri: host.libvirtUri, transport: host.transport });
        client = new LibvirtClient({ dial: () => dialer(signal), uri: host.libvirtUri, reconnect: false });
        await client.connect();
        const info = await client.host.connectInfo();
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
