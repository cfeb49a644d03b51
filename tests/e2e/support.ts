import { execFileSync } from 'node:child_process';
import { expect, test, type Browser, type Page } from '@playwright/test';
import type { LabAvailability, LabInfo } from '../support/lab';

export const url = () => process.env.VIRTDECK_E2E_URL ?? '';
export const tokenUrl = () => process.env.VIRTDECK_E2E_TOKEN_URL ?? '';
export const skipReason = () => process.env.VIRTDECK_E2E_SKIP;

/** The lab as global setup found it, or why there is none. */
export function lab(): LabAvailability {
  const raw = process.env.VIRTDECK_E2E_LAB;
  return raw ? (JSON.parse(raw) as LabAvailability) : { available: false, reason: 'global setup did not run' };
}

export function labInfo(): LabInfo {
  const found = lab();
  if (!found.available) throw new Error(found.reason);
  return found.lab;
}

/** Opens the app with the token and fails on any script error or CSP violation. */
export async function openApp(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(tokenUrl());
  await expect(page.getByTestId('connection-state')).toHaveText('Connected');
  return errors;
}

/**
 * Adds the lab as a host through the "Add a host" dialog, with the root or the operator account, and
 * waits until it is connected. The key may already be trusted by an earlier spec; it is trusted only
 * this time, so later specs still see the prompt.
 */
export async function addLabHost(page: Page, name: string, account: 'root' | 'operator' = 'root'): Promise<void> {
  const info = labInfo();
  await page.getByRole('navigation', { name: 'Main navigation' }).last().getByText('Hosts', { exact: true }).click();
  // "Add a host" on the empty page, "Add host" above the list.
  await page.getByRole('button', { name: /^Add (a )?host$/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a host' });
  await dialog.getByLabel('Display name').fill(name);
  await dialog.getByLabel('SSH user').fill(info.accounts[account].user);
  await dialog.getByLabel('Host name or address').fill(info.ssh.host);
  await dialog.getByLabel('SSH port').fill(String(info.ssh.port));
  await dialog.getByLabel('Identity file').fill(info.accounts[account].identityFile);
  await dialog.getByRole('button', { name: 'Save host' }).click();
  const prompt = page.getByRole('dialog', { name: `Trust the host key of ${name}?` });
  const status = page.getByRole('row', { name: new RegExp(name) }).getByTestId('host-status');
  try {
    await expect(prompt.or(status.and(page.locator('[data-state="connected"]')))).toBeVisible({ timeout: 30_000 });
    if (await prompt.isVisible()) await prompt.getByRole('button', { name: 'Trust this time' }).click();
    await expect(status).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  } catch (error) {
    const problem = labDaemonProblem();
    if (problem) throw new Error(`${name} did not connect: ${problem}`, { cause: error });
    throw error;
  }
}

/**
 * A serial spec's first test, "add the lab host for the <what>": opens the app and adds the lab host as
 * `name`, so the spec's later tests find it connected (their afterAll removes it with removeHostIfLeft).
 */
export function testAddLabHost(name: string, what: string): void {
  test(`add the lab host for the ${what}`, async ({ page }) => {
    await openApp(page);
    await addLabHost(page, name);
  });
}

/**
 * Why the lab cannot answer, when a daemon is the reason (null when both answer): a timed-out wait for a
 * host row says nothing about a lab whose libvirtd has exited or crashed.
 */
export function labDaemonProblem(): string | null {
  try {
    execFileSync('virsh', ['-c', 'qemu:///system', 'version'], { encoding: 'utf8', timeout: 15_000, stdio: 'pipe' });
  } catch (error) {
    const out = error as { stderr?: string; message?: string };
    const detail = (out.stderr || out.message || '').trim().split('\n')[0];
    return `the lab's libvirtd is not answering (virsh version: ${detail}) — did it exit or crash? See dmesg and the lab's libvirtd log`;
  }
  const info = labInfo();
  try {
    execFileSync('bash', ['-c', `exec 3<>/dev/tcp/${info.ssh.host}/${info.ssh.port}`], { timeout: 10_000, stdio: 'pipe' });
  } catch {
    return `the lab's sshd is not listening on ${info.ssh.host}:${info.ssh.port}`;
  }
  return null;
}

/** Removes a saved host from the Hosts page (confirming the browser's dialog). */
export async function removeHost(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main navigation' }).last().getByText('Hosts', { exact: true }).click();
  page.once('dialog', (confirm) => void confirm.accept());
  await page.getByRole('button', { name: `Actions for ${name}` }).click();
  await page.getByRole('menuitem', { name: 'Remove' }).click();
  await expect(page.getByRole('row', { name: new RegExp(name) })).toHaveCount(0);
}

/**
 * For a spec's afterAll: removes its host if a failed test left it (serial specs skip their last test
 * after a failure), so the next spec starts from the state it expects.
 */
export async function removeHostIfLeft(browser: Browser, name: string): Promise<void> {
  if (!tokenUrl()) return;
  const page = await browser.newPage();
  try {
    await page.goto(tokenUrl());
    await page.getByRole('navigation', { name: 'Main navigation' }).last().getByText('Hosts', { exact: true }).click();
    if ((await page.getByRole('button', { name: `Actions for ${name}` }).count()) > 0) await removeHost(page, name);
  } finally {
    await page.close();
  }
}

/** virsh against the lab over SSH as root (what a second admin would see). */
export function labVirsh(...args: string[]): string {
  const info = labInfo();
  const uri =
    `qemu+libssh://root@${info.ssh.host}:${info.ssh.port}/system?keyfile=${info.accounts.root.identityFile}` +
    `&known_hosts=${info.ssh.knownHostsFile}&known_hosts_verify=normal&sshauth=privkey`;
  return execFileSync('virsh', ['-c', uri, ...args], { encoding: 'utf8', timeout: 30_000 });
}

/** The lines the serial console shows (xterm's DOM renderer keeps one element per row), trailing blanks cut. */
export function serialTerminalLines(page: Page): Promise<string[]> {
  return page
    .getByTestId('serial-terminal')
    .locator('.xterm-rows > div')
    .evaluateAll((rows) => rows.map((row) => (row.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()));
}

/**
 * Presses Enter on the serial console (focused by the caller) until the guest's busybox shell prompts
 * (`vd#`): a guest still booting under TCG prints its prompt only once its init has run.
 */
export async function waitForGuestShell(page: Page, timeoutMs: number, intervalMs = 2_000): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.keyboard.press('Enter');
        return (await serialTerminalLines(page)).some((line) => line.startsWith('vd#'));
      },
      { timeout: timeoutMs, intervals: [intervalMs] },
    )
    .toBe(true);
}

/** Waits until the serial console shows a line that matches. */
export function expectSerialLine(page: Page, matches: (line: string) => boolean, timeoutMs = 15_000): Promise<void> {
  return expect.poll(async () => (await serialTerminalLines(page)).some(matches), { timeout: timeoutMs }).toBe(true);
}
