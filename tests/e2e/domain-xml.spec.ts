/**
 * The domain XML editor in Chromium against serve mode and the lab: completion from the host's own
 * RELAX NG schema, an invalid element marked at its line with Apply disabled, malformed XML refused
 * without touching the host, and a valid edit shown as a diff, applied and read back from libvirt.
 * Edits go to the shut-off guest vd-off-2, whose definition is restored at the end.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { labInfo, lab, openApp, skipReason, removeHost, removeHostIfLeft, testAddLabHost } from './support';

const reason =
  skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });
test.afterAll(async ({ browser }) => removeHostIfLeft(browser, HOST));

const HOST = 'lab-domain-xml';
const GUEST = 'vd-off-2';
const virsh = (...args: string[]) =>
  execFileSync('virsh', ['-c', labInfo().libvirtUri, ...args], { encoding: 'utf8', timeout: 30_000 });
const hostDefinition = () => virsh('dumpxml', '--inactive', '--security-info', GUEST);

const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on `) });

async function openXmlTab(page: Page, guest = GUEST): Promise<void> {
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(guest);
  await row(page, guest).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: guest })).toBeVisible();
  await page.getByRole('tab', { name: 'XML' }).click();
  await expect(page.getByTestId('xml-editor').locator('.view-lines')).toContainText('<domain', { timeout: 30_000 });
  // The host's schema is loaded (completion and validation depend on it).
  await expect(page.getByText(/^Schema: libvirt /)).toBeVisible({ timeout: 30_000 });
}

/** Puts the cursor at the end of line `line` of the editor. */
async function cursorToEndOfLine(page: Page, line: number): Promise<void> {
  await page.getByTestId('xml-editor').locator('.view-lines').click();
  await page.keyboard.press('Control+Home');
  for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
}

/** A row of Monaco's suggest widget by its exact label. */
const suggestion = (page: Page, label: string) =>
  page.locator('.suggest-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) });

const problems = (page: Page) => page.getByRole('list', { name: 'Problems' });
const applyButton = (page: Page) => page.getByRole('button', { name: 'Apply…' });

testAddLabHost(HOST, 'XML editor tests');

test('completion offers <vcpu> in <domain> and inside <vcpus>, from the host schema', async ({ page }) => {
  const errors = await openApp(page);
  await openXmlTab(page);
  const suggestions = page.locator('.suggest-widget');

  // A new line right after <domain …>: nothing of <domain>'s content has been seen yet.
  // The list is long (every element <domain> allows): narrow it with the first letters.
  await cursorToEndOfLine(page, 1);
  await page.keyboard.press('Enter');
  await page.keyboard.insertText('<vc');
  await page.keyboard.press('Control+Space');
  await expect(suggestions).toBeVisible();
  await expect(suggestion(page, 'vcpu')).toBeVisible();
  await expect(suggestion(page, 'vcpus')).toBeVisible();
  await page.keyboard.press('Escape');

  // Inside <vcpus> the schema allows only <vcpu> children.
  await page.keyboard.insertText('pus>\n<');
  await page.keyboard.press('Control+Space');
  await expect(suggestions).toBeVisible();
  await expect(suggestion(page, 'vcpu')).toBeVisible();
  await expect(suggestions.locator('.monaco-list-row')).toHaveCount(1);
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Discard edit' }).click();
  await expect(page.getByTestId('apply-reason')).toHaveText('No changes yet');
  expect(errors).toEqual([]);
});

test('an invalid element is marked at its line and Apply is disabled', async ({ page }) => {
  const errors = await openApp(page);
  await openXmlTab(page);
  await cursorToEndOfLine(page, 2);
  await page.keyboard.press('Enter');
  await page.keyboard.insertText('<bogus/>');
  await expect(problems(page)).toContainText('Line 3, column', { timeout: 15_000 });
  await expect(problems(page)).toContainText('tag not allowed here: bogus');
  await expect(page.getByTestId('xml-editor').locator('.squiggly-error')).toHaveCount(1);
  await expect(applyButton(page)).toBeDisabled();
  await expect(page.getByTestId('apply-reason')).toHaveText('Fix 1 problem first');

  await page.getByRole('button', { name: 'Discard edit' }).click();
  await expect(problems(page)).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('one device opens alone; its problems are placed in the fragment; the rest of the document is kept', async ({ page }) => {
  const errors = await openApp(page);
  await openXmlTab(page);
  await page.getByRole('combobox', { name: 'Edit' }).click();
  await page.getByRole('option', { name: /^graphics · vnc/ }).click();
  const editor = page.getByTestId('xml-editor').locator('.view-lines');
  await expect(editor).toContainText("<graphics type='vnc'");
  await expect(editor).not.toContainText('<domain');

  await editor.click();
  await page.keyboard.press('Control+Home');
  for (let i = 0; i < '<graphics'.length; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.insertText(" bogusattr='1'");
  await expect(problems(page)).toContainText('Line 1, column 11', { timeout: 15_000 });
  await expect(problems(page)).toContainText('bogusattr');
  await expect(applyButton(page)).toBeDisabled();

  // Back to the whole document: the edit is in it, at the device's place.
  await page.getByRole('combobox', { name: 'Edit' }).click();
  await page.getByRole('option', { name: 'Whole document' }).click();
  await expect(editor).toContainText('<domain');
  await page.getByRole('button', { name: 'Discard edit' }).click();
  await expect(page.getByTestId('apply-reason')).toHaveText('No changes yet');
  expect(errors).toEqual([]);
});

test('malformed XML pasted: a clear error, Apply disabled, the host unchanged', async ({ page }) => {
  const before = hostDefinition();
  const errors = await openApp(page);
  await openXmlTab(page);
  await page.getByTestId('xml-editor').locator('.view-lines').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText("<domain type='qemu'>\n  <name>vd-off-2</name>\n  <vcpu>1</vcpu>\n");
  await expect(problems(page)).toContainText('not well-formed');
  await expect(applyButton(page)).toBeDisabled();
  await expect(page.getByTestId('apply-reason')).toHaveText('Not applied: the XML is not well-formed');
  // The device list needs a well-formed document.
  await expect(page.getByRole('combobox', { name: 'Edit' })).toBeDisabled();
  expect(hostDefinition()).toBe(before);

  await page.getByRole('button', { name: 'Discard edit' }).click();
  await expect(page.getByTestId('apply-reason')).toHaveText('No changes yet');
  expect(hostDefinition()).toBe(before);
  expect(errors).toEqual([]);
});

test("libvirt's own refusal is shown at the line it names; the host is unchanged", async ({ page }) => {
  const before = hostDefinition();
  const errors = await openApp(page);
  await openXmlTab(page);
  // A second disk with the first one's target: valid for the schema, refused by libvirt's own checks.
  const diskEnd = before.split('\n').findIndex((line) => line.includes('</disk>')) + 1;
  expect(diskEnd).toBeGreaterThan(0);
  await cursorToEndOfLine(page, diskEnd);
  await page.keyboard.press('Enter');
  await page.keyboard.insertText("<disk type='file' device='disk'><source file='/tmp/virtdeck-e2e-none.qcow2'/><target dev='vda' bus='virtio'/></disk>");
  await expect(applyButton(page)).toBeEnabled({ timeout: 15_000 });
  await applyButton(page).click();
  await page.getByRole('button', { name: 'Apply to host' }).click();
  await expect(problems(page)).toContainText(`Line ${diskEnd + 1}, column`, { timeout: 30_000 });
  await expect(problems(page)).toContainText("(libvirt): XML error: target 'vda' duplicated");
  await expect(page.getByTestId('xml-editor').locator('.squiggly-error')).toHaveCount(1);
  expect(hostDefinition()).toBe(before);

  await page.getByRole('button', { name: 'Discard edit' }).click();
  await expect(page.getByTestId('apply-reason')).toHaveText('No changes yet');
  expect(hostDefinition()).toBe(before);
  expect(errors).toEqual([]);
});

test('a valid edit is shown as a diff, applied, read back from libvirt, and the definition restored', async ({ page }) => {
  const original = hostDefinition();
  const dir = mkdtempSync(join(tmpdir(), 'virtdeck-domain-xml-'));
  writeFileSync(join(dir, 'original.xml'), original);
  const title = `Edited by the XML editor e2e ${Date.now()}`;
  try {
    const errors = await openApp(page);
    await openXmlTab(page);
    // Replace the <title> line by typing over it.
    const titleLine = original.split('\n').findIndex((line) => line.includes('<title>')) + 1;
    expect(titleLine).toBeGreaterThan(0);
    await cursorToEndOfLine(page, titleLine);
    await page.keyboard.press('Shift+Home');
    // Delete first: typing `<` over a selection would surround it (Monaco's auto-surround).
    await page.keyboard.press('Backspace');
    await page.keyboard.insertText(`<title>${title}</title>`);
    await expect(page.getByTestId('xml-editor').locator('.view-lines')).toContainText(`<title>${title}</title>`);
    await expect(applyButton(page)).toBeEnabled({ timeout: 15_000 });
    await applyButton(page).click();

    const diff = page.getByTestId('xml-diff');
    await expect(diff).toContainText(title, { timeout: 15_000 });
    expect(hostDefinition()).toBe(original);
    await page.getByRole('button', { name: 'Apply to host' }).click();
    await expect(page.getByText('Defined on the host.', { exact: false })).toBeVisible({ timeout: 30_000 });

    const readBack = hostDefinition();
    expect(readBack).toContain(`<title>${title}</title>`);
    // Everything else is as it was.
    expect(readBack.replace(/<title>[^<]*<\/title>/, '')).toBe(original.replace(/<title>[^<]*<\/title>/, ''));
    expect(errors).toEqual([]);
  } finally {
    virsh('define', join(dir, 'original.xml'));
    rmSync(dir, { recursive: true, force: true });
  }
  expect(hostDefinition()).toBe(original);
});

test('a running guest: its live XML is shown read-only', async ({ page }) => {
  const errors = await openApp(page);
  await openXmlTab(page, 'vd-vnc-1');
  const editor = page.getByTestId('xml-editor').locator('.view-lines');
  await expect(editor).not.toContainText('id=');
  await page.getByText('Live (read-only)').click();
  // The live XML carries the running domain's id; the persistent definition does not.
  await expect(editor).toContainText("<domain type='qemu' id=");
  await expect(applyButton(page)).toHaveCount(0);
  await editor.click();
  await page.keyboard.insertText('<typed/>');
  await expect(editor).not.toContainText('<typed/>');
  await page.getByText('Definition (next boot)').click();
  await expect(editor).not.toContainText('id=');
  await expect(page.getByTestId('apply-reason')).toHaveText('No changes yet');
  expect(errors).toEqual([]);
});

test('remove the XML editor tests host', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
