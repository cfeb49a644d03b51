import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { buildInterfaceXml } from '../../main/services/networks/interface-xml';
import { throwawayGuestXml } from '../support/throwaway-guest';
import { lab, labInfo, openApp, removeHost, removeHostIfLeft, skipReason, testAddLabHost } from './support';

const reason = skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const HOST = 'lab-networks';
const ISO = 'vd-test-net-e2e-iso';
const NAT = 'vd-test-net-e2e-nat';
const GUEST = 'vd-test-net-e2e-guest';
const MAC = '52:54:00:e2:e2:01';
const virsh = (...args: string[]) => execFileSync('virsh', ['-c', labInfo().libvirtUri, ...args], { encoding: 'utf8' });
const quiet = (...args: string[]) => {
  try {
    execFileSync('virsh', ['-c', labInfo().libvirtUri, ...args], { stdio: 'ignore' });
  } catch {
    // not there
  }
};
/** The lab libvirtd's umask (dnsmasq reads its host files only when they are readable by others). */
const libvirtdUmask = () => /^Umask:\s*(\d+)/m.exec(readFileSync(`/proc/${readFileSync('/run/libvirtd.pid', 'utf8').trim()}/status`, 'utf8'))?.[1] ?? '';
const netNames = () => virsh('net-list', '--all', '--name').split('\n').map((l) => l.trim()).filter(Boolean);

function cleanup() {
  quiet('destroy', GUEST);
  quiet('undefine', GUEST);
  for (const name of [ISO, NAT]) {
    quiet('net-destroy', name);
    quiet('net-undefine', name);
  }
}

test.beforeAll(() => cleanup());
test.afterAll(async ({ browser }) => {
  cleanup();
  await removeHostIfLeft(browser, HOST);
});

async function openNetworks(page: Page): Promise<void> {
  await page.getByRole('navigation').getByText(HOST, { exact: true }).click();
  await page.getByRole('tab', { name: 'Networks' }).click();
  await expect(page.getByTestId('networks-table')).toBeVisible();
}

const row = (page: Page, name: string) => page.getByTestId(`network-row-${name}`);

async function networkAction(page: Page, name: string, action: 'Start' | 'Stop…' | 'Delete…'): Promise<void> {
  await page.getByRole('button', { name: `Actions for network ${name}` }).click();
  await page.getByRole('menuitem', { name: action }).click();
}

testAddLabHost(HOST, 'network tests');

test('an isolated network with a static DHCP host, made in the app; a guest on it gets its lease', async ({ page }, testInfo) => {
  const errors = await openApp(page);
  await openNetworks(page);
  // The host's interfaces, read-only, with what carries this very connection (loopback in the lab).
  await expect(page.getByTestId('host-interface-lo')).toContainText("VirtDeck's connection");
  await expect(page.getByTestId('host-ssh-connection')).toContainText('127.0.0.1');

  await page.getByRole('button', { name: 'Create network' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a virtual network' });
  await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill(ISO);
  await dialog.getByRole('combobox', { name: 'Kind' }).click();
  await page.getByRole('option', { name: 'Isolated' }).click();
  await dialog.getByLabel('IPv4 address of the host', { exact: true }).fill('10.251.40.1');
  await dialog.getByLabel('IPv4 DHCP start', { exact: true }).fill('10.251.40.100');
  await dialog.getByLabel('IPv4 DHCP end', { exact: true }).fill('10.251.40.120');
  await dialog.getByLabel('IPv4 static hosts', { exact: true }).fill(`${MAC}, e2eguest, 10.251.40.7`);
  // Nothing is created before the XML was shown.
  await expect(dialog.getByRole('button', { name: 'Create', exact: true })).toBeDisabled();
  await dialog.getByRole('button', { name: 'Show XML' }).click();
  const xml = dialog.getByTestId('network-create-xml');
  await expect(xml).toContainText(`<name>${ISO}</name>`);
  await expect(xml).toContainText(`<host mac='${MAC}' name='e2eguest' ip='10.251.40.7'/>`);
  expect(await xml.textContent()).not.toContain('<forward');
  await dialog.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(row(page, ISO).getByTestId('network-state')).toHaveText('active');
  expect(virsh('net-dumpxml', ISO)).toContain(`<host mac='${MAC}' name='e2eguest' ip='10.251.40.7'/>`);

  // A NIC on it: a throwaway copy of a lab guest with the network-capable image, through libvirt.
  const info = labInfo();
  const dir = mkdtempSync(join(tmpdir(), 'vd-test-net-e2e-'));
  try {
    const nic = buildInterfaceXml({ source: { type: 'network', network: ISO, portgroup: null }, mac: MAC, model: 'virtio', vlan: null });
    const xmlFile = join(dir, 'guest.xml');
    writeFileSync(
      xmlFile,
      throwawayGuestXml(virsh('dumpxml', '--inactive', 'vd-off-1'), { name: GUEST, stateDir: info.stateDir, serialLog: join(dir, 'serial.log'), devices: [nic], networkImage: true }),
    );
    virsh('define', xmlFile);
    virsh('start', GUEST);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await expect(row(page, ISO)).toContainText(GUEST, { timeout: 15_000 });
  // A new network opens with its details.
  await expect(page.getByRole('button', { name: `Hide details of ${ISO}` })).toBeVisible();
  const leases = page.getByTestId('network-leases');
  if (libvirtdUmask() === '0022') {
    // The static host: its fixed address and name.
    await expect(leases).toContainText('10.251.40.7/24', { timeout: 60_000 });
    await expect(leases).toContainText(MAC);
    await expect(leases).toContainText('e2eguest');
  } else {
    // A libvirtd running with umask 077 (restarted from such a shell) writes dnsmasq's host files 0600 and
    // dnsmasq ignores them: the app says so, and the guest gets an address from the range.
    await expect(page.getByTestId('network-host-files-unreadable')).toContainText(`0600 /var/lib/libvirt/dnsmasq/${ISO}.hostsfile`);
    await expect(leases).toContainText(MAC, { timeout: 60_000 });
    await expect(leases).toContainText(/10\.251\.40\.1(0\d|1\d|20)\/24/);
  }
  await expect(row(page, ISO).getByTestId('network-lease-count')).toHaveText('1');
  await page.screenshot({ path: testInfo.outputPath('networks.png'), fullPage: true });

  // Stopping it is confirmed with the running guest's name.
  await networkAction(page, ISO, 'Stop…');
  const confirm = page.getByRole('dialog', { name: `Stop ${ISO}?` });
  await expect(confirm.getByTestId('network-confirm-guests')).toHaveText(GUEST);
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  expect(virsh('net-info', ISO)).toMatch(/Active:\s+yes/);
  quiet('destroy', GUEST);
  quiet('undefine', GUEST);
  await networkAction(page, ISO, 'Delete…');
  const del = page.getByRole('dialog', { name: `Delete ${ISO}?` });
  await del.getByRole('button', { name: `Delete ${ISO}` }).click();
  await expect(row(page, ISO)).toHaveCount(0, { timeout: 15_000 });
  expect(netNames()).not.toContain(ISO);
  expect(errors).toEqual([]);
});

test('a NAT network with IPv6: create, stop, start and delete', async ({ page }) => {
  const errors = await openApp(page);
  await openNetworks(page);
  await page.getByRole('button', { name: 'Create network' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a virtual network' });
  await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill(NAT);
  await dialog.getByLabel('IPv4 address of the host', { exact: true }).fill('10.251.41.1');
  await dialog.getByLabel('IPv4 DHCP start', { exact: true }).fill('10.251.41.100');
  await dialog.getByLabel('IPv4 DHCP end', { exact: true }).fill('10.251.41.200');
  await dialog.getByLabel('IPv6', { exact: true }).check();
  await dialog.getByLabel('IPv6 address of the host', { exact: true }).fill('fd42:41::1');
  await dialog.getByLabel('IPv6 DHCP', { exact: true }).check();
  await dialog.getByLabel('IPv6 DHCP start', { exact: true }).fill('fd42:41::100');
  await dialog.getByLabel('IPv6 DHCP end', { exact: true }).fill('fd42:41::1ff');
  await dialog.getByLabel('Domain', { exact: true }).fill('e2e.test');

  // Bad input: a clear error, nothing created.
  await dialog.getByLabel('IPv6 DHCP end', { exact: true }).fill('fd42:99::1');
  await dialog.getByRole('button', { name: 'Show XML' }).click();
  await expect(dialog.getByRole('alert')).toContainText('The DHCP range ends outside fd42:41::1/64');
  expect(netNames()).not.toContain(NAT);
  await dialog.getByLabel('IPv6 DHCP end', { exact: true }).fill('fd42:41::1ff');

  await dialog.getByRole('button', { name: 'Show XML' }).click();
  const xml = dialog.getByTestId('network-create-xml');
  await expect(xml).toContainText("<forward mode='nat'/>");
  await expect(xml).toContainText("<ip family='ipv6' address='fd42:41::1' prefix='64'>");
  await dialog.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(row(page, NAT).getByTestId('network-state')).toHaveText('active');
  await expect(row(page, NAT)).toContainText('fd42:41::1/64');
  expect(virsh('net-info', NAT)).toMatch(/Active:\s+yes/);
  expect(execFileSync('ip', ['-6', 'addr', 'show'], { encoding: 'utf8' })).toContain('fd42:41::1/64');

  await networkAction(page, NAT, 'Stop…');
  await page.getByRole('dialog', { name: `Stop ${NAT}?` }).getByRole('button', { name: `Stop ${NAT}` }).click();
  await expect(row(page, NAT).getByTestId('network-state')).toHaveText('inactive', { timeout: 15_000 });
  expect(virsh('net-info', NAT)).toMatch(/Active:\s+no/);

  await networkAction(page, NAT, 'Start');
  await expect(row(page, NAT).getByTestId('network-state')).toHaveText('active', { timeout: 15_000 });

  await networkAction(page, NAT, 'Delete…');
  await page.getByRole('dialog', { name: `Delete ${NAT}?` }).getByRole('button', { name: `Delete ${NAT}` }).click();
  await expect(row(page, NAT)).toHaveCount(0, { timeout: 15_000 });
  expect(netNames()).not.toContain(NAT);
  expect(errors).toEqual([]);
});

test('Devices: the IOMMU is off, with the evidence; the NIC with the default route is refused with that reason', async ({ page }, testInfo) => {
  const errors = await openApp(page);
  await page.getByRole('navigation').getByText(HOST, { exact: true }).click();
  await page.getByRole('tab', { name: 'Devices' }).click();
  const iommu = page.getByTestId('iommu-status');
  await expect(iommu).toContainText('IOMMU is off', { timeout: 30_000 });
  await iommu.getByRole('button', { name: 'Show evidence' }).click();
  await expect(page.getByTestId('iommu-evidence')).toContainText('/sys/kernel/iommu_groups: 0 group(s)');
  // This machine's default route and its interface, as `ip` says (the lab is a microVM: eth0 on virtio).
  const dev = (JSON.parse(execFileSync('ip', ['-j', 'route', 'show', 'default'], { encoding: 'utf8' })) as Array<{ dev: string }>)[0]?.dev ?? '';
  const nic = page.getByTestId('pci-devices').locator('tr[data-testid^="pci-"]').filter({ has: page.getByTestId('passthrough-reason-default-route') });
  await expect(nic).toHaveCount(1);
  await expect(nic).toContainText('Ethernet controller');
  await expect(nic.getByTestId('passthrough-reason-default-route')).toHaveText(`carries the host's default route (${dev})`);
  await expect(nic.getByTestId('passthrough-reason-iommu-off')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('devices.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('remove the lab host of the network tests', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
