/**
 * The VM page's Hardware tab end to end in Chromium against serve mode and the lab, on a running guest of
 * our own (vd-test-hw-e2e-…, the lab kernel with initramfs-net.gz: virtio-blk, virtio-net, udhcpc):
 *  - "Add hardware" → Storage: a new 1 GiB qcow2 volume as a virtio disk (on the first free virtio target,
 *    from the guest's disks), hot-plugged (device XML and diff shown first); the guest sees a new 1 GiB
 *    block device in /proc/partitions on the app's serial console; Remove (confirmed by name, says the
 *    guest must cooperate) waits for the guest to release it, and it is gone there too;
 *  - an isolated network made in the app with a static DHCP host; "Add hardware" → Network interface on it
 *    with that MAC, hot-plugged; the guest's DHCP client (started on the serial console) gets the lease.
 * Everything made is removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { throwawayGuestXml } from '../support/throwaway-guest';
import { lab, labInfo, openApp, removeHost, removeHostIfLeft, skipReason, serialTerminalLines, expectSerialLine, testAddLabHost } from './support';

const reason = skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });
test.use({ actionTimeout: 30_000 });

const HOST = 'lab-hardware';
const GUEST = 'vd-test-hw-e2e-guest';
const POOL = 'vd-lab-pool';
const VOLUME = 'vd-test-hw-e2e-data.qcow2';
const NET = 'vd-test-hw-e2e-net';
const MAC = '52:54:00:e2:e4:01';

const quiet = (...args: string[]) => {
  try {
    execFileSync('virsh', ['-c', 'qemu:///system', ...args], { stdio: 'ignore' });
  } catch {
    // not there
  }
};
const virsh = (...args: string[]) => execFileSync('virsh', ['-q', '-c', 'qemu:///system', ...args], { encoding: 'utf8' });
const libvirtdUmask = () => /^Umask:\s*(\d+)/m.exec(readFileSync(`/proc/${readFileSync('/run/libvirtd.pid', 'utf8').trim()}/status`, 'utf8'))?.[1] ?? '';

function cleanup(): void {
  quiet('destroy', GUEST);
  quiet('undefine', GUEST);
  quiet('vol-delete', '--pool', POOL, VOLUME);
  quiet('net-destroy', NET);
  quiet('net-undefine', NET);
}

test.beforeAll(() => {
  if (reason) return;
  cleanup();
  const info = labInfo();
  const dir = mkdtempSync(join(tmpdir(), 'vd-test-hw-e2e-'));
  try {
    const file = join(dir, 'guest.xml');
    writeFileSync(
      file,
      throwawayGuestXml(virsh('dumpxml', '--inactive', 'vd-off-1'), {
        name: GUEST,
        stateDir: info.stateDir,
        serialLog: join(info.stateDir, 'logs', `${GUEST}.serial.log`),
        networkImage: true,
      }),
    );
    virsh('define', file);
    virsh('start', GUEST);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
test.afterAll(async ({ browser }) => {
  if (reason) return;
  cleanup();
  await removeHostIfLeft(browser, HOST);
});

/** The first virtio target (vda, vdb, …) that none of the guest's disks has, running or next boot. */
function firstFreeVirtioTarget(): string {
  const xml = virsh('dumpxml', GUEST) + virsh('dumpxml', '--inactive', GUEST);
  const used = new Set([...xml.matchAll(/<target dev='([a-z]+)' bus=/g)].map((m) => m[1]));
  for (const c of 'abcdefghijklmnopqrstuvwxyz') if (!used.has(`vd${c}`)) return `vd${c}`;
  throw new Error('the guest has 26 virtio disks');
}

const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on `) });

async function openVmPage(page: Page): Promise<void> {
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(GUEST);
  await row(page, GUEST).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: GUEST })).toBeVisible();
}

/** Types a command on the app's serial console (Serial console tab). */
async function runOnConsole(page: Page, command: string): Promise<void> {
  await page.getByRole('tab', { name: 'Serial console' }).click();
  await expect(page.getByTestId('serial-console')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await page.getByTestId('serial-terminal').click();
  await page.keyboard.press('Enter');
  await expectSerialLine(page, (line) => line.startsWith('vd#'), 60_000);
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
}

/** The guest kernel's block devices (name → 1 KiB blocks), read on the app's serial console. */
async function guestPartitions(page: Page): Promise<Map<string, number>> {
  const mark = `p${Date.now().toString(36)}`;
  await runOnConsole(page, `echo ${mark}-A; cat /proc/partitions; echo ${mark}-B`);
  await expect.poll(async () => (await serialTerminalLines(page)).some((l) => l.trim() === `${mark}-B`), { timeout: 15_000 }).toBe(true);
  const lines = (await serialTerminalLines(page)).map((l) => l.trim());
  const out = new Map<string, number>();
  for (const line of lines.slice(lines.lastIndexOf(`${mark}-A`) + 1, lines.lastIndexOf(`${mark}-B`))) {
    const m = /^\d+\s+\d+\s+(\d+)\s+(\S+)$/.exec(line);
    if (m) out.set(m[2]!, Number(m[1]));
  }
  return out;
}

async function openAddHardware(page: Page, kind: string) {
  await page.getByRole('tab', { name: 'Hardware' }).click();
  await expect(page.getByTestId('hardware-panel')).toBeVisible();
  await page.getByRole('button', { name: 'Add hardware' }).click();
  const dialog = page.getByRole('dialog', { name: `Add hardware to ${GUEST}` });
  await dialog.getByRole('tab', { name: kind, exact: true }).click();
  return dialog;
}

testAddLabHost(HOST, 'hardware tests');

test('a new 1 GiB qcow2 disk, hot-plugged through Add hardware, is seen by the guest and removed again', async ({ page }, testInfo) => {
  const errors = await openApp(page);
  await openVmPage(page);
  // What the guest has before, and the target libvirt's next free virtio name must get.
  const before = await guestPartitions(page);
  const target = firstFreeVirtioTarget();
  const dialog = await openAddHardware(page, 'Storage');
  await dialog.getByRole('combobox', { name: 'Pool' }).click();
  await page.getByRole('option', { name: POOL, exact: true }).click();
  await dialog.getByLabel('Volume name').fill(VOLUME);
  await dialog.getByLabel('Size (GiB)').fill('1');
  // Nothing is applied before the XML was shown.
  await expect(dialog.getByRole('button', { name: 'Add', exact: true })).toBeDisabled();
  await dialog.getByRole('button', { name: 'Preview' }).click();
  const xml = dialog.getByTestId('hardware-device-xml');
  await expect(xml).toContainText(`<source pool='${POOL}' volume='${VOLUME}'/>`);
  await expect(xml).toContainText(`<target dev='${target}' bus='virtio'/>`);
  await expect(dialog.getByTestId('hardware-volume-xml')).toContainText('1073741824');
  await expect(dialog.getByTestId('hardware-diff')).toContainText("+    <disk type='volume' device='disk'>");
  await page.screenshot({ path: testInfo.outputPath('add-disk.png'), fullPage: true });
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(page.getByTestId(`hardware-item-disk-${target}`)).toBeVisible();
  expect(virsh('vol-info', '--pool', POOL, VOLUME)).toMatch(/Capacity:\s+1\.00 GiB/);

  // The guest sees it: one new block device of 1 GiB = 1048576 blocks of 1 KiB (the guest kernel names
  // it in probe order, not by libvirt's target).
  const fresh = async () => [...(await guestPartitions(page))].filter(([name]) => !before.has(name));
  await expect.poll(fresh, { timeout: 30_000, intervals: [1_000] }).toHaveLength(1);
  const [guestDisk, blocks] = (await fresh())[0]!;
  expect(guestDisk).toMatch(/^vd[a-z]+$/);
  expect(blocks).toBe(1048576);

  // Removed again: confirmed by name, the guest must cooperate (a PCI device), the app waits for it.
  await page.getByRole('tab', { name: 'Hardware' }).click();
  await page.getByTestId(`hardware-item-disk-${target}`).click();
  await page.getByTestId('hardware-details').getByRole('button', { name: 'Remove…' }).click();
  const confirm = page.getByRole('dialog', { name: `Remove Disk ${target}?` });
  await expect(confirm.getByTestId('hardware-remove-cooperation')).toContainText('the guest must cooperate');
  await confirm.getByRole('button', { name: `Remove Disk ${target}` }).click();
  await expect(confirm).toBeHidden({ timeout: 40_000 });
  await expect(page.getByTestId(`hardware-item-disk-${target}`)).toHaveCount(0);
  expect(virsh('dumpxml', GUEST)).not.toContain(`dev='${target}'`);
  expect(virsh('dumpxml', '--inactive', GUEST)).not.toContain(`dev='${target}'`);
  expect([...(await guestPartitions(page)).keys()]).not.toContain(guestDisk);
  expect(errors).toEqual([]);
});

test('a NIC on an isolated network made in the app, with a static DHCP host: the guest gets its lease', async ({ page }, testInfo) => {
  const errors = await openApp(page);
  // The network, made in the app (host page → Networks).
  await page.getByRole('navigation').getByText(HOST, { exact: true }).click();
  await page.getByRole('tab', { name: 'Networks' }).click();
  await page.getByRole('button', { name: 'Create network' }).click();
  const create = page.getByRole('dialog', { name: 'Create a virtual network' });
  await create.getByRole('textbox', { name: 'Name', exact: true }).fill(NET);
  await create.getByRole('combobox', { name: 'Kind' }).click();
  await page.getByRole('option', { name: 'Isolated' }).click();
  await create.getByLabel('IPv4 address of the host', { exact: true }).fill('10.251.41.1');
  await create.getByLabel('IPv4 DHCP start', { exact: true }).fill('10.251.41.100');
  await create.getByLabel('IPv4 DHCP end', { exact: true }).fill('10.251.41.120');
  await create.getByLabel('IPv4 static hosts', { exact: true }).fill(`${MAC}, hwguest, 10.251.41.7`);
  await create.getByRole('button', { name: 'Show XML' }).click();
  await create.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(create).toBeHidden({ timeout: 30_000 });

  // The NIC, hot-plugged through Add hardware with that MAC.
  await openVmPage(page);
  const dialog = await openAddHardware(page, 'Network interface');
  await dialog.getByRole('combobox', { name: 'Network', exact: true }).click();
  await page.getByRole('option', { name: new RegExp(`^${NET} `) }).click();
  await dialog.getByLabel('MAC address').fill(MAC);
  await dialog.getByRole('button', { name: 'Preview' }).click();
  const xml = dialog.getByTestId('hardware-device-xml');
  await expect(xml).toContainText(`<mac address='${MAC}'/>`);
  await expect(xml).toContainText(`<source network='${NET}'/>`);
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(page.getByTestId(`hardware-item-interface-${MAC}`)).toBeVisible();

  // The guest's DHCP client on the new NIC (eth0: the guest had none before).
  await runOnConsole(page, `ip link set eth0 up && udhcpc -i eth0 -s /etc/udhcpc.script -x hostname:hwguest -t 20 -T 1 -n -q`);
  const fixed = libvirtdUmask() === '0022';
  await expect
    .poll(async () => (await serialTerminalLines(page)).some((l) => (fixed ? l.includes('vd: eth0 bound 10.251.41.7/24') : /vd: eth0 bound 10\.251\.41\.\d+\/24/.test(l))), { timeout: 60_000 })
    .toBe(true);
  // and libvirt reports the lease (what the Networks tab lists).
  await page.getByRole('navigation').getByText(HOST, { exact: true }).click();
  await page.getByRole('tab', { name: 'Networks' }).click();
  const netRow = page.getByTestId(`network-row-${NET}`);
  await expect(netRow.getByTestId('network-lease-count')).toHaveText('1', { timeout: 30_000 });
  const show = page.getByRole('button', { name: `Show details of ${NET}` });
  if ((await show.count()) > 0) await show.click();
  const leases = page.getByTestId('network-leases');
  await expect(leases).toContainText(MAC);
  if (fixed) await expect(leases).toContainText('10.251.41.7/24');
  await page.screenshot({ path: testInfo.outputPath('nic-lease.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('an open Add hardware dialog stays open when the guest stops; the tab reads again once it closes', async ({ page }) => {
  const errors = await openApp(page);
  await openVmPage(page);
  const dialog = await openAddHardware(page, 'Storage');
  await expect(page.getByTestId('hardware-panel')).toContainText('The guest is running');
  await dialog.getByLabel('Volume name').fill('typed-before-the-guest-stopped.qcow2');
  virsh('destroy', GUEST);
  // The page hears of it (libvirt's lifecycle event) while the dialog is open …
  await expect(page.locator('h2', { hasText: new RegExp(`^${GUEST}$`) }).locator('..')).toContainText('Shut off', { timeout: 30_000 });
  // … and the dialog, with what was typed, is still there.
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Volume name')).toHaveValue('typed-before-the-guest-stopped.qcow2');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('hardware-panel')).toContainText('The guest is shut off', { timeout: 15_000 });
  expect(errors).toEqual([]);
});

test('remove the lab host', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
