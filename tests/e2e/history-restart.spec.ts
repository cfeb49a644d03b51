/**
 * The metrics history survives a restart of serve mode (issue 16), in Chromium against a serve-mode
 * process of this spec's own (its own VIRTDECK_CONFIG_DIR, so the shared e2e server and the other specs
 * are not restarted): lab host A added through the "Add a host" dialog, a running lab guest's VM page
 * charts a few ticks, serve mode is stopped (SIGTERM, as Ctrl+C: it flushes the rows still buffered) and
 * started again on the same config directory, and the VM page's 15-minute chart then shows the points
 * from before the restart (the same first point, every time read before the restart again, the same
 * values) followed by new ones. The lab guest is only read.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { MetricsEntity, MetricsHistory } from '../../preload/api-contract';
import { startOwnServe, type OwnServe } from './own-serve';
import { addLabHost, lab, labInfo, skipReason } from './support';

const reason = skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const HOST = 'vd-test-history-restart';
const GUEST = 'vd-vnc-1';
const QUARTER_HOUR = 15 * 60_000;

let workDir = '';
let configDir = '';
let serve: OwnServe | null = null;

/** Serve mode on this spec's config directory (a copy of the lab's known hosts: the host reconnects after the restart without a trust prompt). */
const startServe = async () => {
  serve = await startOwnServe({ configDir, home: workDir, knownHosts: join(workDir, 'known_hosts') });
  return serve.tokenUrl;
};

test.beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'virtdeck-e2e-history-restart-'));
  configDir = join(workDir, 'config');
  mkdirSync(configDir, { recursive: true });
  copyFileSync(labInfo().ssh.knownHostsFile, join(workDir, 'known_hosts'));
});

test.afterAll(async () => {
  await serve?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function openVmPage(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main navigation' }).last().getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(GUEST);
  await page.getByRole('row', { name: new RegExp(`^${GUEST} on ${HOST}`) }).click({ timeout: 60_000 });
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: GUEST })).toBeVisible();
}

/** metricsHistory.read through the page's own serve-mode session (a second WebSocket with its cookie). */
async function readHistory(page: Page, entity: MetricsEntity, from: number, to: number): Promise<MetricsHistory> {
  const result = await page.evaluate(
    async ({ entity, from, to }) => {
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`);
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error('the API socket did not open'));
      });
      try {
        return await new Promise<unknown>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no answer to metricsHistory.read')), 15_000);
          ws.onmessage = (event) => {
            const message = JSON.parse(String(event.data)) as { t: string; id?: number; result?: unknown };
            if (message.t === 'result' && message.id === 1) {
              clearTimeout(timer);
              resolve(message.result);
            }
          };
          ws.send(JSON.stringify({ t: 'call', id: 1, name: 'metricsHistory.read', request: { entity, from, to } }));
        });
      } finally {
        ws.close();
      }
    },
    { entity, from, to },
  );
  const answer = result as { ok: true; value: MetricsHistory } | { ok: false; error: unknown };
  if (!answer.ok) throw new Error(`metricsHistory.read failed: ${JSON.stringify(answer.error)}`);
  return answer.value;
}

test('the VM page chart shows the history from before a restart of serve mode', async ({ page }) => {
  test.setTimeout(300_000);
  const info = labInfo();
  const guest = info.guests.find((g) => g.name === GUEST);
  expect(guest?.running, `${GUEST} is a running lab guest`).toBe(true);
  const uuid = guest?.uuid ?? '';
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  // 1. First run: the host added in the UI, the guest's VM page charts some ticks.
  const firstUrl = await startServe();
  await page.goto(firstUrl);
  await expect(page.getByTestId('connection-state')).toHaveText('Connected', { timeout: 30_000 });
  await addLabHost(page, HOST, 'operator');
  const saved = JSON.parse(readFileSync(join(configDir, 'hosts.json'), 'utf8')) as { hosts: Array<{ id: string; displayName: string }> };
  const hostId = saved.hosts.find((h) => h.displayName === HOST)?.id ?? '';
  expect(hostId).not.toBe('');
  const entity: MetricsEntity = { kind: 'vm', hostId, uuid };

  await openVmPage(page);
  const history = page.getByTestId('metrics-history');
  await expect(history.getByTestId('metrics-history-resolution')).toHaveText('every tick');
  const cpuChart = page.getByTestId('history-chart-cpu').getByRole('img');
  const points = async () => Number(await cpuChart.getAttribute('data-points'));
  await expect.poll(points, { timeout: 60_000 }).toBeGreaterThanOrEqual(8);
  const firstAtBefore = Number(await cpuChart.getAttribute('data-first-at'));
  const before = await readHistory(page, entity, Date.now() - QUARTER_HOUR, Date.now());
  expect(before.resolution).toBe('raw');
  expect(before.times.length).toBeGreaterThanOrEqual(8);
  expect(before.times[0]).toBe(firstAtBefore);
  const cpuBefore = before.series['vm.cpu.percent']?.avg ?? [];
  expect(cpuBefore.filter((v) => v !== null).length).toBeGreaterThanOrEqual(before.times.length - 1);

  // 2. Stop serve mode as Ctrl+C does; it exits by itself (and flushes on the way out).
  await page.goto('about:blank');
  const stoppedAt = Date.now();
  const stopped = (await serve?.stop()) ?? { code: null, signal: null, killed: true };
  serve = null;
  expect(stopped.killed, 'serve mode exited on SIGTERM without SIGKILL').toBe(false);
  const vmDir = join(configDir, 'metrics-history', 'vm', hostId, uuid);
  expect(existsSync(vmDir)).toBe(true);
  const rawRows = readdirSync(vmDir)
    .filter((name) => name.startsWith('raw-'))
    .reduce((sum, name) => sum + statSync(join(vmDir, name)).size / 48, 0);
  expect(rawRows, 'every tick read before the stop is on disk').toBeGreaterThanOrEqual(before.times.length);

  // 3. Second run on the same config directory: the host reconnects by itself; the chart has the old points.
  const secondUrl = await startServe();
  expect(secondUrl).not.toBe(firstUrl);
  await page.goto(secondUrl);
  await expect(page.getByTestId('connection-state')).toHaveText('Connected', { timeout: 30_000 });
  await openVmPage(page);
  await expect(history.getByTestId('metrics-history-resolution')).toHaveText('every tick');
  // A tick after the restart is charted, so this is the second run's read, not a stale one.
  await expect.poll(async () => Number(await cpuChart.getAttribute('data-last-at')), { timeout: 60_000 }).toBeGreaterThan(stoppedAt);
  expect(Number(await cpuChart.getAttribute('data-first-at'))).toBe(firstAtBefore);
  expect(await points()).toBeGreaterThan(before.times.length);

  const after = await readHistory(page, entity, Date.now() - QUARTER_HOUR, Date.now());
  const cpuAfter = new Map(after.times.map((t, i) => [t, after.series['vm.cpu.percent']?.avg[i]]));
  for (const [i, t] of before.times.entries()) {
    expect(cpuAfter.has(t), `the point at ${new Date(t).toISOString()} (before the restart) is still there`).toBe(true);
    // Rows still in memory before the stop were f64; on disk they are f32.
    const value = cpuBefore[i];
    expect(cpuAfter.get(t)).toBe(value === null || value === undefined ? null : Math.fround(value));
  }
  expect(after.times.filter((t) => t < stoppedAt).length).toBeGreaterThanOrEqual(before.times.length);
  expect(after.times.some((t) => t > stoppedAt)).toBe(true);
  console.log(
    `[history-restart] before: ${before.times.length} points (${new Date(before.times[0] ?? 0).toISOString()} … ${new Date(before.times.at(-1) ?? 0).toISOString()}); ` +
      `stopped ${new Date(stoppedAt).toISOString()} (exit ${stopped.code ?? stopped.signal}); after restart: ${after.times.length} points, ` +
      `${after.times.filter((t) => t < stoppedAt).length} from before the stop`,
  );
  expect(errors).toEqual([]);
});
