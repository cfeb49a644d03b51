/**
 * "Open in remote-viewer" for real: VirtDeck's services (createAppServices, the 'spice.remoteViewer*'
 * calls through the router) connect to the lab over real SSH, start the real remote-viewer (virt-viewer)
 * on a private Xvfb display, and the loopback listener tunnels each SPICE channel of the viewer through
 * the host's SSH connection to vd-spice-1's SPICE listener. The test checks that SPICE channels linked
 * and authenticated through the tunnels (the listener's own evidence), then closes the session.
 * Needs the Debian packages virt-viewer and xvfb; without them it is skipped and says so.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AppServices } from '../../main/app-services';
import { openLabApp, type LabApp } from '../support/lab-app';
import type { RemoteViewerStatus } from '../../preload/api-contract';
import { commandInstalled, startXvfb } from '../support/xvfb';

const availability = inject('lab');

const missing = ['remote-viewer', 'Xvfb'].filter((command) => !commandInstalled(command));
const SKIP = !availability.available || missing.length > 0;
const SKIP_REASON = !availability.available
  ? ` (skipped: ${availability.reason})`
  : missing.length > 0
    ? ` (skipped: ${missing.join(', ')} not installed — apt-get install virt-viewer xvfb)`
    : '';

describe.skipIf(SKIP)(`remote-viewer through the host's SSH connection${SKIP_REASON}`, () => {
  let app: AppServices;
  let hostId = '';
  let xvfb: ChildProcess | null = null;
  let labApp: LabApp | null = null;
  const savedDisplay = process.env.DISPLAY;

  beforeAll(async () => {
    if (!availability.available) return;
    const lab = availability.lab;
    const started = await startXvfb();
    xvfb = started.process;
    process.env.DISPLAY = started.display;
    labApp = await openLabApp(lab, { displayName: 'remote-viewer-test' });
    app = labApp.app;
    hostId = labApp.hostId;
  });

  afterAll(async () => {
    await labApp?.close();
    xvfb?.kill();
    if (savedDisplay === undefined) delete process.env.DISPLAY;
    else process.env.DISPLAY = savedDisplay;
  });

  const call = async <T>(name: string, request: unknown): Promise<T> => {
    const result = await app.router.call(name, request);
    if (!result.ok) throw new Error(`${name}: ${result.error.message}`);
    return result.value as T;
  };

  it('is available, starts remote-viewer, whose SPICE channels link through the tunnels, and closes', async () => {
    if (!availability.available) return;
    const guest = availability.lab.guests.find((g) => g.name === 'vd-spice-1');
    expect(guest?.uuid).toBeTruthy();
    expect(await call<{ available: boolean }>('spice.remoteViewerAvailable', null)).toEqual({ available: true });
    const { sessionId } = await call<{ sessionId: string }>('spice.remoteViewerOpen', {
      hostId,
      uuid: guest?.uuid,
      channel: 0,
    });
    let status: RemoteViewerStatus = { running: true, channels: [] };
    const deadline = Date.now() + 60_000;
    const ready = (name: string) => status.channels.some((c) => c.channel === name && c.state === 'ready');
    while (!(ready('main') && ready('display') && ready('inputs')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = await call<RemoteViewerStatus>('spice.remoteViewerStatus', { sessionId });
      expect(status.running).toBe(true);
    }
    expect(status.channels.filter((c) => c.state === 'ready').map((c) => c.channel)).toEqual(
      expect.arrayContaining(['main', 'display', 'inputs']),
    );
    expect(status.channels.some((c) => c.state === 'refused' || c.state === 'not-spice')).toBe(false);
    await call('spice.remoteViewerClose', { sessionId });
    expect(await call<RemoteViewerStatus>('spice.remoteViewerStatus', { sessionId })).toEqual({
      running: false,
      channels: [],
    });
  });

  it('refuses a guest whose graphics are not SPICE, starting nothing', async () => {
    if (!availability.available) return;
    const vnc = availability.lab.guests.find((g) => g.name === 'vd-vnc-1');
    const result = await app.router.call('spice.remoteViewerOpen', { hostId, uuid: vnc?.uuid, channel: 0 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/not SPICE/);
  });
});
