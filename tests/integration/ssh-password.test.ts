/**
 * Password and keyboard-interactive authentication through the prompter, against a real sshd. The lab's
 * sshd accepts public keys only, so this file starts its own short-lived sshd (127.0.0.1, random port,
 * throwaway host key, PAM, only the lab operator account) and stops it by PID afterwards. The operator's
 * password is the lab's sudo password (secrets/virtdeck.password).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SshAuthError, SshConnection, type SshConnectOptions, type SshPrompter } from '../../main/ssh';
import type { LabInfo } from '../support/lab';

const availability = inject('lab');
const lab: LabInfo | null = availability.available ? availability.lab : null;
const SSHD = '/usr/sbin/sshd';
const canRun =
  lab !== null && existsSync(SSHD) && typeof process.getuid === 'function' && process.getuid() === 0;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.skipIf(!canRun)('password and keyboard-interactive (a test-owned sshd with PAM)', () => {
  const l = lab as LabInfo;
  const dir = mkdtempSync(join(tmpdir(), 'virtdeck-pwsshd-'));
  let sshd: ChildProcess | null = null;
  let port = 0;
  let password = '';
  const user = l.accounts.operator.user;

  beforeAll(async () => {
    password = readFileSync(l.accounts.operator.sudoPasswordFile, 'utf8').trim();
    port = await freePort();
    const hostKey = join(dir, 'host_ed25519');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
    const banner = join(dir, 'banner');
    writeFileSync(banner, 'Authorized use only (VirtDeck test sshd)\n');
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        'PidFile none',
        'AuthorizedKeysFile none',
        `AllowUsers ${user}`,
        'PubkeyAuthentication no',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication yes',
        'UsePAM yes',
        'PermitRootLogin no',
        'LogLevel VERBOSE',
        `Banner ${banner}`,
        '',
      ].join('\n'),
    );
    sshd = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(() => {
    sshd?.kill();
  });

  const options = (prompter: SshPrompter, extra: SshConnectOptions = {}): SshConnectOptions => ({
    sshConfigFile: null,
    agent: null,
    knownHostsFiles: [],
    globalKnownHostsFiles: [],
    prompter: { hostKeyUnknown: () => Promise.resolve('accept-once'), ...prompter },
    ...extra,
  });

  it('keyboard-interactive: the server prompt reaches the prompter; a wrong answer is asked again', async () => {
    const seen: Array<{ attempt: number; prompts: unknown }> = [];
    const ssh = await SshConnection.connect(
      { host: '127.0.0.1', port, user },
      options({
        keyboardInteractive: (info) => {
          seen.push({ attempt: info.attempt, prompts: info.prompts });
          return Promise.resolve([info.attempt === 1 ? Buffer.from('wrong') : Buffer.from(password)]);
        },
      }),
    );
    try {
      expect(seen).toEqual([
        { attempt: 1, prompts: [{ prompt: 'Password: ', echo: false }] },
        { attempt: 2, prompts: [{ prompt: 'Password: ', echo: false }] },
      ]);
      expect(ssh.info.authMethod).toBe('keyboard-interactive');
      expect(ssh.info.banner).toBe('Authorized use only (VirtDeck test sshd)\n');
      expect((await ssh.run('id -un')).stdout.trim()).toBe(user);
    } finally {
      await ssh.close();
    }
  });

  it('password (PreferredAuthentications password): asked again after a wrong one', async () => {
    const config = join(dir, 'client_config');
    writeFileSync(config, 'Host *\n  PreferredAuthentications password\n');
    const attempts: number[] = [];
    const ssh = await SshConnection.connect(
      { host: '127.0.0.1', port, user },
      options(
        {
          keyboardInteractive: () => Promise.reject(new Error('must not be asked')),
          password: (info) => {
            attempts.push(info.attempt);
            return Promise.resolve(info.attempt === 1 ? 'wrong' : Buffer.from(password));
          },
        },
        { sshConfigFile: config },
      ),
    );
    try {
      expect(attempts).toEqual([1, 2]);
      expect(ssh.info.authMethod).toBe('password');
    } finally {
      await ssh.close();
    }
  });

  it('declining every prompt ends in SshAuthError listing what was tried', async () => {
    const error = await SshConnection.connect(
      { host: '127.0.0.1', port, user },
      options({ keyboardInteractive: () => Promise.resolve(null), password: () => Promise.resolve(null) }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshAuthError);
    expect((error as SshAuthError).tried.join(' ')).toContain('keyboard-interactive');
    expect((error as SshAuthError).serverMethods).toEqual(
      expect.arrayContaining(['password', 'keyboard-interactive']),
    );
  });
});
