/**
 * Monitoring end to end in Chromium against serve mode and the lab:
 *  - Settings → Prometheus export: a token generated (shown once), the endpoint enabled on a free port;
 *    /metrics refuses a request without the token and serves the lab's series with it; off again, the
 *    port is closed;
 *  - host page → Disk I/O: the host's block devices with figures, refreshed by the next sample, and the
 *    running lab guests' disks;
 *  - host page → Benchmark: the quick fio profile on the lab pool runs to completion (four results), a
 *    second run cancelled midway leaves no file in the pool's directory;
 *  - VM page → Guest agent: a lab guest (busybox, no agent channel) says the agent is not available and why.
 * The lab is this machine, so the pool's directory is checked with fs directly.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { expect, test, type Page } from '@playwright/test';
import { addLabHost, lab, openApp, removeHost, removeHostIfLeft, skipReason } from './support';

const reason = skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });
test.use({ actionTimeout: 30_000 });
test.afterAll(async ({ browser }) => removeHostIfLeft(browser, HOST));

const HOST = 'vd-test-monitoring-e2e';
const POOL = 'vd-lab-pool';
const GUEST = 'vd-vnc-1';

const virsh = (...args: string[]) => execFileSync('virsh', ['-q', '-c', 'qemu:///system', ...args], { encoding: 'utf8', timeout: 60_000 });
const poolDir = () => /<path>([^<]+)<\/path>/.exec(virsh('pool-dumpxml', POOL))?.[1] ?? '';
const benchFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('.virtdeck-bench-'));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

async function openHostTab(page: Page, tab: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main navigation' }).last().getByText(HOST, { exact: true }).click();
  await page.getByRole('tab', { name: tab, exact: true }).click();
}

let page: Page;
let errors: string[] = [];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  errors = await openApp(page);
  await addLabHost(page, HOST);
});

test.afterAll(async () => {
  await page?.close();
});

test('Prometheus export: token shown once, /metrics needs it and serves the lab, off closes the port', async () => {
  const port = await freePort();
  await page.getByRole('button', { name: 'Language / Color scheme' }).click();
  await page.getByRole('menuitem', { name: 'Prometheus export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Prometheus export' });
  await expect(dialog.getByText('Not listening')).toBeVisible();
  await dialog.getByRole('button', { name: 'Generate token' }).click();
  const token = ((await dialog.getByTestId('metrics-export-token').textContent()) ?? '').trim();
  expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  await expect(dialog.getByTestId('metrics-export-example')).toContainText(`credentials: ${token}`);
  await dialog.getByLabel('Serve /metrics').check();
  await dialog.getByLabel('Port').fill(String(port));
  await dialog.getByRole('button', { name: 'Apply' }).click();
  const url = `http://127.0.0.1:${port}/metrics`;
  await expect(dialog.getByText(`Listening at ${url}`)).toBeVisible();
  await expect(dialog.getByTestId('metrics-export-example')).toContainText(`targets: ['127.0.0.1:${port}']`);

  expect((await fetch(url)).status).toBe(401);
  expect((await fetch(url, { headers: { Authorization: 'Bearer not-the-token' } })).status).toBe(401);
  let body = '';
  await expect
    .poll(
      async () => {
        const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
        body = await response.text();
        return response.status === 200 && body.includes(`libvirt_up{host="${HOST}"} 1`) && body.includes(`domain="${GUEST}"`);
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  expect(body).toMatch(new RegExp(`libvirt_domain_info_virtual_cpus\\{[^}]*domain="${GUEST}"[^}]*\\} \\d+`));
  await expect(dialog.getByTestId('metrics-export-scrapes')).toContainText(/[1-9]\d* scrapes? served/, { timeout: 10_000 });

  // Reopened, the token is not shown again: only that one is set.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await page.getByRole('button', { name: 'Language / Color scheme' }).click();
  await page.getByRole('menuitem', { name: 'Prometheus export…' }).click();
  await expect(dialog.getByText('A token is set')).toBeVisible();
  await expect(dialog.getByTestId('metrics-export-token')).toHaveCount(0);
  await expect(dialog.getByTestId('metrics-export-example')).toContainText('credentials: <the token>');
  await dialog.getByLabel('Serve /metrics').uncheck();
  await dialog.getByRole('button', { name: 'Apply' }).click();
  await expect(dialog.getByText('Not listening')).toBeVisible();
  await expect(fetch(url, { headers: { Authorization: `Bearer ${token}` } })).rejects.toThrow();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('Disk I/O: the host devices with figures, refreshed live, and the guests\' disk latency', async () => {
  await openHostTab(page, 'Disk I/O');
  const panel = page.getByTestId('disk-io');
  const devices = page.getByTestId('disk-io-devices');
  await expect(devices.locator('tbody tr').first()).toBeVisible({ timeout: 30_000 });
  const known = readdirSync('/sys/block');
  const names = await devices.locator('tbody tr td:first-child').allTextContents();
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) expect(known).toContain(name.trim());
  // Every figure cell is a number (or a rate).
  const firstRow = await devices.locator('tbody tr').first().locator('td').allTextContents();
  expect(firstRow.slice(1, 3).every((cell) => /^\d+\.\d$/.test(cell))).toBe(true);
  expect(firstRow.slice(3, 5).every((cell) => /^\d+(\.\d)? [KMGT]?i?B\/s$/.test(cell))).toBe(true);
  expect(firstRow.slice(5, 9).every((cell) => /^\d+\.\d+$/.test(cell))).toBe(true);
  const at = Number(await panel.getAttribute('data-at'));
  await expect.poll(async () => Number(await panel.getAttribute('data-at')), { timeout: 20_000 }).toBeGreaterThan(at);
  await expect(page.getByTestId('disk-io-vms')).toContainText(GUEST, { timeout: 20_000 });
  await expect(page.getByTestId('disk-io-vms').locator('tbody tr').filter({ hasText: GUEST }).first()).toContainText(/[vsh]d[a-z]/);
});

test('Benchmark: the quick profile runs to completion; a cancelled run leaves no file', async () => {
  test.setTimeout(180_000);
  const dir = poolDir();
  expect(dir).not.toBe('');
  const before = benchFiles(dir);
  await openHostTab(page, 'Benchmark');
  const panel = page.getByTestId('storage-benchmark');
  await panel.getByLabel('Pool').click();
  await page.getByRole('option', { name: new RegExp(`^${POOL} \\(`) }).click();
  await expect(panel.getByTestId('storage-benchmark-check')).toContainText(`Directory: ${dir}`);
  await expect(panel.getByTestId('storage-benchmark-check')).toContainText(/fio-\d/);
  await panel.getByRole('button', { name: 'Run benchmark' }).click();
  await expect(panel.getByTestId('storage-benchmark-progress')).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Run benchmark' })).toBeVisible({ timeout: 90_000 });
  for (const test of ['randread4k', 'randwrite4k', 'seqread1m', 'seqwrite1m']) {
    const cells = await panel.getByTestId(`storage-benchmark-${test}`).first().locator('td').allTextContents();
    expect(Number(cells[1]?.replace(/[^\d]/g, ''))).toBeGreaterThan(0);
  }
  expect(benchFiles(dir)).toEqual(before);

  await panel.getByLabel('Profile').click();
  await page.getByRole('option', { name: /^Standard/ }).click();
  await panel.getByRole('button', { name: 'Run benchmark' }).click();
  await expect.poll(() => benchFiles(dir).length, { timeout: 30_000 }).toBe(before.length + 1);
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.getByTestId('storage-benchmark-cancelled')).toBeVisible({ timeout: 20_000 });
  await expect.poll(() => benchFiles(dir), { timeout: 10_000 }).toEqual(before);
  expect(existsSync(dir)).toBe(true);
});

test('Guest agent: a busybox lab guest says the agent is not available, and why', async () => {
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(GUEST);
  await page.getByRole('row', { name: new RegExp(`^${GUEST} on `) }).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: GUEST })).toBeVisible();
  await page.getByRole('tab', { name: 'Guest agent', exact: true }).click();
  const unavailable = page.getByTestId('guest-agent-unavailable');
  await expect(unavailable).toContainText('Guest agent not available');
  await expect(unavailable).toContainText('no guest agent channel');
  await expect(page.getByTestId('guest-agent-channel')).toHaveAttribute('data-channel', 'absent');
  await expect(page.getByRole('button', { name: 'Freeze file systems' })).toHaveCount(0);
  await removeHost(page, HOST);
  expect(errors).toEqual([]);
});
