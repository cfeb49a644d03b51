/**
 * The whole app (createAppServices, serve transport) with the lab added as a host and connected, for
 * integration tests and benchmarks that go through the app's services rather than one libvirt client.
 *
 * The app trusts only the lab's host key (a known_hosts file of its own, no ssh_config), keeps its
 * settings in a temporary directory unless given one, and close() disposes it and puts the environment
 * back as it was.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../../main/app-services';
import type { LabInfo } from './lab';

export interface LabAppOptions {
  /** The host's display name in the app. */
  readonly displayName: string;
  /** The app's configuration directory; default a temporary one, removed by close(). */
  readonly configDir?: string;
  /** The SSH port the app uses to reach the lab (e.g. a delay proxy's); default the lab's sshd. */
  readonly port?: number;
  readonly tags?: string[];
  /** How long the host may take to connect; default 30 s. */
  readonly connectTimeoutMs?: number;
}

export interface LabApp {
  readonly app: AppServices;
  readonly hostId: string;
  readonly configDir: string;
  /** From connect() to the host's link being up. */
  readonly connectMs: number;
  /** Disposes the app, restores the environment, removes the temporary directory. Idempotent. */
  close(): Promise<void>;
}

const ENV_KEYS = ['VIRTDECK_KNOWN_HOSTS', 'VIRTDECK_SSH_CONFIG'] as const;

export async function openLabApp(lab: LabInfo, options: LabAppOptions): Promise<LabApp> {
  const tmp = mkdtempSync(join(tmpdir(), 'virtdeck-lab-app-'));
  const port = options.port ?? lab.ssh.port;
  const knownHosts = join(tmp, 'known_hosts');
  writeFileSync(knownHosts, `[${lab.ssh.host}]:${port} ${lab.ssh.hostKey}\n`);
  const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  process.env.VIRTDECK_KNOWN_HOSTS = knownHosts;
  process.env.VIRTDECK_SSH_CONFIG = 'none';
  const configDir = options.configDir ?? join(tmp, 'config');
  const app = createAppServices({ transport: 'serve', configDir, connectOnLaunch: false });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await app.dispose().catch(() => undefined);
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const { hosts, events, connections } = app.deps;
    const host = await hosts.add({
      displayName: options.displayName,
      ssh: { user: 'root', host: lab.ssh.host, port, identityFile: lab.accounts.root.identityFile },
      libvirtUri: lab.libvirtUri,
      transport: 'auto',
      tags: options.tags ?? [],
    });
    events.publish('hosts.changed', { hosts: await hosts.list() });
    const started = performance.now();
    const timeoutMs = options.connectTimeoutMs ?? 30_000;
    connections.connect(host.id);
    while (!connections.link(host.id)) {
      if (performance.now() - started > timeoutMs) {
        throw new Error(`the lab host did not connect in ${timeoutMs / 1000} s (${JSON.stringify(connections.status(host.id)?.state ?? null)})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { app, hostId: host.id, configDir, connectMs: performance.now() - started, close };
  } catch (error) {
    await close();
    throw error;
  }
}
