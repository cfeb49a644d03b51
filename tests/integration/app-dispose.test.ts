/**
 * Disposing the app's services (serve mode's Ctrl+C / SIGTERM, Electron's quit) against the real lab.
 *
 * The libvirt connections must end with CONNECT_CLOSE over their still-open SSH channels, after any
 * event deregistration in flight has been answered: libvirtd 9.0 frees a closing client's event
 * callbacks without the lock its dispatch workers hold (remoteClientFreePrivateCallbacks), and a CI run
 * saw it crash when serve mode stopped while the page's subscriptions were being dropped — the SSH
 * connections were closed first, so libvirtd saw an end of file in the middle of a deregistration.
 */
import { describe, expect, inject, it } from 'vitest';
import type { StateChange } from '../../main/libvirt/client';
import { openLabApp } from '../support/lab-app';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

describe.skipIf(SKIP)(`app services: dispose (real libvirtd, real SSH)${SKIP_REASON}`, () => {
  it('closes libvirt with CONNECT_CLOSE before its SSH connection, with deregistrations in flight', async () => {
    if (!availability.available) return;
    const lab = await openLabApp(availability.lab, { displayName: 'app-dispose-test' });
    try {
      const { app, hostId } = lab;
      const link = app.deps.connections.link(hostId)!;
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
      await lab.close();
    }
  }, 120_000);
});
