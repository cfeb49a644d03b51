/**
 * Snapshots in Chromium against serve mode and the lab, on a running throwaway guest of our own
 * (vd-test-snap-e2e, a fresh qcow2 disk):
 *  - take a snapshot with memory (its XML shown first), write a marker file in the guest through the
 *    app's serial console, revert (the dialog says the guest will be running), the marker is gone and the
 *    guest runs; a child snapshot shows parent and child in the tree (current marked); delete with children;
 *  - an external disk-only snapshot: its Revert is disabled and says which libvirt adds it; deleted;
 *  - "Snapshot…" for the selected VMs in the fleet table with a per-VM result.
 * Everything is named vd-test-snap-… and removed afterwards.
 */
import { expect, test, type Page } from '@playwright/test';
import { virsh } from '../support/lab';
import { cleanUpSnapshotGuests, defineSnapshotGuest, libvirtdLogEnd, libvirtdLogSince, snapshotNames, waitForPrompt } from '../support/snapshot-lab';
import { lab, openApp, removeHost, removeHostIfLeft, skipReason, serialTerminalLines, expectSerialLine, testAddLabHost } from './support';

const reason = skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const HOST = 'lab-snapshots';
const VM = 'vd-test-snap-e2e';
const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on `) });

async function openVmPage(page: Page): Promise<void> {
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(VM);
  await expect(row(page, VM)).toBeVisible({ timeout: 20_000 });
  await row(page, VM).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: VM, exact: true })).toBeVisible();
}

/** Runs a command in the guest's shell through the Serial console tab. */
async function inGuest(page: Page, command: string, expectLine: (line: string) => boolean): Promise<void> {
  await page.getByRole('tab', { name: 'Serial console' }).click();
  await expect(page.getByTestId('serial-console')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await page.getByTestId('serial-terminal').click();
  await page.keyboard.press('Enter');
  await expectSerialLine(page, (line) => line.startsWith('vd#'), 20_000);
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  await expectSerialLine(page, expectLine, 20_000);
}

async function takeSnapshot(page: Page, name: string, options: { external?: boolean } = {}): Promise<void> {
  await page.getByRole('tab', { name: 'Snapshots' }).click();
  await page.getByRole('button', { name: 'Take snapshot…' }).click();
  const dialog = page.getByRole('dialog', { name: `Take a snapshot of ${VM}` });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('Description').fill(`made by the e2e test: ${name}`);
  if (options.external) {
    await dialog.getByText('external', { exact: true }).click();
    await dialog.getByLabel(/Include the memory/).uncheck();
  } else {
    await expect(dialog.getByLabel(/Include the memory/)).toBeChecked();
  }
  await dialog.getByRole('button', { name: 'Show XML' }).click();
  const xml = dialog.getByTestId('snapshot-create-xml');
  await expect(xml).toContainText(`<name>${name}</name>`);
  await expect(xml).toContainText(options.external ? "snapshot='external'" : "<memory snapshot='internal'/>");
  await dialog.getByRole('button', { name: 'Create snapshot' }).click();
  await expect(dialog).toBeHidden({ timeout: 60_000 });
  await expect(page.getByTestId(`snapshot-${name}`)).toBeVisible();
}

test.beforeAll(async () => {
  cleanUpSnapshotGuests();
  defineSnapshotGuest(VM, { start: true });
  await waitForPrompt(VM);
});

test.afterAll(async ({ browser }) => {
  await removeHostIfLeft(browser, HOST);
  cleanUpSnapshotGuests();
});

testAddLabHost(HOST, 'snapshot tests');

test('snapshot with memory, marker written, revert: the marker is gone and the guest runs; child; delete', async ({ page }) => {
  const errors = await openApp(page);
  const logFrom = libvirtdLogEnd();
  await openVmPage(page);
  await takeSnapshot(page, 'before');
  await expect(page.getByTestId('snapshot-before').getByTestId('snapshot-current')).toBeVisible();
  await expect(page.getByTestId('snapshot-before')).toContainText('with memory');
  expect(snapshotNames(VM)).toEqual(['before']);

  await inGuest(page, 'echo vd-snap > /tmp/vd-marker; cat /tmp/vd-marker && echo marker-$((20+1))', (line) => line.trim() === 'marker-21');

  await page.getByRole('tab', { name: 'Snapshots' }).click();
  await page.getByRole('button', { name: 'Revert to before' }).click();
  const revert = page.getByRole('dialog', { name: `Revert ${VM} to before` });
  await expect(revert.getByTestId('revert-outcome')).toHaveText(`${VM} will be running after the revert.`);
  const confirm = revert.getByRole('button', { name: 'Revert to before' });
  await expect(confirm).toBeDisabled();
  await revert.getByRole('button', { name: 'Use the name before' }).click();
  await confirm.click();
  // The dialog stays until libvirt answered (the guest stops, starts paused and runs meanwhile).
  await expect(revert).toBeHidden({ timeout: 60_000 });
  expect(virsh('domstate', '--reason', VM).trim()).toBe('running (from snapshot)');
  await expect(page.getByText('Reverted to before')).toBeVisible();

  await inGuest(page, 'test -e /tmp/vd-marker && echo marker-still-$((1+1)) || echo marker-gone-$((2+2))', (line) => line.trim() === 'marker-gone-4');
  expect((await serialTerminalLines(page)).some((line) => line.trim() === 'marker-still-2')).toBe(false);

  await takeSnapshot(page, 'child');
  const child = page.getByTestId('snapshot-child');
  await expect(child).toHaveAttribute('data-parent', 'before');
  await expect(child).toHaveAttribute('data-depth', '1');
  await expect(page.getByTestId('snapshot-before')).toHaveAttribute('data-depth', '0');
  await expect(child.getByTestId('snapshot-current')).toBeVisible();
  await expect(page.getByTestId('snapshot-before').getByTestId('snapshot-current')).toHaveCount(0);
  expect(virsh('snapshot-parent', VM, 'child').trim()).toBe('before');

  await page.getByRole('button', { name: 'Delete before' }).click();
  const del = page.getByRole('dialog', { name: `Delete snapshot before of ${VM}` });
  await del.getByLabel('This snapshot and all its descendants').check();
  await del.getByLabel('Snapshot name to confirm').fill('before');
  await del.getByRole('button', { name: 'Delete before' }).click();
  await expect(del).toBeHidden({ timeout: 60_000 });
  await expect(page.getByText('This VM has no snapshots.')).toBeVisible();
  expect(snapshotNames(VM)).toEqual([]);
  expect(virsh('domstate', VM).trim()).toBe('running');
  expect(errors).toEqual([]);
  // No snapshot call libvirt failed on its own side (a TOPOLOGICAL listing during a create did).
  if (logFrom !== null) expect(libvirtdLogSince(logFrom, /virGetDomainSnapshot|snapshot/i)).toEqual([]);
});

test('external disk-only snapshot: revert disabled with the libvirt version that adds it; deleted', async ({ page }) => {
  await openApp(page);
  await openVmPage(page);
  await takeSnapshot(page, 'ext', { external: true });
  const entry = page.getByTestId('snapshot-ext');
  await expect(entry).toContainText('external');
  await expect(entry).toContainText('disk only');
  const revert = page.getByRole('button', { name: 'Revert to ext' });
  await expect(revert).toBeDisabled();
  await expect(revert).toHaveAttribute('data-reason', 'libvirt 9.0.0 on this host cannot revert to external snapshots; libvirt 9.7.0 adds it.');
  await page.getByRole('button', { name: 'Delete ext' }).click();
  const del = page.getByRole('dialog', { name: `Delete snapshot ext of ${VM}` });
  await expect(del.getByLabel('This snapshot and all its descendants')).toBeDisabled();
  await expect(del.getByLabel('This snapshot only (its children stay)')).toBeChecked();
  await del.getByLabel('Snapshot name to confirm').fill('ext');
  await del.getByRole('button', { name: 'Delete ext' }).click();
  await expect(del).toBeHidden({ timeout: 60_000 });
  expect(snapshotNames(VM)).toEqual([]);
  expect(virsh('domblklist', VM)).not.toContain('.ext.qcow2');
});

test('fleet: "Snapshot…" for the selected VMs, with a result per VM', async ({ page }) => {
  await openApp(page);
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(VM);
  await row(page, VM).click();
  await page.getByTestId('selection-bar').getByRole('button', { name: 'Snapshot…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Snapshot 1 selected VM' });
  await dialog.getByLabel('Name').fill('bulk-e2e');
  await dialog.getByRole('button', { name: 'Snapshot 1 VM' }).click();
  await expect(dialog.getByTestId(`bulk-result-${VM}`)).toContainText('internal, with memory', { timeout: 60_000 });
  expect(snapshotNames(VM)).toEqual(['bulk-e2e']);
  await dialog.getByRole('button', { name: 'Close' }).click();
  virsh('snapshot-delete', VM, 'bulk-e2e');
});

test('remove the snapshot tests host', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
