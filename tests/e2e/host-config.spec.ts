/**
 * The host configuration editor end to end, for both lab accounts (root by key; the operator through
 * sudo with its password, asked in the app): a form change with its diff, saved atomically with a backup,
 * libvirtd restarted and answering; an unknown key and a wrong type typed in the raw view flagged before
 * saving; a value libvirtd refuses shown on its field (the daemon's words and the rule) and at its line,
 * never saved; a file broken behind VirtDeck's back rolled back by itself; the lab's file restored from
 * the backups list. The lab runs on this machine, so the files are checked with fs directly.
 *
 * Restarts libvirtd and writes /etc/libvirt: run under the lab lock. It puts back the lab's files, removes
 * its backups and its hosts at the end.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { labInfo, lab, openApp, skipReason, addLabHost, removeHost, removeHostIfLeft } from './support';

const reason =
  skipReason() ?? (lab().available ? undefined : `no lab: ${(lab() as { reason: string }).reason}`);
test.skip(!!reason, reason ?? '');
test.describe.configure({ mode: 'serial' });
test.afterAll(async ({ browser }) => {
  for (const account of ['root', 'operator']) await removeHostIfLeft(browser, `lab-config-${account}`);
});
test.use({ actionTimeout: 30_000 });

const QEMU = '/etc/libvirt/qemu.conf';
const DAEMON = '/etc/libvirt/libvirtd.conf';
const BACKUPS = '/etc/libvirt/virtdeck-backups';
const STATE = '/run/virtdeck';
const RESTART_TIMEOUT = 120_000;

const original = { qemu: Buffer.alloc(0), daemon: Buffer.alloc(0) };
let backupsBefore = new Set<string>();
let stateExisted = false;
const listBackups = () => (existsSync(BACKUPS) ? new Set(readdirSync(BACKUPS)) : new Set<string>());

function virshAnswers(): boolean {
  try {
    execFileSync('virsh', ['-c', 'qemu:///system', 'version'], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

test.beforeAll(() => {
  if (reason) return;
  original.qemu = readFileSync(QEMU);
  original.daemon = readFileSync(DAEMON);
  backupsBefore = listBackups();
  stateExisted = existsSync(STATE);
});

test.afterAll(() => {
  if (reason) return;
  let changed = false;
  for (const [path, bytes] of [
    [QEMU, original.qemu],
    [DAEMON, original.daemon],
  ] as const) {
    if (!readFileSync(path).equals(bytes)) {
      writeFileSync(path, bytes);
      changed = true;
    }
  }
  if (changed || !virshAnswers()) {
    execFileSync('bash', ['tests/lab/lab.sh', 'up'], {
      stdio: 'ignore',
      env: { ...process.env, VIRTDECK_LAB_SKIP_SELFTEST: '1' },
    });
  }
  for (const name of listBackups()) if (!backupsBefore.has(name)) rmSync(`${BACKUPS}/${name}`);
  if (existsSync(BACKUPS) && listBackups().size === 0) rmdirSync(BACKUPS);
  if (!stateExisted) rmSync(STATE, { recursive: true, force: true });
});

async function restartAndExpect(
  page: Page,
  editor: ReturnType<Page['getByRole']>,
  title: RegExp,
): Promise<void> {
  await editor.getByRole('button', { name: 'Restart libvirtd now' }).click();
  await expect(editor.getByTestId('host-config-report')).toBeVisible({ timeout: RESTART_TIMEOUT });
  await expect(editor.getByTestId('host-config-report')).toContainText(title, { timeout: RESTART_TIMEOUT });
}

async function formSet(editor: ReturnType<Page['getByRole']>, key: string, value: string): Promise<void> {
  await editor.getByLabel('Find a setting').fill(key);
  const field = editor.getByRole('textbox', { name: key, exact: true });
  await field.fill(value);
  await field.press('Enter');
}

async function saveWithDiff(
  page: Page,
  editor: ReturnType<Page['getByRole']>,
  expected: string[],
): Promise<void> {
  await editor.getByRole('button', { name: 'Review and save' }).click();
  const review = page.getByRole('dialog', { name: `Save ${QEMU}` });
  const diff = review.getByRole('region', { name: 'Changes' });
  for (const line of expected) await expect(diff).toContainText(line);
  await review.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(review).toBeHidden();
  await expect(editor.getByTestId('host-config-notice')).toContainText(`Saved ${QEMU}`);
}

for (const account of ['root', 'operator'] as const) {
  const HOST = `lab-config-${account}`;

  test(`${account}: form change → diff → atomic save with backup → restart; failing setting rolled back; raw view flags; restore`, async ({
    page,
  }, testInfo) => {
    test.setTimeout(600_000);
    const errors = await openApp(page);
    await addLabHost(page, HOST, account);
    await page.getByRole('navigation').getByText(HOST, { exact: true }).click();
    await page.getByTestId('host-config-section').getByRole('button', { name: 'Edit configuration' }).click();
    const editor = page.getByRole('dialog', { name: `Configuration of ${HOST}` });

    if (account === 'operator') {
      // sudo needs the operator's password: asked in the app, once for the session.
      const ask = page.getByRole('dialog', { name: `Password for ${HOST}` });
      await expect(ask).toBeVisible({ timeout: 30_000 });
      await ask
        .getByLabel(/sudo password for virtdeck@/)
        .fill(readFileSync(labInfo().accounts.operator.sudoPasswordFile, 'utf8').trim());
      await ask.getByRole('button', { name: 'Continue' }).click();
    }
    await expect(editor.getByRole('tab', { name: 'qemu.conf' })).toBeVisible({ timeout: 60_000 });
    await expect(editor.getByText(account === 'root' ? 'as root' : 'through sudo (password)')).toBeVisible();
    await expect(editor.getByTestId('host-config-daemon')).toHaveText('libvirtd · started directly');
    await expect(editor.getByText('keys from /usr/share/augeas/lenses/libvirtd_qemu.aug')).toBeVisible();

    // 1. A form change, its diff, an atomic save with a backup, a restart, libvirtd answers.
    const inodeBefore = statSync(QEMU).ino;
    const value = account === 'root' ? '4096' : '8192';
    await formSet(editor, 'max_files', value);
    await saveWithDiff(page, editor, ['#max_files = 0', `+max_files = ${value}`]);
    const saved = readFileSync(QEMU, 'utf8');
    expect(saved).toBe(
      original.qemu.toString('utf8').replace('#max_files = 0\n', `#max_files = 0\nmax_files = ${value}\n`),
    );
    const after = statSync(QEMU);
    expect(after.ino).not.toBe(inodeBefore);
    expect(after.mode & 0o7777).toBe(0o600);
    const newBackups = [...listBackups()].filter((n) => !backupsBefore.has(n));
    expect(newBackups.some((n) => readFileSync(`${BACKUPS}/${n}`).equals(original.qemu))).toBe(true);
    expect(readdirSync('/etc/libvirt').filter((n) => n.includes('.virtdeck.'))).toEqual([]);
    await restartAndExpect(page, editor, /libvirtd restarted and answers \(libvirt 9\./);
    expect(virshAnswers()).toBe(true);
    // The key's documentation comes from the file's own comment block.
    await editor.getByRole('button', { name: 'Documentation of max_files' }).click();
    await expect(page.getByText(/The same applies to max_files/)).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath(`host-config-${account}.png`) });
    await editor.getByRole('button', { name: 'Documentation of max_files' }).click();
    await expect(page.getByText(/The same applies to max_files/)).toBeHidden();

    // 2. The raw view: an unknown key is a warning, a wrong type an error that blocks saving.
    await editor.getByRole('button', { name: 'Raw text', exact: true }).click();
    expect(errors).toEqual([]);
    const raw = editor.getByLabel(`Raw text of ${QEMU}`);
    await raw.focus();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nvnc_listne = "0.0.0.0"\n');
    const diagnostics = editor.getByTestId('host-config-diagnostics');
    await expect(diagnostics).toContainText('Unknown setting "vnc_listne"');
    await expect(diagnostics).toContainText('did you mean "vnc_listen"');
    await expect(editor.getByRole('button', { name: 'Review and save' })).toBeEnabled();
    await page.keyboard.type('vnc_tls = 2\n');
    await expect(diagnostics).toContainText(
      "value for 'vnc_tls' parameter must be 0 or 1 (libvirtd would not start)",
    );
    await expect(diagnostics).toContainText(
      'rule qemu.type.bool · libvirt 9.0 src/util/virconf.c virConfGetValueBool',
    );
    await expect(diagnostics).toContainText('1 error: saving is blocked');
    await expect(editor.getByRole('button', { name: 'Review and save' })).toBeDisabled();
    await editor.getByRole('button', { name: 'Discard changes' }).click();
    await expect(diagnostics).toHaveCount(0);
    expect(readFileSync(QEMU, 'utf8')).toBe(saved);

    // 3. A setting libvirtd cannot start with is an error on its field (in the daemon's words, with its
    // rule), at its line in the raw view, and blocks saving: it never reaches the host.
    await editor.getByRole('button', { name: 'Form', exact: true }).click();
    await formSet(editor, 'user', 'no-such-user-virtdeck');
    const userField = editor.getByRole('textbox', { name: 'user', exact: true });
    await expect(userField).toHaveAttribute('aria-invalid', 'true');
    await expect(userField).toHaveAccessibleDescription(
      /Failed to parse user 'no-such-user-virtdeck': no such user on this host \(libvirtd would not start\)/,
    );
    await expect(editor.getByTestId('host-config-diagnostics')).toContainText('1 error: saving is blocked');
    await expect(
      editor.getByTestId('host-config-rule').filter({ hasText: 'rule qemu.user-exists' }),
    ).toBeVisible();
    await expect(editor.getByRole('button', { name: 'Review and save' })).toBeDisabled();
    await editor.getByRole('button', { name: 'Raw text', exact: true }).click();
    const userLine = (await editor.getByLabel(`Raw text of ${QEMU}`).inputValue())
      .split('\n')
      .indexOf('user = "no-such-user-virtdeck"');
    expect(userLine).toBeGreaterThan(0);
    const gutter = editor.getByTestId(`host-config-line-${userLine + 1}`);
    await expect(gutter).toHaveAttribute('data-problem', 'error');
    await expect(gutter).toHaveAttribute(
      'title',
      /Failed to parse user 'no-such-user-virtdeck'.*\[qemu\.user-exists\]/,
    );
    await editor.getByRole('button', { name: 'Discard changes' }).click();
    await expect(editor.getByTestId('host-config-diagnostics')).toHaveCount(0);
    expect(readFileSync(QEMU, 'utf8')).toBe(saved);
    expect(virshAnswers()).toBe(true);

    // 4. What VirtDeck cannot see is still rolled back: a good change saved, then someone else breaks the
    // file before the restart; libvirtd does not come back with it and the backup is restored.
    await editor.getByRole('button', { name: 'Form', exact: true }).click();
    const next = String(Number(value) + 1);
    await formSet(editor, 'max_files', next);
    await saveWithDiff(page, editor, [`-max_files = ${value}`, `+max_files = ${next}`]);
    writeFileSync(
      QEMU,
      readFileSync(QEMU, 'utf8').replace(/^user = "root"$/m, 'user = "no-such-user-virtdeck"'),
    );
    await restartAndExpect(page, editor, /did not come back with the new file: the backup was restored/);
    expect(readFileSync(QEMU, 'utf8')).toBe(saved);
    expect(virshAnswers()).toBe(true);

    // 5. Back to the lab's own file from the backups list, restarted again.
    await editor.getByRole('tab', { name: 'Backups' }).click();
    await expect(editor.getByText('made the daemon fail').first()).toBeVisible();
    const firstBackup = newBackups.find((n) => readFileSync(`${BACKUPS}/${n}`).equals(original.qemu)) ?? '';
    await editor.getByRole('button', { name: `Preview and restore ${BACKUPS}/${firstBackup}` }).click();
    const restore = page.getByRole('dialog', { name: `Restore ${QEMU}` });
    await expect(restore.getByRole('region', { name: 'Changes' })).toContainText(`-max_files = ${value}`);
    await restore.getByRole('button', { name: 'Restore' }).click();
    await expect(editor.getByTestId('host-config-notice')).toContainText(`Restored ${QEMU}`);
    expect(readFileSync(QEMU).equals(original.qemu)).toBe(true);
    await restartAndExpect(page, editor, /libvirtd restarted and answers/);
    expect(virshAnswers()).toBe(true);

    await page.keyboard.press('Escape');
    await removeHost(page, HOST);
    expect(errors).toEqual([]);
  });
}
