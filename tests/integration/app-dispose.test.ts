/**
 * Disposing the app's services (serve mode's Ctrl+C / SIGTERM, Electron's quit) against the real lab.
 *
 * The libvirt connections must end with CONNECT_CLOSE over their still-open SSH channels, after any
 * event deregistration in flight has been answered: libvirtd 9.0 frees a closing client's event
 * callbacks without the lock its dispatch workers hold (remoteClientFreePrivateCallbacks), and a CI run
 * saw it crash when serve mode stopped while the page's subscriptions were being dropped — the SSH
 * connections were closed first, so libvirtd saw an end of file in the middle of a deregistration.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { StateChange } from '../../main/libvirt/client';
import { createAppServices } from '../../main/app-services';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await tick(25);
  }
}

describe.skipIf(SKIP)(`app services: dispose (real libvirtd, real SSH)${SKIP_REASON}`, () => {
  it('closes libvirt with CONNECT_CLOSE before its SSH connection, with deregistrations in flight', async () => {
    if (!availability.available) return;
    const lab = availability.lab;
    const tmp = mkdtempSync(join(tmpdir(), 'virtdeck-app-dispose-'));
    const knownHosts = join(tmp, 'known_hosts');
    writeFileSync(knownHosts, `[${lab.ssh.host}]:${lab.ssh.port} ${lab.ssh.hostKey}\n`);
    const saved = { knownHosts: process.env.VIRTDECK_KNOWN_HOSTS, sshConfig: process.env.VIRTDECK_SSH_CONFIG };
    process.env.VIRTDECK_KNOWN_HOSTS = knownHosts;
    process.env.VIRTDECK_SSH_CONFIG = 'none';
    const app = createAppServices({ transport: 'serve', configDir: join(tmp, 'config'), connectOnLaunch: false });
    try {
      const { hosts, events, connections } = app.deps;
      const host = await hosts.add({
        displayName: 'app-dispose-test',
        ssh: { user: 'root', host: lab.ssh.host, port: lab.ssh.port, identityFile: lab.accounts.root.identityFile },
        libvirtUri: lab.libvirtUri,
        transport: 'auto',
        tags: [],
      });
      events.publish('hosts.changed', { hosts: await hosts.list() });
      connections.connect(host.id);
      await waitFor(() => connections.link(host.id) !== null, 30_000, 'the host link');
      const link = connections.link(host.id)!;
      const ssh = link.ssh;
      expect(ssh).toBeTruthy();
      const libvirt = link.libvirt;
      const states: StateChange[] = [];
      libvirt.on('state', (s) => states.push(s));
      const names = ['rtc-change', 'watchdog', 'control-error', 'pmwakeup', 'pmsuspend'] as const;
      const subs = await Promise.all(names.map((name) => libvirt.onDomainEvent(name, () => {})));
      let sshClosedWhileLibvirtOpen = false;
      ssh!.once('close', () => {
        if (libvirt.state !== 'closed') sshClosedWhileLibvirtOpen = true;
      });

      // What a closing page does just before serve mode stops: drop its subscriptions, not waiting.
      const dropping = subs.map((s) => s.unsubscribe().catch((e: unknown) => e));
      await app.dispose();
      await Promise.all(dropping);

      expect(sshClosedWhileLibvirtOpen, 'the SSH connection closed under a live libvirt connection').toBe(false);
      expect(ssh!.closed).toBe(true);
      expect(states.map((s) => s.state)).toEqual(['closed']);
      expect(states[0]?.reason).toBe('closed by the client');
    } finally {
      await app.dispose().catch(() => undefined);
      process.env.VIRTDECK_KNOWN_HOSTS = saved.knownHosts;
      process.env.VIRTDECK_SSH_CONFIG = saved.sshConfig;
      if (saved.knownHosts === undefined) delete process.env.VIRTDECK_KNOWN_HOSTS;
      if (saved.sshConfig === undefined) delete process.env.VIRTDECK_SSH_CONFIG;
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
