/**
 * Backups in Chromium against serve mode and the lab, with a running guest of our own
 * (vd-test-bak-e2e, a 1 GiB qcow2 v3 disk of random data): VM page → Backups says the host supports
 * backups, the backup XML is previewed, a full backup runs with its progress shown (bytes of total) and
 * appears in the list with its checkpoint; it is restored into a new guest (XML previewed first) that is
 * defined on a new volume; the backup is deleted after confirming with the guest's name. Everything is
 * named vd-test-bak-… and removed afterwards.
 */
import { existsSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { BAK_DIR, backupGuestXml, blockInitramfs, cleanUpBackupObjects, defineAndStart } from '../support/backup-lab';
import { randomQcow2, virsh, virshOk } from '../support/lab';
import { lab, openApp, removeHost, removeHostIfLeft, skipReason, testAddLabHost } from './support';

const reason = skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const HOST = 'lab-backups';
const GUEST = 'vd-test-bak-e2e';
const RESTORED = 'vd-test-bak-e2e-restored';
const BASE = `${BAK_DIR}/backups`;

const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on `) });

async function openBackups(page: Page, name: string): Promise<void> {
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(name);
  await expect(row(page, name)).toBeVisible({ timeout: 20_000 });
  await row(page, name).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name, exact: true })).toBeVisible();
  await page.getByRole('tab', { name: 'Backups' }).click();
  await expect(page.getByTestId('backups-panel')).toBeVisible({ timeout: 30_000 });
}

test.beforeAll(() => {
  cleanUpBackupObjects();
  const initrd = blockInitramfs();
  randomQcow2(`${BAK_DIR}/${GUEST}.qcow2`, 1024);
  defineAndStart(GUEST, backupGuestXml(GUEST, `${BAK_DIR}/${GUEST}.qcow2`, initrd));
});

test.afterAll(async ({ browser }) => {
  await removeHostIfLeft(browser, HOST);
  cleanUpBackupObjects();
});

testAddLabHost(HOST, 'backup tests');

test('full backup with progress, listed with its checkpoint; restore into a new guest; delete', async ({ page }) => {
  test.setTimeout(240_000);
  const errors = await openApp(page);
  await openBackups(page, GUEST);
  const panel = page.getByTestId('backups-panel');
  await expect(panel.getByTestId('backups-unsupported')).toHaveCount(0);
  await expect(panel.getByText(/No backups of this guest/)).toBeVisible();

  await panel.getByTestId('backup-directory').fill(BASE);
  await panel.getByRole('button', { name: 'Preview' }).click();
  const preview = panel.getByTestId('backup-preview');
  await expect(preview).toContainText("<domainbackup mode='push'>");
  await expect(preview).toContainText(`${BASE}/${GUEST}/`);
  await expect(preview).toContainText("checkpoint='bitmap'");
  await panel.getByTestId('backup-start').click();
  const progress = panel.getByTestId('backup-progress');
  await expect(progress).toContainText(/ of /, { timeout: 30_000 });
  await expect(panel.getByTestId('backup-job-state')).toHaveText('Done', { timeout: 120_000 });
  await expect(progress).toHaveText(/^1(\.0+)? GiB of 1(\.0+)? GiB/);
  const rows = panel.getByTestId('backup-row');
  await expect(rows).toHaveCount(1, { timeout: 30_000 });
  await expect(rows.first()).toHaveAttribute('data-kind', 'full');
  await expect(rows.first()).toContainText('virtdeck-');
  await expect(panel.getByTestId('checkpoints-table')).toContainText('virtdeck-');

  await rows.first().getByTestId('backup-restore').click();
  const dialog = page.getByTestId('restore-dialog');
  await dialog.getByTestId('restore-name').fill(RESTORED);
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByTestId('restore-preview')).toContainText(`<name>${RESTORED}</name>`);
  await expect(dialog.getByTestId('restore-preview')).toContainText(`${RESTORED}-vda.qcow2`);
  await dialog.getByTestId('restore-start').click();
  await expect(dialog.getByTestId('backup-job-state')).toHaveText('Done', { timeout: 120_000 });
  await expect(dialog.getByTestId('backup-job-done')).toContainText(RESTORED);
  await dialog.getByRole('button', { name: 'Close' }).click();
  expect(virshOk('dominfo', RESTORED)).toBe(true);
  expect(virsh('domblklist', RESTORED)).toContain(`${RESTORED}-vda.qcow2`);

  const directory = (await rows.first().locator('code').textContent()) ?? '';
  expect(existsSync(`${directory}/virtdeck-backup.json`)).toBe(true);
  await rows.first().getByRole('button', { name: 'Delete…' }).click();
  const del = page.getByTestId('delete-backup-dialog');
  await expect(del).toContainText(directory);
  await expect(del.getByTestId('delete-backup-confirm')).toBeDisabled();
  await del.getByTestId('delete-confirm').fill(GUEST);
  await del.getByTestId('delete-backup-confirm').click();
  await expect(rows).toHaveCount(0, { timeout: 30_000 });
  await expect(panel.getByText('The guest has no checkpoints.')).toBeVisible();
  expect(existsSync(directory)).toBe(false);
  expect(errors).toEqual([]);
});

test('remove the lab host', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
