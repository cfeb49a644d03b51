/**
 * The new-VM wizard with an ISO from this computer, in Chromium against serve mode and the lab: the
 * lab guest's bootable GRUB ISO picked as a browser file on the wizard's source page and uploaded into
 * a transient pool of this spec's own with progress (the storage area's upload engine: an HTTP POST),
 * its volume label read from the uploaded volume, Create, and the guest's shell on the serial console.
 * Then: an upload cancelled halfway leaves no volume; an uploaded ISO whose Create failed is deleted
 * with the rest when the wizard is cancelled.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { bootIsoUnavailable, buildBootIso, TEST_ISO_GUEST, TEST_ISO_LABEL } from '../support/new-vm-lab';
import { lab, labInfo, openApp, removeHost, removeHostIfLeft, skipReason, serialTerminalLines, waitForGuestShell, testAddLabHost } from './support';

const reason =
  skipReason() ?? (lab().available ? (bootIsoUnavailable() ?? undefined) : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const MiB = 1024 * 1024;
const HOST = 'lab-new-vm-upload';
const TAG = randomBytes(3).toString('hex');
const POOL = `vd-test-nvupload-${TAG}`;
const DIR = `/var/tmp/${POOL}`;
const VM = `${POOL}-vm`;
const VM_FAIL = `${POOL}-dup`;
const local = mkdtempSync(join(tmpdir(), 'vd-test-nvupload-'));
const ISO = join(local, 'boot.iso');
const BIG = join(local, 'big.iso');
const virsh = (...args: string[]) => execFileSync('virsh', ['-c', labInfo().libvirtUri, ...args], { encoding: 'utf8', timeout: 30_000 });
const poolVolumes = (): string[] =>
  virsh('vol-list', '--pool', POOL).split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean).sort();

test.beforeAll(() => {
  if (reason) return;
  buildBootIso(labInfo(), ISO);
  // Big enough that the upload is still running when it is cancelled.
  const fd = openSync(BIG, 'w');
  for (let i = 0; i < 768; i += 8) writeSync(fd, randomBytes(8 * MiB));
  closeSync(fd);
  mkdirSync(DIR, { recursive: true });
  virsh('pool-create-as', POOL, 'dir', '--target', DIR);
});

test.afterAll(async ({ browser }) => {
  await removeHostIfLeft(browser, HOST);
  if (reason) return;
  for (const name of [VM, VM_FAIL]) {
    for (const step of [['destroy', name], ['undefine', name, '--nvram']]) {
      try {
        virsh(...step);
      } catch {
        // not running / not defined
      }
    }
  }
  try {
    for (const vol of poolVolumes()) virsh('vol-delete', '--pool', POOL, vol);
    virsh('pool-destroy', POOL);
  } finally {
    rmSync(DIR, { recursive: true, force: true });
    rmSync(local, { recursive: true, force: true });
  }
});

const wizard = (page: Page) => page.getByRole('dialog', { name: 'New virtual machine' });

/** Opens the wizard and starts the upload of `file` as volume `name` of the spec's pool. */
async function uploadInWizard(page: Page, file: string, name: string): Promise<void> {
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByRole('button', { name: 'New VM' }).click();
  const dialog = wizard(page);
  await expect(dialog.getByTestId('new-vm-host-facts')).toContainText('Domain type qemu', { timeout: 30_000 });
  const upload = dialog.getByTestId('new-vm-upload');
  const chooser = page.waitForEvent('filechooser');
  await upload.getByLabel('ISO on this computer').click();
  await (await chooser).setFiles(file);
  await upload.getByRole('combobox', { name: 'Pool for the ISO' }).click();
  await page.getByRole('option', { name: new RegExp(`^${POOL} `) }).click();
  await upload.getByRole('textbox', { name: 'Volume name' }).fill(name);
  await upload.getByRole('button', { name: 'Upload', exact: true }).click();
}

/** From the source page with the ISO uploaded, through OS and hardware to the XML of `name`. */
async function continueToXml(page: Page, name: string): Promise<void> {
  const dialog = wizard(page);
  await dialog.getByRole('button', { name: 'Next', exact: true }).click();
  await expect(dialog.getByTestId('new-vm-detection')).toHaveText(`Volume label "${TEST_ISO_LABEL}" matches no known operating system: pick one.`, { timeout: 30_000 });
  await dialog.getByRole('combobox', { name: 'Operating system' }).fill('Generic Linux 2022');
  await page.getByRole('option', { name: 'Generic Linux 2022', exact: true }).click();
  await expect(dialog.getByRole('textbox', { name: 'Name' })).toHaveValue(/^linux2022/);
  await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
  await dialog.getByRole('button', { name: 'Next', exact: true }).click();
  await dialog.getByRole('textbox', { name: 'vCPUs' }).fill('1');
  await dialog.getByRole('textbox', { name: 'Memory (MiB)' }).fill('160');
  await dialog.getByRole('textbox', { name: 'Disk (GiB)' }).fill('1');
  await dialog.getByRole('combobox', { name: 'Pool for the new disk' }).click();
  await page.getByRole('option', { name: new RegExp(`^${POOL} `) }).click();
  await dialog.getByRole('button', { name: 'Next', exact: true }).click();
  await expect(dialog.getByTestId('xml-editor').locator('.view-lines')).toContainText(`<name>${name}</name>`, { timeout: 30_000 });
  await expect(dialog.getByRole('button', { name: 'Create', exact: true })).toBeEnabled({ timeout: 30_000 });
}

testAddLabHost(HOST, 'wizard upload tests');

test('New VM from an ISO uploaded in the wizard: progress, label detected, the guest reaches its shell', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = await openApp(page);
  await uploadInWizard(page, ISO, 'boot.iso');
  const dialog = wizard(page);
  const transfer = dialog.getByRole('group', { name: 'Upload of boot.iso' });
  await expect(transfer).toBeVisible();
  // Bytes, rate and time left while it runs, and at the end.
  await expect(transfer.getByTestId('transfer-figures')).toContainText(/ of .*\/s/);
  await expect(transfer).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(dialog.getByTestId('new-vm-uploaded')).toHaveText(`Uploaded to ${POOL}/boot.iso: it is the install media below.`, { timeout: 30_000 });
  await expect(dialog.getByRole('combobox', { name: 'ISO in a storage pool' })).toHaveValue(new RegExp(`^${POOL}/boot\\.iso `));
  expect(poolVolumes()).toEqual(['boot.iso']);
  await continueToXml(page, VM);
  await dialog.getByRole('button', { name: 'Create', exact: true }).click();

  await expect(page.getByRole('heading', { name: VM })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('tab', { name: 'Serial console' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('serial-console')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await page.getByTestId('serial-terminal').click();
  await waitForGuestShell(page, 150_000);
  await page.keyboard.type('hostname; echo $((6*7))');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await serialTerminalLines(page)).map((l) => l.trim()), { timeout: 15_000 }).toEqual(expect.arrayContaining([TEST_ISO_GUEST, '42']));
  expect(virsh('domstate', VM).trim()).toBe('running');
  expect(virsh('dumpxml', VM)).toContain(`<source file='${DIR}/boot.iso'`);
  // The wizard closed with a guest made from the ISO: it stays.
  expect(poolVolumes()).toEqual(['boot.iso', `${VM}.qcow2`]);
  expect(errors).toEqual([]);
});

test('an upload cancelled halfway leaves no volume; a failed Create then Cancel deletes the uploaded ISO', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = await openApp(page);
  await uploadInWizard(page, BIG, 'big.iso');
  const dialog = wizard(page);
  const transfer = dialog.getByRole('group', { name: 'Upload of big.iso' });
  const progress = transfer.getByRole('progressbar', { name: 'Progress of big.iso' });
  await expect.poll(async () => Number(await progress.getAttribute('aria-valuenow')), { timeout: 120_000, intervals: [100] }).toBeGreaterThan(20);
  await transfer.getByRole('button', { name: 'Cancel the transfer of big.iso' }).click();
  await expect(dialog.getByTestId('new-vm-upload-error')).toContainText('cancelled', { timeout: 30_000 });
  await expect.poll(() => poolVolumes(), { timeout: 15_000 }).toEqual(['boot.iso', `${VM}.qcow2`]);

  // The same wizard: the ISO again, under a new name, then a Create that fails (the name in the XML is taken).
  const upload = dialog.getByTestId('new-vm-upload');
  const chooser = page.waitForEvent('filechooser');
  await upload.getByLabel('ISO on this computer').click();
  await (await chooser).setFiles(ISO);
  await upload.getByRole('textbox', { name: 'Volume name' }).fill('again.iso');
  await upload.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(dialog.getByTestId('new-vm-uploaded')).toContainText(`${POOL}/again.iso`, { timeout: 120_000 });
  expect(poolVolumes()).toContain('again.iso');
  await continueToXml(page, VM_FAIL);
  await dialog.getByTestId('xml-editor').locator('.view-lines').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Home');
  for (let i = 0; i < '<name>'.length; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+End');
  for (let i = 0; i < '</name>'.length; i++) await page.keyboard.press('Shift+ArrowLeft');
  await page.keyboard.insertText('vd-off-1');
  await expect(dialog.getByTestId('xml-editor').locator('.view-lines')).toContainText('<name>vd-off-1</name>');
  await expect(dialog.getByRole('button', { name: 'Create', exact: true })).toBeEnabled({ timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(dialog.getByTestId('new-vm-failure')).toContainText(`Removed again: volume ${POOL}/${VM_FAIL}.qcow2.`, { timeout: 60_000 });
  // Still open: the uploaded ISO stays for another try…
  expect(poolVolumes()).toEqual(['again.iso', 'boot.iso', `${VM}.qcow2`]);
  // …and goes when the wizard is cancelled without a guest made from it.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  await expect.poll(() => poolVolumes(), { timeout: 15_000 }).toEqual(['boot.iso', `${VM}.qcow2`]);
  // Cancelling aborts the browser's own upload request (Chromium logs that as a failed resource).
  expect(errors.filter((e) => !/net::ERR_ABORTED/.test(e))).toEqual([]);
});

test('remove the lab host', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
