/**
 * Live migration in Chromium against serve mode and the two-host lab (tests/lab/README.md, host B):
 *  - both lab hosts are added through the "Add a host" dialog;
 *  - a throwaway guest on host A (vd-off-1's kernel, a qcow2 disk of random data in A's private disk
 *    directory) runs a counter on its serial console; "Migrate…" from the fleet's menu to host B with
 *    storage copy: the checks, then progress (bytes, rate, time left), Done, "Now on" host B; the fleet
 *    shows it on B, virsh finds it running on B and gone from A, and B's serial console shows the same
 *    shell session (the counter keeps counting past what A showed);
 *  - back B → A with `lab.sh isolate on`: the route shown is relayed through VirtDeck;
 *  - a migration cancelled halfway leaves the guest running on A and nothing on B.
 * Everything is named vd-test-mige2e-… and removed afterwards; isolation is turned off.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { hostBPath, labIsolate, requireHostB } from '../support/lab';
import { lab, labInfo, openApp, removeHost, removeHostIfLeft, skipReason, serialTerminalLines, waitForGuestShell } from './support';

const reason =
  skipReason() ??
  (!lab().available ? `no lab: ${(lab() as { reason: string }).reason}` : labInfo().hostB ? undefined : 'the lab has no host B');
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const HOST_A = 'lab-mig-a';
const HOST_B = 'lab-mig-b';
const GUEST = 'vd-test-mige2e-1';

const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on `) });

/** virsh on host A (as root here) or host B (its socket, as root here). */
function virshOn(host: 'a' | 'b', ...args: string[]): string {
  const info = labInfo();
  const uri = host === 'a' ? info.libvirtUri : requireHostB(info).localLibvirtUri;
  return execFileSync('virsh', ['-q', '-c', uri, ...args], { encoding: 'utf8', timeout: 30_000 });
}
function stateOn(host: 'a' | 'b', name: string): string {
  const result = spawnSync('virsh', ['-q', '-c', host === 'a' ? labInfo().libvirtUri : requireHostB(labInfo()).localLibvirtUri, 'domstate', name], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return result.status === 0 ? result.stdout.trim() : 'absent';
}

const diskPath = () => join(labInfo().stateDir, 'disks', `${GUEST}.qcow2`);
const logPath = () => join(labInfo().stateDir, 'logs', `${GUEST}.serial.log`);

/** Removes the guest from both hosts, with its disks and serial logs; turns isolation off. */
function cleanUp(): void {
  const info = labInfo();
  const hostB = requireHostB(info);
  labIsolate(false);
  for (const host of ['a', 'b'] as const) {
    if (stateOn(host, GUEST) === 'absent') continue;
    spawnSync('virsh', ['-q', '-c', host === 'a' ? info.libvirtUri : hostB.localLibvirtUri, 'destroy', GUEST]);
    spawnSync('virsh', ['-q', '-c', host === 'a' ? info.libvirtUri : hostB.localLibvirtUri, 'undefine', GUEST]);
  }
  for (const path of [diskPath(), hostBPath(hostB, diskPath()), logPath(), hostBPath(hostB, logPath())]) if (existsSync(path)) rmSync(path, { force: true });
  // Both libvirtds forget the removed files (a stale volume would make an incoming copy skip its disk).
  spawnSync('virsh', ['-q', '-c', info.libvirtUri, 'pool-refresh', hostB.sharedPool.name]);
  for (const pool of hostB.pools) spawnSync('virsh', ['-q', '-c', hostB.localLibvirtUri, 'pool-refresh', pool]);
}

/** Defines and starts the guest on host A: vd-off-1's definition, 192 MiB RAM, a 32 MiB qcow2 of random data. */
function startGuest(): void {
  const disk = diskPath();
  execFileSync('sh', ['-c', `head -c ${32 * 1048576} /dev/urandom > '${disk}.raw' && qemu-img convert -q -f raw -O qcow2 '${disk}.raw' '${disk}' && rm -f '${disk}.raw'`]);
  const kib = 192 * 1024;
  const xml = virshOn('a', 'dumpxml', '--inactive', 'vd-off-1')
    .replace(/<name>[^<]*<\/name>/, `<name>${GUEST}</name>`)
    .replace(/\s*<uuid>[^<]*<\/uuid>/, '')
    .replace(/<title>[^<]*<\/title>/, `<title>${GUEST}</title>`)
    .replace(/vd\.name=[^ <]*/, `vd.name=${GUEST}`)
    .replace(/<memory unit='KiB'>\d+<\/memory>/, `<memory unit='KiB'>${kib}</memory>`)
    .replace(/<currentMemory unit='KiB'>\d+<\/currentMemory>/, `<currentMemory unit='KiB'>${kib}</currentMemory>`)
    .replace(/\/logs\/[^/'"]+\.serial\.log/g, `/logs/${GUEST}.serial.log`)
    .replace(/<source file='[^']*'\/>/, `<source file='${disk}'/>`)
    .replace(/\s*<graphics [\s\S]*?<\/graphics>/, '')
    .replace(/\s*<video>[\s\S]*?<\/video>/, '');
  if (!xml.includes(disk)) throw new Error("vd-off-1's definition has no file disk to replace");
  const dir = mkdtempSync(join(tmpdir(), 'vd-mige2e-'));
  writeFileSync(join(dir, 'guest.xml'), xml);
  virshOn('a', 'define', join(dir, 'guest.xml'));
  rmSync(dir, { recursive: true, force: true });
  virshOn('a', 'start', GUEST);
}

/** Adds a lab host (A or B) as root through the "Add a host" dialog and waits until it is connected. */
async function addHost(page: Page, name: string, which: 'a' | 'b'): Promise<void> {
  const info = labInfo();
  const target = which === 'a' ? { ssh: info.ssh, account: info.accounts.root } : { ssh: requireHostB(info).ssh, account: requireHostB(info).accounts.root };
  await page.getByRole('navigation', { name: 'Main navigation' }).last().getByText('Hosts', { exact: true }).click();
  await page.getByRole('button', { name: /^Add (a )?host$/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a host' });
  await dialog.getByLabel('Display name').fill(name);
  await dialog.getByLabel('SSH user').fill(target.account.user);
  await dialog.getByLabel('Host name or address').fill(target.ssh.host);
  await dialog.getByLabel('SSH port').fill(String(target.ssh.port));
  await dialog.getByLabel('Identity file').fill(target.account.identityFile);
  await dialog.getByRole('button', { name: 'Save host' }).click();
  const prompt = page.getByRole('dialog', { name: `Trust the host key of ${name}?` });
  const status = page.getByRole('row', { name: new RegExp(name) }).getByTestId('host-status');
  await expect(prompt.or(status.and(page.locator('[data-state="connected"]')))).toBeVisible({ timeout: 30_000 });
  if (await prompt.isVisible()) await prompt.getByRole('button', { name: 'Trust this time' }).click();
  await expect(status).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
}

async function showInFleet(page: Page, name: string, host: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main navigation' }).last().getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(name);
  await expect(row(page, name)).toHaveCount(1, { timeout: 30_000 });
  await expect(row(page, name)).toHaveAccessibleName(new RegExp(`^${name} on ${host}\\b`), { timeout: 30_000 });
}

/** The highest tick-N the terminal shows, or 0. */
async function lastTick(page: Page): Promise<number> {
  const ticks = (await serialTerminalLines(page)).flatMap((line) => [...line.matchAll(/tick-(\d+)/g)].map((m) => Number(m[1])));
  return ticks.length ? Math.max(...ticks) : 0;
}

async function openSerial(page: Page, name: string, host: string): Promise<void> {
  await showInFleet(page, name, host);
  await row(page, name).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name, exact: true })).toBeVisible();
  await page.getByRole('tab', { name: 'Serial console' }).click();
  await expect(page.getByTestId('serial-console')).toHaveAttribute('data-state', 'connected', { timeout: 60_000 });
}

/** Opens "Migrate…" from the fleet's menu for the guest; the only other connected host is the destination. */
async function openMigrate(page: Page, host: string) {
  await showInFleet(page, GUEST, host);
  await row(page, GUEST).click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Migrate…' }).click();
  const dialog = page.getByTestId('migrate-dialog');
  await expect(dialog).toBeVisible();
  return dialog;
}

test.beforeAll(() => {
  if (reason) return;
  cleanUp();
  startGuest();
});

test.afterAll(async ({ browser }) => {
  if (reason) return;
  cleanUp();
  await removeHostIfLeft(browser, HOST_A);
  await removeHostIfLeft(browser, HOST_B);
});

test('add both lab hosts', async ({ page }) => {
  await openApp(page);
  await addHost(page, HOST_A, 'a');
  await addHost(page, HOST_B, 'b');
});

test('migrate a running guest A → B with its disk copied: checks, progress, done; the same shell session runs on B', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = await openApp(page);

  // A counter on the guest's serial console, in the background of its shell.
  await openSerial(page, GUEST, HOST_A);
  await page.getByTestId('serial-terminal').click();
  await waitForGuestShell(page, 90_000);
  await page.keyboard.type('(i=0; while :; do i=$((i+1)); echo tick-$i; sleep 1; done) &');
  await page.keyboard.press('Enter');
  await expect.poll(() => lastTick(page), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);

  const dialog = await openMigrate(page, HOST_A);
  await expect(dialog.getByTestId('migrate-destination')).toHaveValue(HOST_B);
  const checks = dialog.getByTestId('migrate-checks');
  await expect(checks.locator('[data-check="cpu"]')).toHaveAttribute('data-status', 'ok');
  await expect(checks.locator('[data-check="storage"]')).toContainText(`vda: ${diskPath()} will be copied into pool`);
  await expect(checks.locator('[data-check="memory"]')).toContainText('Enough free memory on the destination');
  await expect(checks.locator('[data-check="name"]')).toContainText(`No guest named ${GUEST} on the destination.`);
  await expect(checks.locator('[data-status="blocker"]')).toHaveCount(0);
  await expect(dialog.getByTestId('migrate-disks')).toContainText(diskPath());
  await expect(dialog.getByTestId('migrate-copy').getByRole('radio', { name: 'Full copy' })).toBeChecked();
  // A bandwidth limit, so that the progress can be seen while it copies.
  await dialog.getByTestId('migrate-bandwidth').fill('8');
  await expect(dialog.getByTestId('migrate-start')).toBeEnabled({ timeout: 15_000 });
  const tickBefore = await lastTick(page);
  await dialog.getByTestId('migrate-start').click();

  const job = dialog.getByTestId('migration-job');
  await expect(job.getByTestId('migration-route')).toContainText('Route: Direct (host to host)', { timeout: 60_000 });
  await expect(job.getByTestId('migration-progress')).toHaveText(/[1-9][\d.]* [KMG]iB of [\d.]+ [KMG]iB · [\d.]+ [KMG]iB remaining · .*[\d.]+ [KMG]?i?B\/s · \d+(m \d+)?s left/, {
    timeout: 60_000,
  });
  await expect(job).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
  await expect(job.getByTestId('migration-state')).toHaveText('Done');
  await expect(job.getByTestId('migration-location')).toHaveText(`Now on ${HOST_B} (running)`);
  await expect(job.getByTestId('migration-downtime')).toHaveText(/^Actual downtime: \d+ ms$/);
  await expect(job.getByTestId('migration-outcome')).toContainText('The guest runs on the destination');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);

  expect(stateOn('b', GUEST)).toBe('running');
  expect(stateOn('a', GUEST)).toBe('absent');
  expect(existsSync(hostBPath(requireHostB(labInfo()), diskPath()))).toBe(true);

  // The fleet shows it on B; B's serial console shows the counter still counting.
  await openSerial(page, GUEST, HOST_B);
  await expect.poll(() => lastTick(page), { timeout: 30_000 }).toBeGreaterThan(tickBefore + 1);
  expect(errors).toEqual([]);
});

test('back B → A with the hosts isolated: the route is relayed through VirtDeck', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = await openApp(page);
  labIsolate(true);
  try {
    const dialog = await openMigrate(page, HOST_B);
    await expect(dialog.getByTestId('migrate-destination')).toHaveValue(HOST_A);
    await expect(dialog.getByTestId('migrate-checks').locator('[data-status="blocker"]')).toHaveCount(0);
    await expect(dialog.getByTestId('migrate-start')).toBeEnabled({ timeout: 15_000 });
    await dialog.getByTestId('migrate-start').click();
    const job = dialog.getByTestId('migration-job');
    await expect(job.getByTestId('migration-route')).toContainText('Route: Relayed through VirtDeck — The source cannot reach', { timeout: 60_000 });
    await expect(job).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
    await expect(job.getByTestId('migration-location')).toHaveText(`Now on ${HOST_A} (running)`);
    await expect(job.getByTestId('migration-progress')).toContainText(/relayed [\d.]+ MiB/);
    await dialog.getByRole('button', { name: 'Close' }).click();
  } finally {
    labIsolate(false);
  }
  expect(stateOn('a', GUEST)).toBe('running');
  expect(stateOn('b', GUEST)).toBe('absent');
  await showInFleet(page, GUEST, HOST_A);
  expect(errors).toEqual([]);
});

test('a migration cancelled halfway leaves the guest running on A and nothing on B', async ({ page }) => {
  test.setTimeout(240_000);
  const errors = await openApp(page);
  // The copy B kept of the disk when the guest left it (libvirt leaves a source's storage in place) goes
  // first, so that what is on B afterwards is this migration's.
  const hostB = requireHostB(labInfo());
  rmSync(hostBPath(hostB, diskPath()), { force: true });
  for (const pool of hostB.pools) spawnSync('virsh', ['-q', '-c', hostB.localLibvirtUri, 'pool-refresh', pool]);
  const dialog = await openMigrate(page, HOST_A);
  await expect(dialog.getByTestId('migrate-destination')).toHaveValue(HOST_B);
  await dialog.getByTestId('migrate-bandwidth').fill('2');
  await expect(dialog.getByTestId('migrate-start')).toBeEnabled({ timeout: 15_000 });
  await dialog.getByTestId('migrate-start').click();
  const job = dialog.getByTestId('migration-job');
  const progress = job.getByTestId('migration-progress');
  await expect(progress).toHaveText(/[1-9][\d.]* MiB of [\d.]+ [MG]iB · [\d.]+ [KMG]iB remaining/, { timeout: 90_000 });
  await dialog.getByTestId('migration-cancel').click();
  await expect(job).toHaveAttribute('data-state', 'cancelled', { timeout: 90_000 });
  await expect(job.getByTestId('migration-state')).toHaveText('Cancelled');
  await expect(job.getByTestId('migration-outcome')).toHaveText('The guest is still on the source (running).');
  await expect(job.getByTestId('migration-location')).toHaveText(`Now on ${HOST_A} (running)`);
  await dialog.getByRole('button', { name: 'Close' }).click();
  expect(stateOn('a', GUEST)).toBe('running');
  expect(stateOn('b', GUEST)).toBe('absent');
  // No half-copied disk left on B either.
  expect(existsSync(hostBPath(requireHostB(labInfo()), diskPath()))).toBe(false);
  await showInFleet(page, GUEST, HOST_A);
  expect(errors).toEqual([]);
});

test('remove both lab hosts', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST_A);
  await removeHost(page, HOST_B);
});
