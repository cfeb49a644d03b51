import { expect, test, type Page } from '@playwright/test';
import { labInfo, lab, openApp, skipReason } from './support';

const reason =
  skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const HOST = 'lab-consoles';
const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on `) });
const search = (page: Page, text: string) => page.getByLabel('Search virtual machines').fill(text);

/** The lines xterm shows (its DOM renderer keeps one element per row). */
const terminalLines = (page: Page) =>
  page
    .getByTestId('serial-terminal')
    .locator('.xterm-rows > div')
    .evaluateAll((rows) => rows.map((row) => (row.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()));

async function openVmPage(page: Page, name: string): Promise<void> {
  await page.getByText('Fleet', { exact: true }).click();
  await search(page, name);
  await row(page, name).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name })).toBeVisible();
}

async function openSerialTab(page: Page): Promise<void> {
  await page.getByRole('tab', { name: 'Serial console' }).click();
}

test('add the lab host for the console tests', async ({ page }) => {
  const info = labInfo();
  await openApp(page);
  await page.getByRole('button', { name: 'Add a host' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a host' });
  await dialog.getByLabel('Display name').fill(HOST);
  await dialog.getByLabel('SSH user').fill('root');
  await dialog.getByLabel('Host name or address').fill(info.ssh.host);
  await dialog.getByLabel('SSH port').fill(String(info.ssh.port));
  await dialog.getByLabel('Identity file').fill(info.accounts.root.identityFile);
  await dialog.getByRole('button', { name: 'Save host' }).click();
  // The key may already be trusted by an earlier spec; trust it only this time so later specs still see the prompt.
  const prompt = page.getByRole('dialog', { name: `Trust the host key of ${HOST}?` });
  const status = page.getByRole('row', { name: new RegExp(HOST) }).getByTestId('host-status');
  await expect(prompt.or(status.and(page.locator('[data-state="connected"]')))).toBeVisible({
    timeout: 30_000,
  });
  if (await prompt.isVisible()) await prompt.getByRole('button', { name: 'Trust this time' }).click();
  await expect(page.getByRole('row', { name: new RegExp(HOST) }).getByTestId('host-status')).toHaveAttribute(
    'data-state',
    'connected',
    { timeout: 30_000 },
  );
});

test('serial console: a command runs in the guest; a second window may take the console over', async ({
  page,
  context,
}) => {
  const errors = await openApp(page);
  await openVmPage(page, 'vd-vnc-2');
  await openSerialTab(page);
  const consoleBox = page.getByTestId('serial-console');
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });

  await page.getByTestId('serial-terminal').click();
  // An Enter first: the shell prints a fresh prompt on a line of its own.
  await page.keyboard.press('Enter');
  await expect
    .poll(async () => (await terminalLines(page)).some((line) => line.startsWith('vd#')), { timeout: 15_000 })
    .toBe(true);
  await page.keyboard.type('echo $((6*7))');
  await page.keyboard.press('Enter');
  await expect
    .poll(async () => (await terminalLines(page)).some((line) => line.trim() === '42'), { timeout: 15_000 })
    .toBe(true);

  // A second window: the console is busy there until it takes it over.
  const second = await context.newPage();
  await openApp(second);
  await openVmPage(second, 'vd-vnc-2');
  await openSerialTab(second);
  const secondBox = second.getByTestId('serial-console');
  await expect(secondBox).toHaveAttribute('data-state', 'busy', { timeout: 30_000 });
  await expect(secondBox).toContainText('Held by another session');
  await secondBox.getByRole('button', { name: 'Take over' }).click();
  await expect(secondBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expect(consoleBox).toHaveAttribute('data-state', 'disconnected', { timeout: 30_000 });
  await expect(consoleBox.getByRole('button', { name: 'Reconnect' })).toBeVisible();

  // The new session works too.
  await second.getByTestId('serial-terminal').click();
  await second.keyboard.type('echo $((7*8))');
  await second.keyboard.press('Enter');
  await expect
    .poll(async () => (await terminalLines(second)).some((line) => line.trim() === '56'), { timeout: 15_000 })
    .toBe(true);

  // Leaving the tab ends the session: the first window can reconnect without taking over.
  await second.close();
  await consoleBox.getByRole('button', { name: 'Reconnect' }).click();
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  expect(errors).toEqual([]);
});

test('graphics console: the VNC display shows the guest and follows typing', async ({ page }, testInfo) => {
  const errors = await openApp(page);
  await openVmPage(page, 'vd-vnc-1');
  await page.getByRole('tab', { name: 'Graphics console' }).click();
  const box = page.getByTestId('graphics-console');
  await expect(box).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  const canvas = page.getByTestId('graphics-screen').locator('canvas').first();
  /** How many colours the framebuffer shows, and a hash of its pixels. */
  const pixels = () =>
    canvas.evaluate((element: HTMLCanvasElement) => {
      const context = element.getContext('2d');
      if (!context || element.width === 0 || element.height === 0) return { colours: 0, hash: 0 };
      const data = context.getImageData(0, 0, element.width, element.height).data;
      const colours = new Set<number>();
      let hash = 2166136261;
      for (let i = 0; i < data.length; i += 4) {
        const rgb = ((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
        if (colours.size < 64) colours.add(rgb);
        hash = Math.imul(hash ^ rgb, 16777619) >>> 0;
      }
      return { colours: colours.size, hash };
    });
  // A key first: it wakes a blanked text console and gives the shell a fresh prompt.
  await canvas.click();
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await pixels()).colours, { timeout: 20_000 }).toBeGreaterThan(1);
  await page.waitForTimeout(1_000);
  const before = (await pixels()).hash;
  // Only unshifted characters: Playwright types '$' or '(' without pressing Shift, and noVNC sends
  // QEMU key codes (the physical key), so the guest would see '4' and '9'.
  await page.keyboard.type('echo virtdeck');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await pixels()).hash, { timeout: 20_000 }).not.toBe(before);
  await page.screenshot({ path: testInfo.outputPath('graphics-console.png') });
  expect(errors).toEqual([]);
});

test('remove the console tests host', async ({ page }) => {
  await openApp(page);
  await page.getByText('Hosts', { exact: true }).click();
  page.once('dialog', (confirm) => void confirm.accept());
  await page.getByRole('button', { name: `Actions for ${HOST}` }).click();
  await page.getByRole('menuitem', { name: 'Remove' }).click();
  await expect(page.getByTestId('hosts-empty')).toBeVisible();
});
