/**
 * The host configuration editor against the lab, both accounts, no mocks: reading /etc/libvirt as root
 * (root by key; the operator through sudo with its password), atomic writes with backups, conflict and
 * validation refusals, restarting the directly started libvirtd, and the automatic rollback of a setting
 * that stops libvirt's QEMU driver from starting. The lab runs on this machine, so the test checks the
 * files with fs directly, and it puts back the original files and removes its backups at the end.
 *
 * Restarts libvirtd and writes /etc/libvirt: run it under the lab lock (flock /tmp/virtdeck-lab.lock).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostEntry } from '../../preload/api-contract';
import { connectSsh } from '../../main/ssh';
import { HostConfigService } from '../../main/services/host-config/host-config-service';
import { libvirtVersionOver } from '../../main/services/host-config/host-config-wiring';
import { BACKUP_DIR, STATE_DIR } from '../../main/services/host-config/host-scripts';
import type { LabInfo } from '../support/lab';

const availability = inject('lab');
const lab: LabInfo | null = availability.available ? availability.lab : null;
const QEMU = '/etc/libvirt/qemu.conf';
const DAEMON = '/etc/libvirt/libvirtd.conf';

function virshAnswers(): boolean {
  try {
    execFileSync('virsh', ['-c', 'qemu:///system', 'version'], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!lab)('host configuration editor on the lab', () => {
  const l = lab as LabInfo;
  let originalQemu: Buffer;
  let originalDaemon: Buffer;
  let backupsBefore: Set<string>;
  let stateDirExisted = false;
  const sudoAsks: boolean[] = [];

  const service = (account: 'root' | 'operator') => {
    const acc = l.accounts[account];
    const host: HostEntry = {
      id: `hc-${account}`,
      displayName: account,
      ssh: { user: acc.user, host: l.ssh.host, port: l.ssh.port, identityFile: acc.identityFile },
      libvirtUri: 'qemu:///system',
      transport: 'auto',
      tags: [],
    };
    return new HostConfigService({
      host: async () => host,
      openSsh: (h) =>
        connectSsh(
          { host: h.ssh.host, user: h.ssh.user, port: h.ssh.port, identityFile: acc.identityFile },
          { knownHostsFiles: [l.ssh.knownHostsFile], sshConfigFile: null },
        ),
      askSudoPassword:
        () =>
        async ({ retry }) => {
          sudoAsks.push(retry);
          return readFileSync(l.accounts.operator.sudoPasswordFile, 'utf8').trim();
        },
      forgetSudoPassword: () => undefined,
      libvirtVersion: libvirtVersionOver,
    });
  };

  const backupsNow = () => new Set(readdirSync(BACKUP_DIR, { withFileTypes: true }).map((d) => d.name));

  beforeAll(() => {
    originalQemu = readFileSync(QEMU);
    originalDaemon = readFileSync(DAEMON);
    stateDirExisted = existsSync(STATE_DIR);
    try {
      backupsBefore = backupsNow();
    } catch {
      backupsBefore = new Set();
    }
  });

  afterAll(() => {
    // Whatever happened: the lab's own files, libvirtd answering, and no backups of ours left behind.
    let restart = false;
    for (const [path, original] of [
      [QEMU, originalQemu],
      [DAEMON, originalDaemon],
    ] as const) {
      if (!readFileSync(path).equals(original)) {
        writeFileSync(path, original);
        restart = true;
      }
    }
    if (restart || !virshAnswers()) {
      execFileSync('bash', ['tests/lab/lab.sh', 'up'], {
        stdio: 'ignore',
        env: { ...process.env, VIRTDECK_LAB_SKIP_SELFTEST: '1' },
      });
    }
    try {
      for (const name of backupsNow()) if (!backupsBefore.has(name)) rmSync(`${BACKUP_DIR}/${name}`);
      if (backupsNow().size === 0) rmdirSync(BACKUP_DIR);
    } catch {
      // no backup dir: nothing to clean
    }
    if (!stateDirExisted) rmSync(STATE_DIR, { recursive: true, force: true });
  });

  it('root: reads, saves atomically with a backup, restarts, and rolls a failing setting back', async () => {
    let editor = service('root');
    try {
      const snapshot = await editor.read('hc-root');
      expect(snapshot.access).toBe('root');
      expect(snapshot.daemon).toMatchObject({ name: 'libvirtd', manager: 'direct' });
      expect(snapshot.daemon.commandLine).toMatch(/libvirtd/);
      const qemu = snapshot.files.find((f) => f.path === QEMU);
      expect(qemu?.text).toBe(originalQemu.toString('utf8'));
      expect(qemu).toMatchObject({
        role: 'qemu',
        mode: '600',
        owner: 'root:root',
        schemaSource: 'host-lens',
        lensPath: '/usr/share/augeas/lenses/libvirtd_qemu.aug',
      });
      expect(snapshot.files.map((f) => f.path)).toEqual([QEMU, DAEMON]);
      const vnc = qemu?.groups.find((g) => g.name === 'vnc')?.keys.find((k) => k.key === 'vnc_listen');
      expect(vnc).toMatchObject({ type: 'string', example: '"0.0.0.0"', exampleValue: '0.0.0.0' });
      expect(vnc?.doc).toContain('VNC is configured to listen on 127.0.0.1 by default.');

      // A good change: max_files below its documentation, saved atomically with a backup.
      const edited = await editor.edit('hc-root', QEMU, qemu?.text ?? '', [
        { key: 'max_files', value: 4096 },
      ]);
      expect(edited.analysis.values.max_files?.value).toBe(4096);
      expect(edited.analysis.diagnostics).toEqual([]);
      const inodeBefore = statSync(QEMU).ino;
      const saved = await editor.save('hc-root', QEMU, edited.text, qemu?.sha256 ?? '');
      expect(readFileSync(QEMU, 'utf8')).toBe(edited.text);
      const after = statSync(QEMU);
      expect(after.ino).not.toBe(inodeBefore); // renamed over, not rewritten in place
      expect(after.mode & 0o7777).toBe(0o600);
      expect([after.uid, after.gid]).toEqual([0, 0]);
      expect(readFileSync(saved.backup.path).equals(originalQemu)).toBe(true);
      expect(readdirSync('/etc/libvirt').filter((n) => n.includes('.virtdeck.'))).toEqual([]);
      expect(statSync(BACKUP_DIR).mode & 0o777).toBe(0o700);

      // Stale base: refused, nothing written.
      await expect(
        editor.save('hc-root', QEMU, `${edited.text}# x\n`, qemu?.sha256 ?? ''),
      ).rejects.toMatchObject({ code: 'conflict' });
      // Type errors block saving.
      await expect(
        editor.save('hc-root', QEMU, `${edited.text}max_processes = "many"\n`, saved.sha256),
      ).rejects.toMatchObject({ code: 'invalid-request' });
      expect(readFileSync(QEMU, 'utf8')).toBe(edited.text);

      const report = await editor.restart('hc-root', 20);
      expect(report.outcome, report.steps.join('\n')).toBe('ok');
      expect(report.libvirtVersion).toMatch(/^\d+\.\d+\.\d+$/);
      expect(virshAnswers()).toBe(true);

      // A setting that stops the QEMU driver is refused before it reaches the host.
      const failing = await editor.edit('hc-root', QEMU, edited.text, [
        { key: 'user', value: 'no-such-user-virtdeck' },
      ]);
      expect(failing.analysis.diagnostics).toEqual([
        expect.objectContaining({ severity: 'error', key: 'user', rule: 'qemu.user-exists' }),
      ]);
      await expect(editor.save('hc-root', QEMU, failing.text, saved.sha256)).rejects.toMatchObject({
        code: 'invalid-request',
        message: expect.stringContaining("Failed to parse user 'no-such-user-virtdeck'"),
      });
      expect(readFileSync(QEMU, 'utf8')).toBe(edited.text);

      // The rollback still guards against what VirtDeck cannot see: a good change saved (the host notes
      // its backup), VirtDeck closed, and someone else breaks the file before the restart.
      const another = await editor.edit('hc-root', QEMU, edited.text, [{ key: 'max_files', value: 2048 }]);
      await editor.save('hc-root', QEMU, another.text, saved.sha256);
      await editor.dispose();
      editor = service('root');
      await editor.read('hc-root');
      const broken = another.text.replace(/^user = "root"$/m, 'user = "no-such-user-virtdeck"');
      expect(broken).not.toBe(another.text);
      writeFileSync(QEMU, broken);
      // An editor that reads the broken file does not restart the daemon on it.
      const reader = service('root');
      try {
        await reader.read('hc-root');
        await expect(reader.restart('hc-root', 15)).rejects.toMatchObject({
          code: 'invalid-request',
          message: expect.stringContaining('Not restarted: /etc/libvirt/qemu.conf line'),
        });
        expect(virshAnswers()).toBe(true);
      } finally {
        await reader.dispose();
      }
      // The editor that read the good file restarts; the daemon fails; the host rolls back to the backup.
      const rolled = await editor.restart('hc-root', 15);
      expect(rolled.outcome, rolled.steps.join('\n')).toBe('rolled-back');
      expect(rolled.restored).toEqual([QEMU]);
      expect(readFileSync(QEMU, 'utf8')).toBe(edited.text);
      expect(virshAnswers()).toBe(true);
      const backups = await editor.backups('hc-root');
      expect(backups.some((b) => b.failed && b.target === QEMU)).toBe(true);
      const failedCopy = backups.find((b) => b.failed);
      expect((await editor.readBackup('hc-root', failedCopy?.path ?? '')).text).toBe(broken);

      // Back to the lab's file (restoring = saving the backup's text), and libvirtd restarted with it.
      const restore = await editor.readBackup('hc-root', saved.backup.path);
      await editor.save('hc-root', QEMU, restore.text, createHashHex(readFileSync(QEMU)));
      expect(readFileSync(QEMU).equals(originalQemu)).toBe(true);
      expect((await editor.restart('hc-root', 20)).outcome).toBe('ok');
    } finally {
      await editor.dispose();
    }
  }, 240_000);

  it('operator: sudo with its password reads and writes, and nothing it typed reaches the command line', async () => {
    const editor = service('operator');
    try {
      const snapshot = await editor.read('hc-operator');
      expect(snapshot.access).toBe('sudo-password');
      expect(sudoAsks.length).toBeGreaterThan(0);
      const daemon = snapshot.files.find((f) => f.path === DAEMON);
      expect(daemon?.text).toBe(originalDaemon.toString('utf8'));
      const edited = await editor.edit('hc-operator', DAEMON, daemon?.text ?? '', [
        { key: 'max_clients', value: 100 },
      ]);
      const saved = await editor.save('hc-operator', DAEMON, edited.text, daemon?.sha256 ?? '');
      expect(readFileSync(DAEMON, 'utf8')).toBe(edited.text);
      expect(statSync(DAEMON).mode & 0o777).toBe(0o644);
      const report = await editor.restart('hc-operator', 20);
      expect(report.outcome, report.steps.join('\n')).toBe('ok');
      expect(virshAnswers()).toBe(true);
      const restore = await editor.readBackup('hc-operator', saved.backup.path);
      await editor.save('hc-operator', DAEMON, restore.text, saved.sha256);
      expect(readFileSync(DAEMON).equals(originalDaemon)).toBe(true);
      expect((await editor.restart('hc-operator', 20)).outcome).toBe('ok');
    } finally {
      await editor.dispose();
    }
  }, 240_000);
});

function createHashHex(data: Buffer): string {
  return execFileSync('sha256sum', { input: data }).toString().split(' ')[0] ?? '';
}
