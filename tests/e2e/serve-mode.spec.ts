import { expect, test } from '@playwright/test';
import { openApp, skipReason, url } from './support';

test.skip(!!skipReason(), skipReason() ?? '');
test.describe.configure({ mode: 'serial' });

test('a request without the token is refused, in the browser too', async ({ page, request }) => {
  const answer = await request.get(url());
  expect(answer.status()).toBe(401);
  expect(await answer.text()).toMatch(/needs the access token/);
  const response = await page.goto(url());
  expect(response?.status()).toBe(401);
  await expect(page.locator('body')).toContainText('open the URL printed in the terminal');
});

test('the token is swapped for a session and removed from the address bar', async ({ page }) => {
  const errors = await openApp(page);
  expect(errors, 'no script errors and no CSP violations').toEqual([]);
  expect(page.url()).toBe(url());
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === 'virtdeck_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
});

test('the app loads styled and shows its empty "add a host" state', async ({ page }, testInfo) => {
  await openApp(page);
  const empty = page.getByTestId('hosts-empty');
  await expect(empty.getByRole('heading', { name: 'No hosts yet' })).toBeVisible();
  const addButton = empty.getByRole('button', { name: 'Add a host' });
  await expect(addButton).toBeVisible();
  // Styled, not a bare page: Mantine's primary filled button is blue with white text.
  const colors = await addButton.evaluate((el) => {
    const style = getComputedStyle(el);
    return { background: style.backgroundColor, color: style.color };
  });
  expect(colors.background).not.toBe('rgba(0, 0, 0, 0)');
  expect(colors.color).toBe('rgb(255, 255, 255)');
  await expect(page.getByRole('banner')).toContainText('VirtDeck');
  await page.screenshot({ path: testInfo.outputPath('empty-state.png'), fullPage: true });
});

test('adding a host saves it across reloads; removing it brings the empty state back', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Add a host' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a host' });
  await dialog.getByRole('button', { name: 'Save host' }).click();
  await expect(dialog.getByText('Required').first()).toBeVisible();

  // A closed port: the host is saved, connecting fails at once (no host-key question) and says why.
  await dialog.getByLabel('Display name').fill('lab host');
  await dialog.getByLabel('Host name or address').fill('127.0.0.1');
  await dialog.getByLabel('SSH port').fill('1');
  await dialog.getByRole('button', { name: 'Save host' }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByRole('row', { name: /lab host/ });
  await expect(row).toContainText('root@127.0.0.1:1');
  await expect(row).toContainText('qemu:///system');
  await expect(row.getByTestId('host-status')).toHaveText('Unreachable');

  await page.reload();
  // With a saved host the app opens on the fleet; the host is still there on the hosts page.
  await expect(page.getByRole('heading', { name: 'Virtual machines' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main navigation' }).last().getByText('Hosts', { exact: true }).click();
  await expect(page.getByRole('row', { name: /lab host/ })).toBeVisible();

  page.once('dialog', (confirm) => void confirm.accept());
  await page.getByRole('button', { name: 'Actions for lab host' }).click();
  await page.getByRole('menuitem', { name: 'Remove' }).click();
  await expect(page.getByTestId('hosts-empty')).toBeVisible();
});

test('a duplicate host name is refused at the field, with the reason', async ({ page }) => {
  await openApp(page);
  for (const attempt of [1, 2]) {
    await page.getByRole('button', { name: attempt === 1 ? 'Add a host' : 'Add host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a host' });
    await dialog.getByLabel('Display name').fill('twin');
    await dialog.getByLabel('Host name or address').fill('kvm.example.net');
    await dialog.getByRole('button', { name: 'Save host' }).click();
    if (attempt === 1) await expect(dialog).toBeHidden();
    else await expect(dialog.getByText('A host named "twin" already exists')).toBeVisible();
  }
  await page.keyboard.press('Escape');
  page.once('dialog', (confirm) => void confirm.accept());
  await page.getByRole('button', { name: 'Actions for twin' }).click();
  await page.getByRole('menuitem', { name: 'Remove' }).click();
  await expect(page.getByTestId('hosts-empty')).toBeVisible();
});

test('the language switches to 简体中文 and back', async ({ page }) => {
  await openApp(page);
  await page.getByRole('button', { name: /Language/ }).click();
  await page.getByRole('menuitem', { name: '简体中文' }).click();
  await expect(page.getByRole('heading', { name: '尚未添加主机' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await page.getByRole('button', { name: /语言/ }).click();
  await page.getByRole('menuitem', { name: 'English' }).click();
  await expect(page.getByRole('heading', { name: 'No hosts yet' })).toBeVisible();
});
