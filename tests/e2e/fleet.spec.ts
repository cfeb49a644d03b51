import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { labInfo, lab, openApp, skipReason } from './support';

const reason = skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on `) });
const stateOf = (page: Page, name: string) => row(page, name).getByTestId('fleet-state');
/** The table is virtualised: find guests as a user would, through the search box. */
const search = (page: Page, text: string) => page.getByLabel('Search virtual machines').fill(text);

test('add the lab host, accept its key after seeing the fingerprint, and see its guests', async ({ page }) => {
  const info = labInfo();
  const errors = await openApp(page);
  await page.getByRole('button', { name: 'Add a host' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a host' });
  await dialog.getByLabel('Display name').fill('lab');
  await dialog.getByLabel('SSH user').fill('root');
  await dialog.getByLabel('Host name or address').fill(info.ssh.host);
  await dialog.getByLabel('SSH port').fill(String(info.ssh.port));
  await dialog.getByLabel('Identity file').fill(info.accounts.root.identityFile);
  await dialog.getByRole('button', { name: 'Save host' }).click();

  const prompt = page.getByRole('dialog', { name: 'Trust the host key of lab?' });
  await expect(prompt).toBeVisible();
  await expect(prompt.getByTestId('host-key-fingerprint')).toHaveText(info.ssh.hostKeyFingerprint);
  await prompt.getByRole('button', { name: 'Trust and remember' }).click();
  await expect(prompt).toBeHidden();

  await page.getByRole('link', { name: 'Fleet' }).or(page.getByText('Fleet', { exact: true })).first().click();
  for (const guest of info.guests) {
    await search(page, guest.name);
    await expect(stateOf(page, guest.name)).toHaveText(guest.running ? 'Running' : 'Shut off', { timeout: 30_000 });
  }
  expect(errors).toEqual([]);
});

test('the lab host shows as connected with its versions', async ({ page }) => {
  await openApp(page);
  await page.getByRole('navigation', { name: 'Main navigation' }).last().getByText('Hosts', { exact: true }).click();
  const status = page.getByRole('row', { name: /lab/ }).getByTestId('host-status');
  await expect(status).toHaveAttribute('data-state', 'connected');
});

test('start a guest and shut it down (ACPI): the row follows without a reload', async ({ page }) => {
  await openApp(page);
  await search(page, 'vd-off-2');
  await row(page, 'vd-off-2').click();
  await page.getByTestId('selection-bar').getByRole('button', { name: 'Start' }).click();
  await expect(stateOf(page, 'vd-off-2')).toHaveText('Running', { timeout: 30_000 });
  // ACPI needs the guest's acpid: wait for its shell prompt on the serial console (logged by the lab).
  const guest = labInfo().guests.find((g) => g.name === 'vd-off-2');
  await expect
    .poll(() => (guest?.serialLog && existsSync(guest.serialLog) ? readFileSync(guest.serialLog, 'utf8') : ''), {
      timeout: 90_000,
    })
    .toContain(labInfo().guestPrompt ?? 'vd# ');
  await row(page, 'vd-off-2').click();
  await page.getByTestId('selection-bar').getByRole('button', { name: 'Shut down' }).click();
  await expect(stateOf(page, 'vd-off-2')).toHaveText('Shut off', { timeout: 60_000 });
});

test('a bulk action over two guests: pause both, then resume both', async ({ page }) => {
  await openApp(page);
  await search(page, 'vd-vnc-');
  await row(page, 'vd-vnc-1').click();
  await row(page, 'vd-vnc-2').click({ modifiers: ['Control'] });
  await expect(page.getByTestId('selection-bar')).toContainText('2 selected');
  await page.getByTestId('selection-bar').getByRole('button', { name: 'Pause' }).click();
  await expect(stateOf(page, 'vd-vnc-1')).toHaveText('Paused');
  await expect(stateOf(page, 'vd-vnc-2')).toHaveText('Paused');
  await expect(page.getByTestId('action-result').last()).toContainText('2 succeeded, 0 failed');
  await page.getByTestId('selection-bar').getByRole('button', { name: 'More' }).click();
  await page.getByRole('menuitem', { name: 'Resume (2)' }).click();
  await expect(stateOf(page, 'vd-vnc-1')).toHaveText('Running');
  await expect(stateOf(page, 'vd-vnc-2')).toHaveText('Running');
});

test('a failure on one item does not stop the others and says why; force off and delete confirm with names', async ({ page }) => {
  // A guest whose kernel does not exist cannot start: libvirt says why.
  const xml = execFileSync('virsh', ['-c', 'qemu:///system', 'dumpxml', '--inactive', 'vd-off-1'], { encoding: 'utf8' })
    .replace(/<uuid>[^<]*<\/uuid>/, '')
    .replace(/<name>vd-off-1<\/name>/, '<name>vd-test-broken</name>')
    .replace(/<kernel>[^<]*<\/kernel>/, '<kernel>/nonexistent/vmlinuz</kernel>')
    .replace(/<disk[\s\S]*?<\/disk>/g, '')
    .replace(/<log [^>]*\/>/g, '');
  const file = join(mkdtempSync(join(tmpdir(), 'vd-test-')), 'broken.xml');
  writeFileSync(file, xml);
  execFileSync('virsh', ['-c', 'qemu:///system', 'define', file]);
  try {
    await openApp(page);
    await search(page, 'vd-off-1');
    await row(page, 'vd-off-1').click();
    // The selection survives a new search: pick the second guest from another result list.
    await search(page, 'vd-test-broken');
    await row(page, 'vd-test-broken').click({ modifiers: ['Control'] });
    await expect(page.getByTestId('selection-bar')).toContainText('2 selected');
    await page.getByTestId('selection-bar').getByRole('button', { name: 'Start' }).click();
    const result = page.getByTestId('action-result').last();
    await expect(result).toContainText('1 succeeded, 1 failed', { timeout: 30_000 });
    await expect(result).toContainText('vd-test-broken');
    await expect(result).toContainText('/nonexistent/vmlinuz');
    await expect(stateOf(page, 'vd-test-broken')).toHaveText('Shut off');
    await search(page, 'vd-off-1');
    await expect(stateOf(page, 'vd-off-1')).toHaveText('Running');

    // Force off asks first, naming the guest.
    await row(page, 'vd-off-1').click();
    await page.getByTestId('selection-bar').getByRole('button', { name: 'More' }).click();
    await page.getByRole('menuitem', { name: 'Force off' }).click();
    const confirm = page.getByRole('dialog', { name: 'Force off 1 guest?' });
    await expect(confirm.getByTestId('confirm-names')).toHaveText('vd-off-1');
    await confirm.getByRole('button', { name: 'Force off' }).click();
    await expect(stateOf(page, 'vd-off-1')).toHaveText('Shut off', { timeout: 30_000 });

    // Delete shows what goes with the guest; the row disappears.
    await search(page, 'vd-test-broken');
    await row(page, 'vd-test-broken').click();
    await page.keyboard.press('Delete');
    const deletion = page.getByRole('dialog', { name: 'Delete 1 guest?' });
    await expect(deletion.getByTestId('delete-plan')).toContainText('vd-test-broken');
    await deletion.getByRole('button', { name: 'Delete' }).click();
    await expect(row(page, 'vd-test-broken')).toHaveCount(0, { timeout: 30_000 });
  } finally {
    execFileSync('sh', ['-c', 'virsh -c qemu:///system undefine vd-test-broken >/dev/null 2>&1 || true']);
  }
});

test('search and filters narrow the table', async ({ page }) => {
  await openApp(page);
  await search(page, 'spice');
  await expect(page.getByTestId('fleet-row')).toHaveCount(1);
  await expect(row(page, 'vd-spice-1')).toBeVisible();
  await search(page, 'vd-off');
  await expect(page.getByTestId('fleet-row')).toHaveCount(2);
  await page.getByPlaceholder('State').click();
  await page.getByRole('option', { name: 'Running' }).click();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('fleet-row')).toHaveCount(0);
  await search(page, 'vd-');
  await expect(row(page, 'vd-vnc-1')).toBeVisible();
  await expect(row(page, 'vd-off-1')).toHaveCount(0);
});

test('the host page shows node info and the host checks with evidence', async ({ page }, testInfo) => {
  await openApp(page);
  await page.getByRole('navigation').getByText('lab', { exact: true }).click();
  await expect(page.getByTestId('host-node-info')).toContainText('CPU model');
  await expect(page.getByTestId('host-versions')).toContainText('libvirt 9.');
  const checks = page.getByTestId('host-checks');
  await expect(checks.getByTestId('host-check-cpu-virtualization')).toBeVisible({ timeout: 30_000 });
  await expect(checks.getByTestId('host-check-virt-host-validate')).toContainText('virt-host-validate');
  // The history charts (15 min range) take every tick's host sample as it arrives.
  await expectLiveHistory(page, 'cpu', /^CPU: CPU \d+%, I\/O wait \d+%$/);
  await expectLiveHistory(page, 'memory', /^Memory: Used \d/);
  await page.screenshot({ path: testInfo.outputPath('host-page.png'), fullPage: true });
});

/**
 * A history chart (uPlot on the 15 min range) shows the live samples: its point count grows from one tick
 * to the next, and its label carries the latest value.
 */
async function expectLiveHistory(page: Page, chart: string, latest: RegExp): Promise<void> {
  const plot = page.getByTestId(`history-chart-${chart}`).getByRole('img');
  const points = async () => Number(await plot.getAttribute('data-points'));
  await expect.poll(points, { timeout: 20_000 }).toBeGreaterThan(0);
  const before = await points();
  await expect.poll(points, { timeout: 20_000 }).toBeGreaterThan(before);
  await expect(plot).toHaveAttribute('aria-label', latest);
}

test('a guest opens on its VM page with its disks, graphics and live charts', async ({ page }, testInfo) => {
  const errors = await openApp(page);
  await search(page, 'vd-vnc-1');
  await row(page, 'vd-vnc-1').click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'vd-vnc-1' })).toBeVisible();
  await expect(page.getByTestId('domain-disks')).toContainText('/var/lib/virtdeck-lab/disks/vd-vnc-1.qcow2');
  await expect(page.getByTestId('domain-graphics')).toContainText(/VNC\s*127\.0\.0\.1:59\d\d/);
  await expect(page.getByTestId('domain-summary')).toContainText('1 of 1');
  await expect(page.getByRole('tab', { name: 'Overview' })).toHaveAttribute('aria-selected', 'true');
  // The history charts (15 min range) take every tick's sample as it arrives.
  await expectLiveHistory(page, 'cpu', /^CPU: CPU \d+%$/);
  await expectLiveHistory(page, 'memory', /^Memory: Balloon \d/);
  await page.screenshot({ path: testInfo.outputPath('vm-page.png'), fullPage: true });
  // uPlot draws a canvas per chart: CPU, memory, disk I/O, disk latency, network.
  await expect(page.getByTestId('metrics-history').locator('.uplot canvas')).toHaveCount(5);
  expect(errors).toEqual([]);
});

test('double-clicking a row opens that row\'s guest, for each of several rows: selecting never moves the table', async ({ page }) => {
  const errors = await openApp(page);
  const fleetNav = page.getByRole('navigation', { name: 'Main navigation' }).last().getByText('Fleet', { exact: true });
  // Table order (by name), no filter: the first row too, and rows further down.
  const names = labInfo().guests.map((guest) => guest.name).sort();
  for (const name of names) {
    await expect(row(page, name)).toBeVisible({ timeout: 30_000 });
    const before = await page.getByRole('grid').boundingBox();
    await row(page, name).dblclick();
    await expect(page.getByRole('heading', { name, exact: true })).toBeVisible();
    await fleetNav.click();
    // Selecting (the first click) left the table where it was.
    await row(page, name).click();
    expect(await page.getByRole('grid').boundingBox()).toEqual(before);
    await page.keyboard.press('Escape');
  }
  expect(errors).toEqual([]);
});

test('removing the host disconnects it and its guests leave the table', async ({ page }) => {
  await openApp(page);
  await page.getByRole('navigation', { name: 'Main navigation' }).last().getByText('Hosts', { exact: true }).click();
  page.once('dialog', (confirm) => void confirm.accept());
  await page.getByRole('button', { name: 'Actions for lab' }).click();
  await page.getByRole('menuitem', { name: 'Remove' }).click();
  await expect(page.getByTestId('hosts-empty')).toBeVisible();
  await page.getByText('Fleet', { exact: true }).click();
  await expect(page.getByTestId('fleet-count')).toHaveText('0 of 0 shown · 0 selected');
});
