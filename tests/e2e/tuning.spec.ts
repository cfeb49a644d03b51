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

const HOST = 'lab-tuning';
const GUESTS = ['vd-off-1', 'vd-off-2', 'vd-vnc-2'];
const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on `) });
const virsh = (...args: string[]) => execFileSync('virsh', ['-c', labInfo().libvirtUri, ...args], { encoding: 'utf8' });
const inactiveXml = (name: string) => virsh('dumpxml', '--inactive', '--security-info', name);

/** Every touched guest's persistent definition and vd-vnc-2's live pinning, as they were before. */
const saved = new Map<string, string>();
let savedLivePin = '';

test.beforeAll(() => {
  for (const name of GUESTS) saved.set(name, inactiveXml(name));
  savedLivePin = /^\s*0\s+(\S+)/m.exec(virsh('vcpupin', 'vd-vnc-2', '--live'))?.[1] ?? '';
});

test.afterAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'virtdeck-tuning-'));
  try {
    for (const [name, xml] of saved) {
      if (inactiveXml(name) === xml) continue;
      const file = join(dir, `${name}.xml`);
      writeFileSync(file, xml);
      virsh('define', file);
    }
    if (savedLivePin) virsh('vcpupin', 'vd-vnc-2', '0', savedLivePin, '--live');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [name, xml] of saved) expect(inactiveXml(name)).toBe(xml);
});

async function openVmTab(page: Page, name: string, tab: 'Tuning' | 'Advisor'): Promise<void> {
  await page.getByText('Fleet', { exact: true }).click();
  await page.getByLabel('Search virtual machines').fill(name);
  await row(page, name).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await page.getByRole('tab', { name: tab, exact: true }).click();
}

async function previewAndApply(page: Page, applies: string): Promise<string> {
  await page.getByRole('button', { name: 'Preview changes' }).click();
  const diff = page.getByTestId('tuning-diff');
  await expect(diff).toBeVisible();
  await expect(page.getByTestId('tuning-applies')).toHaveText(applies);
  const text = (await diff.textContent()) ?? '';
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Applied' })).toBeVisible({ timeout: 30_000 });
  return text;
}

testAddLabHost(HOST, 'tuning tests');

test('CPU and memory forms on the shut-off guest: diff, apply, read back from libvirt', async ({ page }) => {
  const errors = await openApp(page);
  await openVmTab(page, 'vd-off-1', 'Tuning');
  await expect(page.getByText('The guest is off')).toBeVisible();

  // CPU: 1 → 2 vCPUs.
  await page.getByRole('tab', { name: 'CPU', exact: true }).click();
  await page.getByLabel('Maximum vCPUs').fill('2');
  await page.getByLabel('vCPUs', { exact: true }).fill('2');
  const cpuDiff = await previewAndApply(page, 'At next boot');
  expect(cpuDiff).toContain("-  <vcpu placement='static'>1</vcpu>");
  expect(cpuDiff).toContain("+  <vcpu placement='static'>2</vcpu>");
  expect(inactiveXml('vd-off-1')).toContain("<vcpu placement='static'>2</vcpu>");

  // Memory: 160 MiB → max 256 MiB, current 192 MiB.
  await page.getByRole('tab', { name: 'Memory', exact: true }).click();
  await page.getByLabel('Maximum memory (MiB)').fill('256');
  await page.getByLabel('Current memory (MiB)').fill('192');
  const memoryDiff = await previewAndApply(page, 'At next boot');
  expect(memoryDiff).toContain("+  <memory unit='KiB'>262144</memory>");
  expect(memoryDiff).toContain("+  <currentMemory unit='KiB'>196608</currentMemory>");
  const after = inactiveXml('vd-off-1');
  expect(after).toContain("<memory unit='KiB'>262144</memory>");
  expect(after).toContain("<currentMemory unit='KiB'>196608</currentMemory>");
  // Nothing else changed: the vCPU change is still there, the rest of the definition as before.
  expect(after).toContain("<vcpu placement='static'>2</vcpu>");
  const before = saved.get('vd-off-1') ?? '';
  const untouched = (xml: string) => xml.split('\n').filter((l) => !/<vcpu |<memory |<currentMemory /.test(l));
  expect(untouched(after)).toEqual(untouched(before));

  // Bad input: a clear error and nothing changes on the host.
  await page.getByLabel('Current memory (MiB)').fill('999');
  await page.getByRole('button', { name: 'Preview changes' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'not above the maximum' })).toBeVisible();
  expect(inactiveXml('vd-off-1')).toBe(after);
  expect(errors).toEqual([]);
});

test('pin vCPU 0 of the running guest to a host CPU, live and persistent', async ({ page }) => {
  await openApp(page);
  await openVmTab(page, 'vd-vnc-2', 'Tuning');
  await page.getByRole('tab', { name: 'Pinning', exact: true }).click();
  const grid = page.getByRole('table', { name: 'Pinning grid' });
  await expect(grid).toContainText('NUMA node 0');
  await grid.getByRole('checkbox', { name: 'Pin vCPU 0 to host CPU 1' }).check();
  const diff = await previewAndApply(page, 'Now and at next boot');
  expect(diff).toContain("+    <vcpupin vcpu='0' cpuset='1'/>");
  await expect(page.getByRole('status', { name: 'Applied' })).toContainText('pinVcpu done');

  expect(virsh('vcpupin', 'vd-vnc-2', '--live')).toMatch(/^\s*0\s+1\s*$/m);
  expect(inactiveXml('vd-vnc-2')).toContain("<vcpupin vcpu='0' cpuset='1'/>");
});

test('an advisor finding and its fix, applied through the same form', async ({ page }) => {
  await openApp(page);
  await openVmTab(page, 'vd-off-2', 'Advisor');
  // The lab host has 2 CPUs and three running guests: the vCPU rule fires, with its reason.
  await expect(page.getByRole('article', { name: 'vCPU overcommit' })).toContainText('0.8 × threads');
  const finding = page.getByRole('article', { name: 'No memory balloon' });
  await expect(finding).toBeVisible();
  await finding.getByRole('button', { name: 'Fix' }).click();
  const dialog = page.getByRole('dialog', { name: 'No memory balloon' });
  await expect(dialog.getByLabel('Balloon model')).toHaveValue('virtio');
  await dialog.getByRole('button', { name: 'Preview changes' }).click();
  await expect(dialog.getByTestId('tuning-diff')).toContainText("+    <memballoon model='virtio'>");
  await dialog.getByRole('button', { name: 'Apply', exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(page.getByRole('status', { name: 'Applied' })).toBeVisible();
  expect(inactiveXml('vd-off-2')).toMatch(/<memballoon model='virtio'>\s*<stats period='10'\/>/);
  await expect(page.getByRole('article', { name: 'No memory balloon' })).toHaveCount(0);
});

test('the advisor\'s thresholds are settings: shown in the gear menu; 1 % of RAM makes the memory rule count the running guests', async ({ page }) => {
  await openApp(page);
  const gear = page.getByRole('button', { name: 'Language / Color scheme' });
  await gear.click();
  await expect(page.getByTestId('advisor-vcpu-threshold')).toHaveText('vCPUs ≤ 0.8 × host CPU threads');
  await expect(page.getByTestId('advisor-memory-threshold')).toHaveText('Memory ≤ 70 % of host RAM');
  await page.getByRole('menuitem', { name: 'Change thresholds…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Advisor thresholds' });
  await dialog.getByLabel('Share of host RAM (%)').fill('1');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  try {
    await openVmTab(page, 'vd-off-2', 'Advisor');
    const memory = page.getByRole('article', { name: 'Memory overcommit' });
    await expect(memory).toContainText(/MiB of other running guests \+ 160 MiB, this guest's maximum/);
    await expect(memory).toContainText('0.01 × host RAM');
  } finally {
    await gear.click();
    await page.getByRole('menuitem', { name: 'Change thresholds…' }).click();
    await dialog.getByRole('button', { name: 'Defaults' }).click();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await gear.click();
    await expect(page.getByTestId('advisor-memory-threshold')).toHaveText('Memory ≤ 70 % of host RAM');
  }
});

test('remove the tuning tests host', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
