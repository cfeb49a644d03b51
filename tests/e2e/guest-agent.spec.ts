/**
 * VM page → Guest agent against a REAL agent, in Chromium against serve mode: the lab's vd-agent-1 runs
 * Debian's qemu-ga (tests/lab/README.md, "The agent guest").
 *  - the panel shows what the agent reports: OS, host name, logged-in user, /data (ext4) with its usage,
 *    the loopback interface, the freeze state and the guest's clock;
 *  - Freeze → confirm: the panel reads "frozen" back (and so does the agent, asked directly through
 *    virsh), says the agent reports nothing else meanwhile; Thaw → confirm: "thawed", /data again;
 *  - Snapshots → Take snapshot: "Quiesce" offered for an external disk-only snapshot, its flag in the
 *    preview, the snapshot made through the agent (left thawed) and deleted (back on its own disk).
 * The guest is always left thawed.
 */
import { expect, test, type Page } from '@playwright/test';
import { addLabHost, lab, labVirsh, openApp, removeHost, removeHostIfLeft, skipReason } from './support';

const available = lab();
const agentGuest = available.available ? available.lab.agent?.find((g) => g.running) : undefined;
const reason =
  skipReason() ??
  (!available.available ? `no lab: ${available.reason}` : agentGuest ? undefined : 'lab.json lists no running agent guest (VIRTDECK_LAB_AGENT_GUESTS)');
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });
test.use({ actionTimeout: 30_000 });

const HOST = 'vd-test-guest-agent-e2e';
const GUEST = agentGuest?.name ?? 'vd-agent-1';
const freezeStatus = () => labVirsh('qemu-agent-command', GUEST, '{"execute":"guest-fsfreeze-status"}').trim();

let page: Page;
let errors: string[] = [];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  errors = await openApp(page);
  await addLabHost(page, HOST);
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(GUEST);
  await page.getByRole('row', { name: new RegExp(`^${GUEST} on `) }).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: GUEST })).toBeVisible();
  await page.getByRole('tab', { name: 'Guest agent', exact: true }).click();
});

test.afterAll(async ({ browser }) => {
  try {
    labVirsh('domfsthaw', GUEST);
  } catch {
    // not frozen
  }
  await page?.close();
  await removeHostIfLeft(browser, HOST);
});

test('the panel shows what the real agent reports: OS, host name, user, /data, interfaces, clock', async () => {
  const panel = page.getByTestId('guest-agent');
  await expect(panel.getByTestId('guest-agent-channel')).toHaveAttribute('data-channel', 'connected', { timeout: 30_000 });
  await expect(panel.getByTestId('guest-agent-freeze')).toHaveAttribute('data-state', 'thawed');
  await expect(panel.getByTestId('guest-agent-os')).toContainText('VirtDeck lab guest');
  await expect(panel.getByTestId('guest-agent-os')).toContainText('qemu-ga');
  await expect(panel.getByTestId('guest-agent-hostname')).toHaveText(GUEST);
  await expect(panel.getByTestId('guest-agent-users')).toContainText('root');
  const data = panel.getByTestId('guest-agent-filesystems').getByRole('row', { name: /\/data/ });
  await expect(data).toContainText('ext4');
  await expect(data).toContainText(/\d+(\.\d+)? [KM]i?B \/ \d+(\.\d+)? MiB/);
  await expect(data).toContainText('vda');
  await expect(panel.getByTestId('guest-agent-interfaces')).toContainText('127.0.0.1/8');
  await expect(panel.getByTestId('guest-agent-clock')).toContainText(/s from VirtDeck's clock/);
  expect(errors).toEqual([]);
});

test('Freeze then Thaw: each confirmed, the state read back from the agent', async () => {
  const panel = page.getByTestId('guest-agent');
  await panel.getByRole('button', { name: 'Freeze file systems' }).click();
  const confirmFreeze = page.getByRole('dialog', { name: "Freeze the guest's file systems?" });
  await confirmFreeze.getByRole('button', { name: 'Confirm' }).click();
  await expect(panel.getByText('1 file systems frozen')).toBeVisible({ timeout: 30_000 });
  await expect(panel.getByTestId('guest-agent-freeze')).toHaveAttribute('data-state', 'frozen', { timeout: 30_000 });
  expect(freezeStatus()).toBe('{"return":"frozen"}');
  await expect(panel.getByTestId('guest-agent-partial')).toContainText('frozen');
  await expect(panel.getByRole('button', { name: 'Freeze file systems' })).toBeDisabled();
  await expect(panel.getByRole('button', { name: 'Set guest time' })).toBeDisabled();

  await panel.getByRole('button', { name: 'Thaw file systems' }).click();
  const confirmThaw = page.getByRole('dialog', { name: "Thaw the guest's file systems?" });
  await confirmThaw.getByRole('button', { name: 'Confirm' }).click();
  await expect(panel.getByText('1 file systems thawed')).toBeVisible({ timeout: 30_000 });
  await expect(panel.getByTestId('guest-agent-freeze')).toHaveAttribute('data-state', 'thawed', { timeout: 30_000 });
  expect(freezeStatus()).toBe('{"return":"thawed"}');
  await expect(panel.getByTestId('guest-agent-partial')).toHaveCount(0);
  await expect(panel.getByRole('button', { name: 'Set guest time' })).toBeEnabled();
  await expect(panel.getByTestId('guest-agent-filesystems').getByRole('row', { name: /\/data/ })).toBeVisible();
  expect(errors).toEqual([]);
});

test('Snapshots: "Quiesce" is offered for the agent guest, the XML shows the flag, the snapshot is made and deleted', async () => {
  const SNAP = 'vd-test-quiesce-e2e';
  try {
    await page.getByRole('tab', { name: 'Snapshots' }).click();
    await page.getByRole('button', { name: 'Take snapshot…' }).click();
    const dialog = page.getByRole('dialog', { name: `Take a snapshot of ${GUEST}` });
    await dialog.getByLabel('Name').fill(SNAP);
    const quiesce = dialog.getByLabel('Quiesce file systems through the guest agent');
    // Internal snapshots and snapshots with memory cannot be quiesced: only external, disk only.
    await expect(quiesce).toBeDisabled();
    await dialog.getByText('external', { exact: true }).click();
    await dialog.getByLabel(/Include the memory/).uncheck();
    await expect(quiesce).toBeEnabled();
    await quiesce.check();
    await dialog.getByRole('button', { name: 'Show XML' }).click();
    await expect(dialog.getByTestId('snapshot-create-xml')).toContainText(`<name>${SNAP}</name>`);
    await expect(dialog.getByText(/VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE/)).toBeVisible();
    await dialog.getByRole('button', { name: 'Create snapshot' }).click();
    await expect(dialog).toBeHidden({ timeout: 60_000 });
    const entry = page.getByTestId(`snapshot-${SNAP}`);
    await expect(entry).toContainText('external');
    await expect(entry).toContainText('disk only');
    expect(labVirsh('snapshot-list', '--name', GUEST)).toContain(SNAP);
    // libvirt thawed after the snapshot.
    expect(freezeStatus()).toBe('{"return":"thawed"}');

    await page.getByRole('button', { name: `Delete ${SNAP}` }).click();
    const del = page.getByRole('dialog', { name: `Delete snapshot ${SNAP} of ${GUEST}` });
    await expect(del.getByLabel('This snapshot only (its children stay)')).toBeChecked();
    await del.getByLabel('Snapshot name to confirm').fill(SNAP);
    await del.getByRole('button', { name: `Delete ${SNAP}` }).click();
    await expect(del).toBeHidden({ timeout: 60_000 });
    expect(labVirsh('snapshot-list', '--name', GUEST)).not.toContain(SNAP);
    expect(labVirsh('domblklist', GUEST)).not.toContain(`.${SNAP}.qcow2`);
  } finally {
    // Never leave the shared agent guest on a snapshot overlay.
    try {
      if (labVirsh('snapshot-list', '--name', GUEST).includes(SNAP)) labVirsh('snapshot-delete', GUEST, SNAP);
    } catch (error) {
      console.warn(`could not delete ${SNAP} of ${GUEST} by virsh: ${String(error)}`);
    }
  }
  await removeHost(page, HOST);
  expect(errors).toEqual([]);
});
