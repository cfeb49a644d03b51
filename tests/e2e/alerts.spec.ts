/**
 * Threshold alerts against a real guest: a rule made in the Alerts page ("VM CPU > 25 % for 6 s" on
 * vd-vnc-2 of lab host A), a busy loop started in the guest through its serial console, the alert firing
 * in the alert centre with the values that made it fire and a badge on the guest's fleet row, then
 * acknowledged, resolved when the loop is killed, and the rule deleted. The VM page's history charts show
 * the samples over a range.
 */
import { expect, test, type Page } from '@playwright/test';
import { lab, openApp, removeHost, removeHostIfLeft, skipReason, serialTerminalLines, expectSerialLine, testAddLabHost } from './support';

const reason =
  skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });

const HOST = 'lab-alerts';
const GUEST = 'vd-vnc-2';
const RULE = 'E2E busy guest';
/** The busy loop stops by itself after this long, should the test fail before it kills it. */
const LOOP_SECONDS = 150;

let loopPid = '';

test.afterAll(async ({ browser }) => {
  // A loop the test could not kill ends by itself (LOOP_SECONDS); the host goes.
  await removeHostIfLeft(browser, HOST);
});

const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Main navigation' }).last().getByText(name, { exact: true });
const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} on ${HOST}`) });
const search = (page: Page, text: string) => page.getByLabel('Search virtual machines').fill(text);

async function openVmPage(page: Page): Promise<void> {
  await nav(page, 'Fleet').click();
  await search(page, GUEST);
  await row(page, GUEST).click();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: GUEST })).toBeVisible();
}

/** Types a command on the guest's serial console (VM page) and returns the lines it printed. */
async function guestCommand(page: Page, command: string, answer: RegExp): Promise<RegExpMatchArray> {
  await page.getByRole('tab', { name: 'Serial console' }).click();
  await expect(page.getByTestId('serial-console')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await page.getByTestId('serial-terminal').click();
  await page.keyboard.press('Enter');
  await expectSerialLine(page, (line) => line.startsWith('vd#'));
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  let found: RegExpMatchArray | null = null;
  await expect
    .poll(
      async () => {
        for (const line of await serialTerminalLines(page)) found = line.match(answer) ?? found;
        return found !== null;
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  return found as unknown as RegExpMatchArray;
}

testAddLabHost(HOST, 'alert tests');

test('a rule made in the UI fires on a busy guest, is acknowledged, resolves when the guest idles, and is deleted', async ({
  page,
}) => {
  test.setTimeout(240_000);
  // Serve mode notifies through the browser's Notification API: allowed here, and each one the page
  // creates is noted (the real Notification is still created).
  await page.context().grantPermissions(['notifications']);
  await page.addInitScript(() => {
    const Real = window.Notification;
    const seen: Array<{ title: string; body: string }> = [];
    (window as unknown as { seenNotifications: typeof seen }).seenNotifications = seen;
    window.Notification = class extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        seen.push({ title, body: options?.body ?? '' });
      }
    };
  });
  const errors = await openApp(page);

  // The rule: VM CPU above 25 % for 6 s, on this guest only.
  await nav(page, 'Alerts').click();
  const rules = page.getByTestId('alert-rules');
  await rules.getByRole('button', { name: 'Add rule' }).click();
  const dialog = page.getByRole('dialog', { name: 'Alert rule' });
  await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill(RULE);
  await expect(dialog.getByRole('combobox', { name: 'Metric' })).toHaveValue('VM CPU % (vm.cpu.percent)');
  await dialog.getByRole('textbox', { name: 'Threshold' }).fill('25');
  await dialog.getByRole('textbox', { name: 'For (seconds)' }).fill('6');
  await dialog.getByRole('combobox', { name: 'Scope' }).click();
  await page.getByRole('option', { name: 'One VM' }).click();
  await dialog.getByRole('combobox', { name: 'One VM' }).click();
  await page.getByRole('option', { name: `${GUEST} (${HOST})` }).click();
  await dialog.getByRole('combobox', { name: 'Severity' }).click();
  await page.getByRole('option', { name: 'Critical' }).click();
  await dialog.getByRole('button', { name: 'Save rule' }).click();
  await expect(dialog).toHaveCount(0);
  const rule = rules.getByRole('row', { name: RULE });
  await expect(rule).toContainText('vm.cpu.percent > 25 · 6 s');
  await expect(rule).toContainText(`One VM: ${GUEST}`);

  // Idle, the guest stays far below the threshold: no alert yet.
  const alertRow = page.getByTestId('alert-list').getByRole('row', { name: `${RULE} ${GUEST}` });
  await expect(alertRow).toHaveCount(0);

  // A busy loop in the guest (it ends by itself after LOOP_SECONDS in case the test cannot kill it).
  await openVmPage(page);
  const started = await guestCommand(
    page,
    `(e=$(($(date +%s)+${LOOP_SECONDS})); while [ $(date +%s) -lt $e ]; do :; done) & echo "busy-pid=$!"`,
    /busy-pid=(\d+)/,
  );
  loopPid = started[1] ?? '';
  expect(loopPid).toMatch(/^\d+$/);

  // The VM page's CPU history shows the load.
  await page.getByRole('tab', { name: 'Overview' }).click();
  const cpuChart = page.getByTestId('history-chart-cpu').getByRole('img');
  await expect
    .poll(async () => Number(/(\d+)%$/.exec((await cpuChart.getAttribute('aria-label')) ?? '')?.[1] ?? -1), { timeout: 30_000 })
    .toBeGreaterThan(25);

  // The alert fires: open, in the alert centre with the values that crossed the threshold.
  await nav(page, 'Alerts').click();
  await expect(alertRow).toBeVisible({ timeout: 40_000 });
  await expect(alertRow).toHaveAttribute('data-status', 'open');
  await expect(alertRow).toContainText('Critical');
  await expect(alertRow).toContainText('VM CPU % > 25 · 6 s');
  const values = (await alertRow.getByTestId('alert-values').textContent()) ?? '';
  const numbers = [...values.matchAll(/([\d.]+) %/g)].map((m) => Number(m[1]));
  expect(numbers.length).toBeGreaterThan(0);
  for (const value of numbers) expect(value).toBeGreaterThan(25);
  await expect(page.getByTestId('alerts-open-count')).not.toHaveText('0');
  // …and a desktop notification with the rule, the guest and the condition.
  const notifications = await page.evaluate(() => (window as unknown as { seenNotifications: Array<{ title: string; body: string }> }).seenNotifications);
  expect(notifications).toContainEqual({ title: `${RULE}: ${GUEST}`, body: expect.stringContaining('VM CPU % > 25 · 6 s') });

  // A badge on the guest's fleet row.
  await nav(page, 'Fleet').click();
  await search(page, GUEST);
  const badge = row(page, GUEST).getByTestId('alert-badge');
  await expect(badge).toHaveAttribute('aria-label', `Alert: ${RULE}`);
  await expect(badge).toHaveText('Critical');

  // Acknowledged: off the open list, still badged (outlined) while the condition holds.
  await nav(page, 'Alerts').click();
  await alertRow.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(alertRow).toHaveCount(0);
  await page.getByRole('tab', { name: /^Acknowledged/ }).click();
  await expect(alertRow).toHaveAttribute('data-status', 'acknowledged');
  await nav(page, 'Fleet').click();
  await expect(row(page, GUEST).getByTestId('alert-badge')).toBeVisible();

  // The loop killed, the guest idles: the alert resolves with its end time, the badge goes.
  await openVmPage(page);
  await guestCommand(page, `kill ${loopPid}; echo "killed-$?"`, /killed-0/);
  loopPid = '';
  await nav(page, 'Alerts').click();
  await page.getByRole('tab', { name: /^Resolved/ }).click();
  await expect(alertRow).toHaveAttribute('data-status', 'resolved', { timeout: 40_000 });
  await expect(alertRow.getByRole('cell').nth(4)).not.toHaveText('–');
  await nav(page, 'Fleet').click();
  await search(page, GUEST);
  await expect(row(page, GUEST)).toBeVisible();
  await expect(row(page, GUEST).getByTestId('alert-badge')).toHaveCount(0);

  // The rule deleted: gone from the list, still gone after a reload (saved in main).
  await nav(page, 'Alerts').click();
  await rule.getByRole('button', { name: 'Delete' }).click();
  await expect(rule).toHaveCount(0);
  await page.reload();
  await nav(page, 'Alerts').click();
  await expect(page.getByTestId('alert-rules').getByRole('row', { name: 'VM CPU above 90 %' })).toBeVisible();
  await expect(page.getByTestId('alert-rules').getByRole('row', { name: RULE })).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('the VM page shows the history of a range, downsampled beyond the last hour', async ({ page }) => {
  const errors = await openApp(page);
  await openVmPage(page);
  const history = page.getByTestId('metrics-history');
  const cpuChart = page.getByTestId('history-chart-cpu').getByRole('img');
  const points = async () => Number(await cpuChart.getAttribute('data-points'));

  // 15 min and 1 h: every tick (the samples of this run, several per minute).
  await expect(history.getByTestId('metrics-history-resolution')).toHaveText('every tick');
  await expect.poll(points, { timeout: 20_000 }).toBeGreaterThan(10);
  await history.getByText('1 h', { exact: true }).click();
  await expect(history.getByTestId('metrics-history-resolution')).toHaveText('every tick');
  await expect.poll(points).toBeGreaterThan(10);

  // 24 h: one-minute buckets (min/avg/max) — at least the minute or two this run has seen.
  await history.getByText('24 h', { exact: true }).click();
  await expect(history.getByTestId('metrics-history-resolution')).toHaveText('1-minute min/avg/max');
  await expect.poll(points).toBeGreaterThan(0);
  await expect(cpuChart).toHaveAttribute('aria-label', /^CPU: CPU \d+%$/);

  // 30 d: ten-minute buckets.
  await history.getByText('30 d', { exact: true }).click();
  await expect(history.getByTestId('metrics-history-resolution')).toHaveText('10-minute min/avg/max');
  await expect.poll(points).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});

test('remove the lab host of the alert tests', async ({ page }) => {
  await openApp(page);
  await removeHost(page, HOST);
});
