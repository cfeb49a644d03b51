/**
 * Clone, rename and CD-ROM media in Chromium against serve mode and the lab:
 *  - clone vd-off-1 from the fleet's menu with its disk copied (preview diff first), start the clone and
 *    see its shell prompt on the serial console, then delete it;
 *  - a clone of a guest with a 2 GiB disk cancelled halfway leaves nothing on the host;
 *  - rename a throwaway guest and back; a running guest says why it cannot be renamed;
 *  - change a running guest's CD-ROM media live (QEMU's own block list shows it), then "Eject install
 *    media" (media out now, CD-ROM out of the next boot order).
 * Everything is named vd-test-clone-… and removed afterwards.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
import { TEST_DIR, cleanUpTestObjects, ensureTestDir, temporaryPools, throwawayXml } from '../support/clone-lab';
import { randomQcow2, virsh, virshOk } from '../support/lab';
import { lab, openApp, removeHost, removeHostIfLeft, skipReason, waitForGuestShell, testAddLabHost } from './support';

const reason = skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const HOST = 'lab-clone';
const CLONE = 'vd-test-clone-e2e';
const CLONE_DISK = `/var/lib/virtdeck-lab/disks/${CLONE}.qcow2`;
const BIG = 'vd-test-clone-big';
const BIG_DISK = `${TEST_DIR}/${BIG}.qcow2`;
const MEDIA = 'vd-test-clone-media';
const ISO = `${TEST_DIR}/iso/vd-test-clone-e2e.iso`;

const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on `) });

async function showInFleet(page: Page, name: string): Promise<void> {
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(name);
  await expect(row(page, name)).toBeVisible({ timeout: 20_000 });
}

async function openVmPage(page: Page, name: string): Promise<void> {
  await showInFleet(page, name);
  await row(page, name).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name, exact: true })).toBeVisible();
}

const qemuBlock = (name: string) => virsh('qemu-monitor-command', name, '--hmp', 'info block');

test.beforeAll(() => {
  cleanUpTestObjects([CLONE_DISK]);
  ensureTestDir();
  const offXml = virsh('dumpxml', '--inactive', 'vd-off-1');
  randomQcow2(BIG_DISK, 2048);
  writeFileSync(
    `${TEST_DIR}/big.xml`,
    throwawayXml(offXml, BIG, `    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n      <source file='${BIG_DISK}'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>`),
  );
  virsh('define', `${TEST_DIR}/big.xml`);
  mkdirSync(`${TEST_DIR}/iso/content`, { recursive: true });
  writeFileSync(`${TEST_DIR}/iso/content/hello.txt`, 'hello\n');
  execFileSync('genisoimage', ['-quiet', '-V', 'VDE2E', '-o', ISO, `${TEST_DIR}/iso/content`]);
  writeFileSync(
    `${TEST_DIR}/media.xml`,
    throwawayXml(offXml, MEDIA, "    <disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n      <target dev='hdc' bus='ide'/>\n      <readonly/>\n    </disk>").replace(
      "<boot dev='hd'/>",
      "<boot dev='cdrom'/>\n    <boot dev='hd'/>",
    ),
  );
  virsh('define', `${TEST_DIR}/media.xml`);
  virsh('start', MEDIA);
});

test.afterAll(async ({ browser }) => {
  await removeHostIfLeft(browser, HOST);
  cleanUpTestObjects([CLONE_DISK]);
  expect(temporaryPools()).toEqual([]);
});

testAddLabHost(HOST, 'clone tests');

test('clone vd-off-1 with its disk copied, boot the clone to its shell prompt, delete it', async ({ page }) => {
  test.setTimeout(180_000);
  const errors = await openApp(page);
  await showInFleet(page, 'vd-off-1');
  await row(page, 'vd-off-1').click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Clone…' }).click();
  const dialog = page.getByTestId('clone-dialog');
  await expect(dialog.getByTestId('clone-disk-vda')).toContainText('vd-off-1.qcow2');
  await dialog.getByLabel('Name of the clone').fill(CLONE);
  await dialog.getByLabel('New volume').fill(`${CLONE}.qcow2`);
  await dialog.getByRole('button', { name: 'Preview' }).click();
  const diff = dialog.getByTestId('clone-diff');
  await expect(diff).toContainText(`+  <name>${CLONE}</name>`);
  await expect(diff).toContainText(CLONE_DISK);
  await expect(dialog.getByTestId('clone-preview')).toContainText('Copy vda');
  await dialog.getByRole('button', { name: 'Clone', exact: true }).click();
  await expect(dialog.getByTestId('clone-state')).toHaveText('Done', { timeout: 60_000 });
  await expect(dialog.getByTestId('clone-done')).toContainText(CLONE);
  await dialog.getByRole('button', { name: 'Close' }).click();
  expect(existsSync(CLONE_DISK)).toBe(true);
  expect(temporaryPools()).toEqual([]);

  await openVmPage(page, CLONE);
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByRole('tab', { name: 'Serial console' }).click();
  await expect(page.getByTestId('serial-console')).toHaveAttribute('data-state', 'connected', { timeout: 60_000 });
  await page.getByTestId('serial-terminal').click();
  await waitForGuestShell(page, 60_000, 1_000);

  // Delete it from the fleet (force off first: delete does that), then its disk.
  await showInFleet(page, CLONE);
  await row(page, CLONE).click({ button: 'right' });
  await page.getByRole('menuitem', { name: /^Delete/ }).click();
  const confirm = page.getByRole('dialog');
  await expect(confirm.getByTestId('delete-plan')).toContainText(CLONE);
  await confirm.getByRole('button', { name: /^Delete/ }).click();
  await expect(row(page, CLONE)).toHaveCount(0, { timeout: 30_000 });
  expect(virshOk('dominfo', CLONE)).toBe(false);
  execFileSync('rm', ['-f', CLONE_DISK, `/var/lib/virtdeck-lab/logs/${CLONE}.serial.log`]);
  expect(errors).toEqual([]);
});

test('a clone cancelled halfway through a 2 GiB copy leaves nothing on the host', async ({ page }) => {
  test.setTimeout(120_000);
  await openApp(page);
  await openVmPage(page, BIG);
  await page.getByRole('button', { name: 'Clone…' }).click();
  const dialog = page.getByTestId('clone-dialog');
  await expect(dialog.getByLabel('Name of the clone')).toHaveValue(`${BIG}-clone`);
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByTestId('clone-preview')).toContainText('temporary storage pool');
  await dialog.getByRole('button', { name: 'Clone', exact: true }).click();
  const progress = dialog.getByTestId('clone-progress');
  // Bytes, rate and time left while it copies.
  await expect(progress).toHaveText(/[1-9][\d.]* [KMG]iB of 2\.0 GiB · [\d.]+ [KMG]iB\/s · \d+s left/, { timeout: 30_000 });
  const seen = (await progress.textContent()) ?? '';
  await dialog.getByRole('button', { name: 'Cancel clone' }).click();
  await expect(dialog.getByTestId('clone-state')).toHaveText(/Cancelling|Removing|Cancelled/);
  await expect(dialog.getByTestId('clone-state')).toHaveText('Cancelled', { timeout: 60_000 });
  expect(seen).not.toContain('2.0 GiB of 2.0 GiB');
  expect(existsSync(`${TEST_DIR}/${BIG}-clone.qcow2`)).toBe(false);
  expect(virshOk('dominfo', `${BIG}-clone`)).toBe(false);
  expect(temporaryPools()).toEqual([]);
  await dialog.getByRole('button', { name: 'Close' }).click();
});

test('rename a shut-off guest and back; a running guest says why not', async ({ page }) => {
  await openApp(page);
  await showInFleet(page, BIG);
  await row(page, BIG).click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Rename…' }).click();
  const dialog = page.getByTestId('rename-dialog');
  await expect(dialog).toContainText(BIG_DISK);
  await dialog.getByLabel('New name').fill(`${BIG}-renamed`);
  await dialog.getByRole('button', { name: 'Rename' }).click();
  await expect(dialog).toHaveCount(0);
  await showInFleet(page, `${BIG}-renamed`);
  expect(virsh('domname', virsh('domuuid', `${BIG}-renamed`).trim()).trim()).toBe(`${BIG}-renamed`);

  await openVmPage(page, `${BIG}-renamed`);
  await page.getByRole('button', { name: 'Rename…' }).click();
  await dialog.getByLabel('New name').fill(BIG);
  await dialog.getByRole('button', { name: 'Rename' }).click();
  await expect(dialog).toHaveCount(0);
  await showInFleet(page, BIG);
  expect(virshOk('dominfo', BIG)).toBe(true);

  await openVmPage(page, 'vd-vnc-1');
  await page.getByRole('button', { name: 'Rename…' }).click();
  await expect(dialog.getByTestId('rename-blockers')).toContainText('It is running: shut it off first.');
  await expect(dialog.getByRole('button', { name: 'Rename' })).toBeDisabled();
  await dialog.getByRole('button', { name: 'Close' }).click();
});

test("change a running guest's CD-ROM media live, then eject install media", async ({ page }) => {
  await openApp(page);
  await openVmPage(page, MEDIA);
  const card = page.getByTestId('domain-media');
  const drive = card.getByTestId('media-drive-hdc');
  await expect(drive.getByTestId('media-source')).toHaveText('empty');
  await drive.getByRole('button', { name: 'Change…' }).click();
  const dialog = page.getByTestId('media-dialog');
  await dialog.getByLabel('Or a file on the host').fill(ISO);
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByTestId('media-applies')).toHaveText('Now and at next boot');
  await expect(dialog.getByTestId('media-live-diff')).toContainText(`+      <source file='${ISO}'/>`);
  await expect(dialog.getByTestId('media-diff')).toContainText(`+      <source file='${ISO}'/>`);
  await dialog.getByRole('button', { name: 'Apply' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(drive.getByTestId('media-source')).toHaveText(ISO);
  expect(qemuBlock(MEDIA)).toContain(ISO);

  await card.getByRole('button', { name: 'Eject install media' }).click();
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByTestId('media-diff')).toContainText("-    <boot dev='cdrom'/>");
  await expect(dialog.getByTestId('media-live-diff')).toContainText(`-      <source file='${ISO}'`);
  await dialog.getByRole('button', { name: 'Apply' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(drive.getByTestId('media-source')).toHaveText('empty');
  expect(qemuBlock(MEDIA)).not.toContain(ISO);
  expect(virsh('dumpxml', '--inactive', MEDIA)).not.toContain("<boot dev='cdrom'/>");
  await expect(card.getByRole('button', { name: 'Eject install media' })).toHaveCount(0);
});

test('remove the lab host', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
