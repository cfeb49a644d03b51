/**
 * The new-VM wizard in Chromium against serve mode and the lab: from the fleet toolbar's "New VM",
 * a VM from a bootable ISO (the lab guest's kernel + initramfs under GRUB, in a transient pool of this
 * spec's own) — label read, no OS claims it, Generic Linux picked, small hardware, the XML validated in
 * the editor, Create — and the VM page opens on its serial console where the guest's shell answers.
 * Then a failure: the name in the XML changed to a guest that exists; the wizard shows the define step
 * failed with libvirt's reason, and no volume is left in the pool.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { bootIsoUnavailable, buildBootIso, TEST_ISO_GUEST, TEST_ISO_LABEL, testPoolDir, testPoolXml } from '../support/new-vm-lab';
import { lab, labInfo, openApp, removeHost, removeHostIfLeft, skipReason, serialTerminalLines, waitForGuestShell, testAddLabHost } from './support';

const reason =
  skipReason() ?? (lab().available ? (bootIsoUnavailable() ?? undefined) : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const HOST = 'lab-new-vm';
const TAG = randomBytes(3).toString('hex');
const POOL = `vd-test-newvm-${TAG}`;
const DIR = testPoolDir(TAG);
const VM = `vd-test-newvm-${TAG}-e2e`;
const VM_FAIL = `vd-test-newvm-${TAG}-dup`;
const virsh = (...args: string[]) => execFileSync('virsh', ['-c', labInfo().libvirtUri, ...args], { encoding: 'utf8', timeout: 30_000 });
const poolVolumes = (): string[] =>
  virsh('vol-list', '--pool', POOL).split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean).sort();

test.beforeAll(() => {
  if (reason) return;
  mkdirSync(DIR, { recursive: true });
  buildBootIso(labInfo(), `${DIR}/boot.iso`);
  execFileSync('sh', ['-c', `cat > ${DIR}.xml`], { input: testPoolXml(TAG) });
  virsh('pool-create', `${DIR}.xml`);
});

test.afterAll(async ({ browser }) => {
  await removeHostIfLeft(browser, HOST);
  if (reason) return;
  for (const name of [VM, VM_FAIL]) {
    try {
      virsh('destroy', name);
    } catch {
      // not running
    }
    try {
      virsh('undefine', name, '--nvram');
    } catch {
      // not defined
    }
  }
  try {
    for (const vol of poolVolumes()) virsh('vol-delete', '--pool', POOL, vol);
    virsh('pool-destroy', POOL);
  } finally {
    rmSync(DIR, { recursive: true, force: true });
    rmSync(`${DIR}.xml`, { force: true });
  }
});

const wizard = (page: Page) => page.getByRole('dialog', { name: 'New virtual machine' });

/** Opens the wizard from the fleet toolbar and fills the pages up to the XML for `name`. */
async function wizardToXml(page: Page, name: string): Promise<void> {
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByRole('button', { name: 'New VM' }).click();
  const dialog = wizard(page);
  await expect(dialog.getByTestId('new-vm-host-facts')).toContainText('Domain type qemu', { timeout: 30_000 });
  await dialog.getByRole('combobox', { name: 'ISO in a storage pool' }).click();
  await page.getByRole('option', { name: new RegExp(`^${POOL}/boot\\.iso `) }).click();
  await dialog.getByRole('button', { name: 'Next', exact: true }).click();

  await expect(dialog.getByTestId('new-vm-os-source')).toContainText("from the host's osinfo-db (/usr/share/osinfo");
  await expect(dialog.getByTestId('new-vm-detection')).toHaveText(`Volume label "${TEST_ISO_LABEL}" matches no known operating system: pick one.`, { timeout: 30_000 });
  await dialog.getByRole('combobox', { name: 'Operating system' }).fill('Generic Linux 2022');
  await page.getByRole('option', { name: 'Generic Linux 2022', exact: true }).click();
  await expect(dialog.getByRole('textbox', { name: 'Name' })).toHaveValue(/^linux2022/);
  await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
  await expect(dialog.getByTestId('new-vm-notes')).toContainText('QEMU\'s emulation (TCG');
  await dialog.getByRole('button', { name: 'Next', exact: true }).click();

  await dialog.getByRole('textbox', { name: 'vCPUs' }).fill('1');
  await dialog.getByRole('textbox', { name: 'Memory (MiB)' }).fill('160');
  await dialog.getByRole('textbox', { name: 'Disk (GiB)' }).fill('1');
  await dialog.getByRole('combobox', { name: 'Pool for the new disk' }).click();
  await page.getByRole('option', { name: new RegExp(`^${POOL} `) }).click();
  await dialog.getByRole('button', { name: 'Next', exact: true }).click();

  await expect(dialog.getByTestId('xml-editor').locator('.view-lines')).toContainText(`<name>${name}</name>`, { timeout: 30_000 });
  await expect(dialog.getByTestId('new-vm-steps')).toContainText(`create the volume ${POOL}/${name}.qcow2 (qcow2, 1.0 GiB)`);
  // Sizing as the advisor counts it: the lab's running guests already use more than 0.8 × its 2 threads.
  await expect(dialog.getByTestId('new-vm-sizing').first()).toContainText('vCPU');
  await expect(dialog.getByRole('button', { name: 'Create', exact: true })).toBeEnabled({ timeout: 30_000 });
}

testAddLabHost(HOST, 'new-VM tests');

test('New VM from a bootable ISO: the VM page opens on its serial console and the guest answers', async ({ page }) => {
  test.setTimeout(240_000);
  const errors = await openApp(page);
  await wizardToXml(page, VM);
  await wizard(page).getByRole('button', { name: 'Create', exact: true }).click();

  // The VM page on its serial console.
  await expect(page.getByRole('heading', { name: VM })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('tab', { name: 'Serial console' })).toHaveAttribute('aria-selected', 'true');
  const consoleBox = page.getByTestId('serial-console');
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await page.getByTestId('serial-terminal').click();
  // GRUB → kernel → busybox under TCG: keep pressing Enter until the shell prompts.
  await waitForGuestShell(page, 120_000);
  await page.keyboard.type('hostname; echo $((6*7))');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await serialTerminalLines(page)).map((l) => l.trim()), { timeout: 15_000 }).toEqual(expect.arrayContaining([TEST_ISO_GUEST, '42']));
  expect(virsh('domstate', VM).trim()).toBe('running');
  expect(poolVolumes()).toEqual(['boot.iso', `${VM}.qcow2`]);
  expect(errors).toEqual([]);
});

test('a failed Create (the name in the XML is taken) says which step failed and why, and leaves no volume', async ({ page }) => {
  test.setTimeout(120_000);
  await openApp(page);
  await wizardToXml(page, VM_FAIL);
  const dialog = wizard(page);
  // Line 2 of the XML is <name>…</name>: replace it with a guest that exists.
  await dialog.getByTestId('xml-editor').locator('.view-lines').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Home');
  // Select the text between <name> and </name> (typing a '<' would meet the editor's auto-closing).
  for (let i = 0; i < '<name>'.length; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+End');
  for (let i = 0; i < '</name>'.length; i++) await page.keyboard.press('Shift+ArrowLeft');
  await page.keyboard.insertText('vd-off-1');
  await expect(dialog.getByTestId('xml-editor').locator('.view-lines')).toContainText('<name>vd-off-1</name>');
  await expect(dialog.getByRole('button', { name: 'Create', exact: true })).toBeEnabled({ timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Create', exact: true }).click();

  const failure = dialog.getByTestId('new-vm-failure');
  await expect(failure).toContainText('Failed: define the domain (libvirt validates it)', { timeout: 60_000 });
  await expect(failure).toContainText(/libvirt: .*vd-off-1.*already exists/);
  await expect(failure).toContainText(`Removed again: volume ${POOL}/${VM_FAIL}.qcow2.`);
  await expect(dialog.getByTestId('new-vm-progress')).toContainText('removed again');
  expect(poolVolumes()).toEqual(['boot.iso', `${VM}.qcow2`]);
  expect(virsh('list', '--all', '--name')).not.toContain(VM_FAIL);
  // Back to the XML: the edit is still there to fix.
  await dialog.getByRole('button', { name: 'Back to the XML' }).click();
  await expect(dialog.getByTestId('xml-editor').locator('.view-lines')).toContainText('<name>vd-off-1</name>');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
});

test('remove the lab host', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
