/**
 * ProxyJump through the lab's own sshd to itself (127.0.0.1:2722 → 127.0.0.1:2722), resolved from a
 * temporary ssh config with Host aliases: one hop, two hops, an explicit jump on the target, host key
 * prompts per hop, an unreachable target behind a jump, and cleanup of the hops.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  SshConnection,
  SshUnreachableError,
  type HostKeyPromptInfo,
  type SshConnectOptions,
} from '../../main/ssh';
import type { LabInfo } from '../support/lab';

const availability = inject('lab');
const lab: LabInfo | null = availability.available ? availability.lab : null;

function sshdLog(l: LabInfo): string {
  const log = join(l.stateDir, 'logs', 'sshd.log');
  return existsSync(log) ? readFileSync(log, 'utf8') : '';
}

function logins(l: LabInfo, since: number): string[] {
  return [
    ...sshdLog(l)
      .slice(since)
      .matchAll(/Accepted publickey for (\S+)/g),
  ].map((m) => m[1] ?? '');
}

describe.skipIf(!lab)('ProxyJump through the lab sshd', () => {
  const l = lab as LabInfo;
  const dir = mkdtempSync(join(tmpdir(), 'virtdeck-jump-'));
  const config = join(dir, 'config');
  writeFileSync(
    config,
    `# hops resolved through this file, like ssh -F
Host lab-jump
  HostName ${l.ssh.host}
  Port ${l.ssh.port}
  User ${l.accounts.operator.user}
  IdentityFile ${l.accounts.operator.identityFile}

Host lab-target
  HostName ${l.ssh.host}
  Port ${l.ssh.port}
  User ${l.accounts.root.user}
  IdentityFile ${l.accounts.root.identityFile}
  ProxyJump lab-jump

Host lab-target-2hops
  HostName ${l.ssh.host}
  Port ${l.ssh.port}
  User ${l.accounts.root.user}
  IdentityFile ${l.accounts.root.identityFile}
  ProxyJump lab-jump,lab-jump

Host *
  UserKnownHostsFile ${l.ssh.knownHostsFile}
  GlobalKnownHostsFile none
`,
  );
  const options = (extra: SshConnectOptions = {}): SshConnectOptions => ({
    sshConfigFile: config,
    agent: null,
    connectTimeoutMs: 20_000,
    ...extra,
  });
  const open: SshConnection[] = [];
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
  });

  it('one hop: lab-target via lab-jump (each hop authenticates with its own config entry)', async () => {
    const mark = sshdLog(l).length;
    const ssh = await SshConnection.connect({ host: 'lab-target' }, options());
    open.push(ssh);
    expect(ssh.info).toMatchObject({
      alias: 'lab-target',
      host: l.ssh.host,
      port: l.ssh.port,
      user: 'root',
      via: [`${l.accounts.operator.user}@${l.ssh.host}:${l.ssh.port}`],
    });
    const r = await ssh.run('id -un; echo $SSH_CONNECTION');
    const [user, connection] = r.stdout.trim().split('\n');
    expect(user).toBe('root');
    // The target sees the connection coming from the jump host's sshd (a local TCP connection).
    expect(connection).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 2722$/);
    await new Promise((r2) => setTimeout(r2, 200));
    expect(logins(l, mark)).toEqual([l.accounts.operator.user, 'root']);
  });

  it('two hops: lab-jump,lab-jump', async () => {
    const ssh = await SshConnection.connect({ host: 'lab-target-2hops' }, options());
    open.push(ssh);
    const hop = `${l.accounts.operator.user}@${l.ssh.host}:${l.ssh.port}`;
    expect(ssh.info.via).toEqual([hop, hop]);
    expect((await ssh.run('id -u')).stdout.trim()).toBe('0');
    // Everything still multiplexes over the final connection.
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => ssh.run(`echo ${i}`)));
    expect(results.map((x) => x.stdout.trim())).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
  });

  it('an explicit proxyJump on the target (as `ssh -J lab-jump`), plus host key prompts per hop', async () => {
    const kh = join(dir, 'known_hosts-empty');
    const asked: HostKeyPromptInfo[] = [];
    const ssh = await SshConnection.connect(
      {
        host: l.ssh.host,
        port: l.ssh.port,
        user: l.accounts.operator.user,
        identityFile: l.accounts.operator.identityFile,
        proxyJump: 'lab-jump',
      },
      options({
        knownHostsFiles: [kh],
        prompter: {
          hostKeyUnknown: (info) => {
            asked.push(info);
            return Promise.resolve('accept-once');
          },
        },
      }),
    );
    open.push(ssh);
    expect(asked.map((a) => [a.fingerprint, a.via.length])).toEqual([
      [l.ssh.hostKeyFingerprint, 0], // the jump host itself
      [l.ssh.hostKeyFingerprint, 1], // the target, reached through it
    ]);
    expect((await ssh.run('id -un')).stdout.trim()).toBe(l.accounts.operator.user);
  });

  it('closing the target connection closes the jump connection too', async () => {
    const ssh = await SshConnection.connect({ host: 'lab-target' }, options());
    const mark = sshdLog(l).length;
    await ssh.close();
    await new Promise((r) => setTimeout(r, 300));
    const after = sshdLog(l).slice(mark);
    expect(after).toMatch(/Disconnected from user root/);
    expect(after).toMatch(new RegExp(`Disconnected from user ${l.accounts.operator.user}`));
  });

  it('a target the jump host cannot reach: SshUnreachableError naming the hop', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const error = await SshConnection.connect(
      {
        host: '127.0.0.1',
        port,
        user: 'root',
        identityFile: l.accounts.root.identityFile,
        proxyJump: 'lab-jump',
      },
      options(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshUnreachableError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toContain(`via ${l.accounts.operator.user}@${l.ssh.host}:${l.ssh.port}`);
  });
});
