import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { labInfo, lab, openApp, skipReason, removeHost, labVirsh, removeHostIfLeft, expectSerialLine, testAddLabHost } from './support';

const reason =
  skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });
test.afterAll(async ({ browser }) => removeHostIfLeft(browser, HOST));

const HOST = 'lab-consoles';
const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on `) });
const search = (page: Page, text: string) => page.getByLabel('Search virtual machines').fill(text);

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

testAddLabHost(HOST, 'console tests');

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
  await expectSerialLine(page, (line) => line.startsWith('vd#'));
  await page.keyboard.type('echo $((6*7))');
  await page.keyboard.press('Enter');
  await expectSerialLine(page, (line) => line.trim() === '42');

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
  await expectSerialLine(second, (line) => line.trim() === '56');

  // Leaving the tab ends the session: the first window can reconnect without taking over.
  await second.close();
  await consoleBox.getByRole('button', { name: 'Reconnect' }).click();
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  expect(errors).toEqual([]);
});

test('serial console: the virtio console is a second device to choose; search finds output', async ({ page }) => {
  const errors = await openApp(page);
  await openVmPage(page, 'vd-vnc-2');
  await openSerialTab(page);
  const consoleBox = page.getByTestId('serial-console');
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });

  // The lab guests have a shell on ttyS0 (serial0) and on hvc0 (a virtio console, console1).
  const device = consoleBox.getByRole('combobox', { name: 'Console device' });
  await expect(device).toHaveValue(/^serial0/);
  await device.click();
  await page.getByRole('option', { name: /^console1 · virtio console 1/ }).click();
  await expect(device).toHaveValue(/^console1/);
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });

  await page.getByTestId('serial-terminal').click();
  await page.keyboard.press('Enter');
  await expectSerialLine(page, (line) => line.startsWith('vd#'));
  // The tty the shell runs on proves which device this is.
  await page.keyboard.type('tty; echo marker-$((3*5))');
  await page.keyboard.press('Enter');
  await expectSerialLine(page, (line) => line.trim() === '/dev/hvc0');

  const searchBox = consoleBox.getByRole('textbox', { name: 'Search output' });
  await searchBox.fill('marker-15');
  await searchBox.press('Enter');
  await expect(consoleBox.getByTestId('serial-search-count')).toHaveText(/^1 of [1-9]/);
  await searchBox.fill('no-such-text-anywhere');
  await searchBox.press('Enter');
  await expect(consoleBox.getByTestId('serial-search-count')).toHaveText(/^(0 of 0)?$/);

  // Back to the serial port: a new session there.
  await device.click();
  await page.getByRole('option', { name: /^serial0/ }).click();
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await page.getByTestId('serial-terminal').click();
  await page.keyboard.type('tty');
  await page.keyboard.press('Enter');
  await expectSerialLine(page, (line) => line.trim() === '/dev/ttyS0');
  expect(errors).toEqual([]);
});

test('consoles open in windows of their own; closing one closes only its session', async ({ page }) => {
  const errors = await openApp(page);
  const popupErrors: string[] = [];
  const watch = (popup: Page) => {
    popup.on('pageerror', (error) => popupErrors.push(error.message));
    popup.on('console', (message) => message.type() === 'error' && popupErrors.push(message.text()));
  };

  // Graphics: the window shows the guest's screen, the panel keeps its own session.
  await openVmPage(page, 'vd-vnc-1');
  await page.getByRole('tab', { name: 'Graphics console' }).click();
  const box = page.getByTestId('graphics-console');
  await expect(box).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  const [graphicsWindow] = await Promise.all([
    page.waitForEvent('popup'),
    box.getByRole('button', { name: 'Open in new window' }).click(),
  ]);
  watch(graphicsWindow);
  await expect(graphicsWindow).toHaveTitle(/^vd-vnc-1 on lab-consoles/, { timeout: 30_000 });
  const popupBox = graphicsWindow.getByTestId('graphics-console');
  await expect(popupBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  const popupCanvas = graphicsWindow.getByTestId('graphics-screen').locator('canvas').first();
  await expect.poll(async () => (await canvasPixels(popupCanvas)).colours, { timeout: 20_000 }).toBeGreaterThan(1);
  await expect(popupBox.getByRole('button', { name: 'Open in new window' })).toHaveCount(0);
  await graphicsWindow.close();
  await page.waitForTimeout(1_000);
  await expect(box).toHaveAttribute('data-state', 'connected');

  // Serial: one session per console, so the panel hands it over to the window.
  await openVmPage(page, 'vd-vnc-2');
  await openSerialTab(page);
  const consoleBox = page.getByTestId('serial-console');
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  const [serialWindow] = await Promise.all([
    page.waitForEvent('popup'),
    consoleBox.getByRole('button', { name: 'Open in new window' }).click(),
  ]);
  watch(serialWindow);
  await expect(consoleBox).toContainText('open in a separate window');
  const popupConsole = serialWindow.getByTestId('serial-console');
  await expect(popupConsole).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await serialWindow.getByTestId('serial-terminal').click();
  await serialWindow.keyboard.type('echo $((2*21))');
  await serialWindow.keyboard.press('Enter');
  await expectSerialLine(serialWindow, (line) => line.trim() === '42');
  // Closing the window ends its session: the panel reconnects without taking over.
  await serialWindow.close();
  await page.waitForTimeout(1_500); // the window's session ends with its WebSocket
  await consoleBox.getByRole('button', { name: 'Reconnect' }).click();
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  expect(errors).toEqual([]);
  expect(popupErrors).toEqual([]);
});

test('graphics console: the VNC display shows the guest and follows typing', async ({ page }, testInfo) => {
  const errors = await openApp(page);
  await openVmPage(page, 'vd-vnc-1');
  await page.getByRole('tab', { name: 'Graphics console' }).click();
  const box = page.getByTestId('graphics-console');
  await expect(box).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  const canvas = page.getByTestId('graphics-screen').locator('canvas').first();
  const pixels = () => canvasPixels(canvas);
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

/** How many colours a canvas shows, and a hash of its pixels. */
const canvasPixels = (canvas: Locator) =>
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

async function openGraphics(page: Page, name: string): Promise<{ box: Locator; canvas: Locator }> {
  await openVmPage(page, name);
  await page.getByRole('tab', { name: 'Graphics console' }).click();
  const box = page.getByTestId('graphics-console');
  await expect(box).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  return { box, canvas: page.getByTestId('graphics-screen').locator('canvas').first() };
}

test('graphics console: Screenshot downloads a PNG of the guest screen; timings are shown', async ({ page }) => {
  const errors = await openApp(page);
  const { box } = await openGraphics(page, 'vd-vnc-1');
  const timings = page.getByTestId('console-timings');
  await expect(timings).toHaveAttribute('data-first-frame-ms', /^\d+$/, { timeout: 20_000 });
  const channelMs = Number(await timings.getAttribute('data-channel-ms'));
  const handshakeMs = Number(await timings.getAttribute('data-handshake-ms'));
  const frameMs = Number(await timings.getAttribute('data-first-frame-ms'));
  expect(channelMs).toBeLessThanOrEqual(handshakeMs);
  expect(handshakeMs).toBeLessThanOrEqual(frameMs);
  test.info().annotations.push({
    type: 'console-timings',
    description: JSON.stringify({ channelMs, handshakeMs, frameMs }),
  });
  await expect(timings).toHaveAttribute('title', /first frame \d+ ms/);

  const downloading = page.waitForEvent('download');
  await box.getByRole('button', { name: 'Screenshot' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^screenshot-[0-9a-f]{8}-.*\.png$/);
  const path = await download.path();
  const bytes = readFileSync(path);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.length).toBeGreaterThan(1_000);
  expect(errors).toEqual([]);
});

/** How many pixels of the canvas are lit (text on the guest's black text console). */
const litPixels = (canvas: Locator) =>
  canvas.evaluate((element: HTMLCanvasElement) => {
    const context = element.getContext('2d');
    if (!context || element.width === 0 || element.height === 0) return 0;
    const data = context.getImageData(0, 0, element.width, element.height).data;
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 0) + (data[i + 1] ?? 0) + (data[i + 2] ?? 0) > 200) lit++;
    return lit;
  });

test('graphics console: Type text types shifted characters; Ctrl+Alt+F2 switches the guest VT', async ({ page }) => {
  const errors = await openApp(page);
  const { box, canvas } = await openGraphics(page, 'vd-vnc-1');
  await canvas.click();
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await canvasPixels(canvas)).colours, { timeout: 20_000 }).toBeGreaterThan(1);

  const typeText = async (text: string) => {
    await box.getByRole('button', { name: 'Type text' }).click();
    const dialog = page.getByRole('dialog', { name: 'Type text into the guest' });
    await dialog.getByLabel('Text').fill(text);
    await dialog.getByRole('button', { name: 'Type', exact: true }).click();
    await expect(dialog).toBeHidden();
  };
  // Upper case and shifted symbols need Shift around the physical key: the guest's serial log shows
  // exactly what it received.
  const log = labInfo().guests.find((guest) => guest.name === 'vd-vnc-1')?.serialLog ?? '';
  const marker = `VIRTDECK_${Date.now() % 100000}`;
  await typeText(`echo "${marker}:$((6*7))" >/dev/ttyS0\n`);
  await expect.poll(() => readFileSync(log, 'utf8').includes(`${marker}:42`), { timeout: 20_000 }).toBe(true);

  // VT 2 exists once something opened it (the guest runs no getty there): it then shows one word,
  // VT 1 a screen full of text.
  await typeText('clear; echo VT2 >/dev/tty2; ls -l /dev /bin\n');
  await expect.poll(() => litPixels(canvas), { timeout: 20_000 }).toBeGreaterThan(2_000);
  const onVt1 = await litPixels(canvas);
  const sendKey = async (label: string) => {
    await box.getByRole('button', { name: 'Send key' }).click();
    await page.getByRole('menuitem', { name: label, exact: true }).click();
  };
  await sendKey('Ctrl+Alt+F2');
  await expect.poll(() => litPixels(canvas), { timeout: 20_000 }).toBeLessThan(onVt1 / 5);
  await sendKey('Ctrl+Alt+F1');
  await expect.poll(() => litPixels(canvas), { timeout: 20_000 }).toBeGreaterThan(onVt1 / 2);

  // Ctrl+Alt+Del reaches the guest: its init logs it on the serial port (lab inittab).
  const ctrlAltDels = () => readFileSync(log, 'utf8').split('vd: ctrl-alt-del received').length - 1;
  const before = ctrlAltDels();
  await sendKey('Ctrl+Alt+Del');
  await expect.poll(ctrlAltDels, { timeout: 20_000 }).toBe(before + 1);

  // 1:1 and back, then Reconnect: a new session connects.
  await box.getByRole('button', { name: '1:1' }).click();
  await expect(box.getByRole('button', { name: 'Scale to window' })).toHaveAttribute('aria-pressed', 'true');
  await box.getByRole('button', { name: 'Scale to window' }).click();
  await box.getByRole('button', { name: 'Reconnect' }).click();
  await expect(box).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  expect(errors).toEqual([]);
});

test('graphics console: a VNC password from the live XML is sent without asking', async ({ page }) => {
  const virsh = labVirsh;
  const NAME = 'vd-test-vncpw';
  const xml = virsh('dumpxml', '--inactive', 'vd-off-1')
    .replace(/<name>[^<]*<\/name>/, `<name>${NAME}</name>`)
    .replace(/<uuid>[^<]*<\/uuid>\s*/, '')
    .replace(/<disk[\s\S]*?<\/disk>\s*/g, '')
    .replace(/<log [^>]*\/>\s*/g, '')
    .replace(/vd\.name=vd-off-1/, `vd.name=${NAME}`)
    .replace(/<graphics type='vnc'/, `<graphics type='vnc' passwd='s3cr3t'`);
  expect(xml).toContain("passwd='s3cr3t'");
  const dir = mkdtempSync(join(tmpdir(), 'virtdeck-vncpw-'));
  try {
    writeFileSync(join(dir, 'domain.xml'), xml);
    virsh('define', join(dir, 'domain.xml'));
    virsh('start', NAME);
    const errors = await openApp(page);
    const { canvas } = await openGraphics(page, NAME);
    await expect.poll(async () => (await canvasPixels(canvas)).colours, { timeout: 20_000 }).toBeGreaterThan(1);
    await expect(page.getByRole('dialog', { name: 'VNC password' })).toHaveCount(0);

    // The display's password changed behind libvirt's back (QEMU monitor): the XML's one is refused,
    // the user is asked, and the typed one connects.
    virsh('qemu-monitor-command', NAME, '--hmp', 'set_password vnc n3wpass');
    const box = page.getByTestId('graphics-console');
    await box.getByRole('button', { name: 'Reconnect' }).click();
    const dialog = page.getByRole('dialog', { name: 'VNC password' });
    await expect(dialog).toBeVisible({ timeout: 30_000 });
    await expect(dialog.getByTestId('vnc-password-refused')).toBeVisible();
    await dialog.getByLabel('Password of this display').fill('n3wpass');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await expect(box).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
    await expect.poll(async () => (await canvasPixels(canvas)).colours, { timeout: 20_000 }).toBeGreaterThan(1);
    // The password never shows up in what the page logs; noVNC itself logs the refused attempt.
    expect(errors.join('\n')).not.toContain('n3wpass');
    expect(errors.join('\n')).not.toContain('s3cr3t');
    expect(errors.filter((error) => !/^Failed when connecting: Security negotiation failed/.test(error))).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    try {
      virsh('destroy', NAME);
    } catch {
      // not running
    }
    virsh('undefine', NAME);
  }
});

test('a dropped SSH connection shows the console disconnected, and it comes back with the host', async ({ page }) => {
  await openApp(page);
  await openVmPage(page, 'vd-vnc-2');
  await openSerialTab(page);
  const consoleBox = page.getByTestId('serial-console');
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });

  // Cut VirtDeck's SSH connection on the host side: end the lab sshd's per-connection processes.
  const sshdPid = readFileSync(join(labInfo().stateDir, 'run', 'sshd.pid'), 'utf8').trim();
  execFileSync('pkill', ['-P', sshdPid]);
  await expect(consoleBox).toHaveAttribute('data-state', 'disconnected', { timeout: 30_000 });
  await expect(consoleBox).toContainText('Disconnected');

  // The host reconnects with backoff; the console follows on its own and works again.
  await expect(consoleBox).toHaveAttribute('data-state', 'connected', { timeout: 60_000 });
  await page.getByTestId('serial-terminal').click();
  await page.keyboard.press('Enter');
  await page.keyboard.type('echo $((9*9))');
  await page.keyboard.press('Enter');
  await expectSerialLine(page, (line) => line.trim() === '81');
});

test('remove the console tests host', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
