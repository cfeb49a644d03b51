import type { HostEntry } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import { LibvirtClient } from '../../libvirt/client';
import { createLibvirtDialer } from '../../libvirt/transport';
import type { SshConnection } from '../../ssh';
import type { HostPromptBroker } from '../connections/host-prompts';
import type { SshConnectionPool } from '../connections/ssh-pool';
import type { HostStore } from '../hosts/host-store';
import { HostConfigService } from './host-config-service';

const sudoMessage = (user: string, host: string, retry: boolean) =>
  `${retry ? 'sudo refused the password. ' : ''}sudo password for ${user}@${host} (to read and write /etc/libvirt)`;

/**
 * Builds the editor's service from the app's parts: the host's one SSH connection (shared with the host
 * link; it stays up while libvirtd restarts or is down), the prompt broker for the sudo password
 * (kept in memory for the session like SSH secrets, never written or logged), and a libvirt probe.
 */
export function createHostConfigService(parts: {
  hosts: HostStore;
  prompts: HostPromptBroker;
  sshPool: SshConnectionPool;
}): HostConfigService {
  const { hosts, prompts, sshPool } = parts;
  return new HostConfigService({
    host: async (hostId) => {
      const host = (await hosts.list()).find((h) => h.id === hostId);
      if (!host) throw new ApiFailure('not-found', `No saved host has id ${hostId}`);
      return host;
    },
    openSsh: (host: HostEntry) =>
      sshPool.acquire(host, prompts.prompterFor(host.id, () => undefined)).catch((error: unknown) => {
        throw new ApiFailure('ssh', error instanceof Error ? error.message : String(error));
      }),
    askSudoPassword:
      (hostId) =>
      async ({ user, host, retry }) =>
        prompts
          .prompterFor(hostId, () => undefined)
          .askSecret({ secret: 'password', message: sudoMessage(user, host, retry), echo: false }),
    forgetSudoPassword: (hostId) => {
      void hosts.list().then((list) => {
        const host = list.find((h) => h.id === hostId);
        if (!host) return;
        for (const retry of [false, true])
          prompts.forgetSecret(hostId, 'password', sudoMessage(host.ssh.user, host.ssh.host, retry));
      });
    },
    libvirtVersion: libvirtVersionOver,
  });
}

/** Connects to libvirt over `ssh` as the host link would and returns its version; retries for ~10 s. */
export async function libvirtVersionOver(host: HostEntry, ssh: SshConnection): Promise<string> {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2_000));
    const dialer = createLibvirtDialer(ssh, { uri: host.libvirtUri, transport: host.transport });
    const client = new LibvirtClient({
      dial: () => dialer(AbortSignal.timeout(20_000)),
      uri: host.libvirtUri,
      reconnect: false,
    });
    try {
      await client.connect();
      return (await client.host.connectInfo()).libVersion;
    } catch (error) {
      lastError = error;
    } finally {
      await client.close().catch(() => undefined);
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
