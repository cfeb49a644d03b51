/**
 * main/ssh against the lab's real sshd (127.0.0.1:2722, its own host key), both lab accounts, no mocks:
 * host key verification (known, unknown → prompt, changed, revoked, hashed), key / encrypted key /
 * ssh-agent authentication, exec/run, stream-local and TCP channels, SFTP, many channels over one
 * connection, timeouts, cancellation and close reasons. Also measures connect and channel-open times.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  SshAuthError,
  SshCancelledError,
  SshChannelOpenError,
  SshConnection,
  SshHostKeyChangedError,
  SshHostKeyRejectedError,
  SshHostKeyRevokedError,
  SshHostKeyUnknownError,
  SshTimeoutError,
  SshUnreachableError,
  type HostKeyDecision,
  type HostKeyPromptInfo,
  type SshConnectOptions,
  type SshPrompter,
  type SshTarget,
} from '../../main/ssh';
import type { LabInfo } from '../support/lab';

const availability = inject('lab');
const lab: LabInfo | null = availability.available ? availability.lab : null;
const work = mkdtempSync(join(tmpdir(), 'virtdeck-ssh-it-'));
let n = 0;
const tmp = (name: string) => join(work, `${++n}-${name}`);

type Account = 'root' | 'operator';
const ACCOUNTS: Account[] = ['root', 'operator'];

function target(l: LabInfo, account: Account, extra: Partial<SshTarget> = {}): SshTarget {
  const a = l.accounts[account];
  return { host: l.ssh.host, port: l.ssh.port, user: a.user, identityFile: a.identityFile, ...extra };
}

/** Isolated from this machine's ~/.ssh, agent and /etc/ssh: only what the test gives. */
function options(l: LabInfo, extra: SshConnectOptions = {}): SshConnectOptions {
  return {
    sshConfigFile: null,
    agent: null,
    knownHostsFiles: [l.ssh.knownHostsFile],
    globalKnownHostsFiles: [],
    connectTimeoutMs: 20_000,
    ...extra,
  };
}

function hostKeyPrompter(decision: HostKeyDecision): SshPrompter & { calls: HostKeyPromptInfo[] } {
  const calls: HostKeyPromptInfo[] = [];
  return {
    calls,
    hostKeyUnknown: (info) => {
      calls.push(info);
      return Promise.resolve(decision);
    },
  };
}

function newKey(name: string): string {
  const path = tmp(name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
  return path;
}

function labKeyLine(l: LabInfo): string {
  return l.ssh.hostKey.split(' ').slice(0, 2).join(' ');
}

function acceptedLogins(): number {
  const log = join(lab?.stateDir ?? '/nonexistent', 'logs', 'sshd.log');
  return existsSync(log) ? (readFileSync(log, 'utf8').match(/Accepted publickey for/g) ?? []).length : 0;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

describe.skipIf(!lab)('SshConnection against the lab sshd', () => {
  const l = lab as LabInfo;
  const open: SshConnection[] = [];
  const connect = async (t: SshTarget, o: SshConnectOptions) => {
    const c = await SshConnection.connect(t, o);
    open.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
  });

  describe('host keys', () => {
    it.each(ACCOUNTS)('%s: a known host key connects with the key from lab.json', async (account) => {
      const ssh = await connect(target(l, account), options(l));
      expect(ssh.info.hostKey).toEqual({
        type: 'ssh-ed25519',
        fingerprint: l.ssh.hostKeyFingerprint,
        trust: 'known',
      });
      expect(ssh.info.authMethod).toBe('publickey');
      expect((await ssh.run('id -un')).stdout.trim()).toBe(l.accounts[account].user);
    });

    it('unknown → the prompter gets the exact SHA256 fingerprint; accept-once connects and saves nothing', async () => {
      const kh = tmp('known_hosts');
      const prompter = hostKeyPrompter('accept-once');
      const ssh = await connect(target(l, 'operator'), options(l, { knownHostsFiles: [kh], prompter }));
      expect(prompter.calls).toEqual([
        {
          host: l.ssh.host,
          port: l.ssh.port,
          keyType: 'ssh-ed25519',
          fingerprint: l.ssh.hostKeyFingerprint,
          knownHostsFile: kh,
          via: [],
        },
      ]);
      expect(ssh.info.hostKey.trust).toBe('accepted-once');
      expect(existsSync(kh)).toBe(false);
    });

    it('unknown → accept-and-save appends [host]:port to known_hosts (0600); the next connect does not ask', async () => {
      const kh = tmp('known_hosts');
      const first = hostKeyPrompter('accept-and-save');
      const ssh = await connect(target(l, 'root'), options(l, { knownHostsFiles: [kh], prompter: first }));
      expect(ssh.info.hostKey.trust).toBe('saved');
      expect(first.calls).toHaveLength(1);
      expect(readFileSync(kh, 'utf8')).toBe(`[${l.ssh.host}]:${l.ssh.port} ${labKeyLine(l)}\n`);
      expect(statSync(kh).mode & 0o777).toBe(0o600);
      // OpenSSH reads what we wrote.
      const found = execFileSync('ssh-keygen', ['-F', `[${l.ssh.host}]:${l.ssh.port}`, '-f', kh], {
        encoding: 'utf8',
      });
      expect(found).toContain('found: line 1');
      const second = hostKeyPrompter('reject');
      const again = await connect(target(l, 'root'), options(l, { knownHostsFiles: [kh], prompter: second }));
      expect(again.info.hostKey.trust).toBe('known');
      expect(second.calls).toHaveLength(0);
    });

    it('accept-and-save writes a hashed entry when the config says HashKnownHosts yes', async () => {
      const kh = tmp('known_hosts');
      const config = tmp('config');
      writeFileSync(config, 'Host *\n  HashKnownHosts yes\n');
      const prompter = hostKeyPrompter('accept-and-save');
      await connect(
        target(l, 'operator'),
        options(l, { knownHostsFiles: [kh], prompter, sshConfigFile: config }),
      );
      const text = readFileSync(kh, 'utf8');
      expect(text).toMatch(/^\|1\|[^ ]+ ssh-ed25519 /);
      expect(text).not.toContain('127.0.0.1');
      const found = execFileSync('ssh-keygen', ['-F', `[${l.ssh.host}]:${l.ssh.port}`, '-f', kh], {
        encoding: 'utf8',
      });
      expect(found).toContain('found: line 1');
    });

    it('unknown → reject refuses; no prompter or StrictHostKeyChecking yes refuse without asking', async () => {
      const kh = tmp('known_hosts');
      const rejecting = hostKeyPrompter('reject');
      await expect(
        SshConnection.connect(
          target(l, 'operator'),
          options(l, { knownHostsFiles: [kh], prompter: rejecting }),
        ),
      ).rejects.toBeInstanceOf(SshHostKeyRejectedError);
      expect(rejecting.calls).toHaveLength(1);
      await expect(
        SshConnection.connect(target(l, 'operator'), options(l, { knownHostsFiles: [kh] })),
      ).rejects.toBeInstanceOf(SshHostKeyUnknownError);
      const config = tmp('config');
      writeFileSync(config, 'Host *\n  StrictHostKeyChecking yes\n');
      const never = hostKeyPrompter('accept-once');
      const strict = SshConnection.connect(
        target(l, 'operator'),
        options(l, { knownHostsFiles: [kh], prompter: never, sshConfigFile: config }),
      );
      await expect(strict).rejects.toThrow(/StrictHostKeyChecking/);
      expect(never.calls).toHaveLength(0);
      expect(existsSync(kh)).toBe(false);
    });

    it('a changed key (another ed25519 key recorded for [127.0.0.1]:2722) is refused without asking', async () => {
      const other = readFileSync(`${newKey('impostor')}.pub`, 'utf8')
        .split(' ')
        .slice(0, 2)
        .join(' ');
      const kh = tmp('known_hosts');
      writeFileSync(kh, `# old entry\n[${l.ssh.host}]:${l.ssh.port} ${other}\n`);
      const prompter = hostKeyPrompter('accept-and-save');
      const error: unknown = await SshConnection.connect(
        target(l, 'root'),
        options(l, { knownHostsFiles: [kh], prompter }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SshHostKeyChangedError);
      const changed = error as SshHostKeyChangedError;
      expect(changed.kind).toBe('changed');
      expect(changed.presentedFingerprint).toBe(l.ssh.hostKeyFingerprint);
      expect(changed.knownEntries).toEqual([
        {
          file: kh,
          line: 2,
          keyType: 'ssh-ed25519',
          fingerprint: expect.stringMatching(/^SHA256:/) as unknown,
        },
      ]);
      expect(changed.message).toContain(`${kh} line 2`);
      expect(changed.message).toContain(l.ssh.hostKeyFingerprint);
      expect(changed.message).toContain(changed.knownEntries[0]?.fingerprint);
      expect(prompter.calls).toHaveLength(0);
      expect(readFileSync(kh, 'utf8')).toContain(other); // never rewritten
    });

    it('a host known only by a key of another type is refused (type mismatch), without asking', async () => {
      const ecdsa = tmp('ecdsa');
      execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', ecdsa]);
      const kh = tmp('known_hosts');
      writeFileSync(
        kh,
        `[${l.ssh.host}]:${l.ssh.port} ${readFileSync(`${ecdsa}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
      );
      const prompter = hostKeyPrompter('accept-once');
      const error = await SshConnection.connect(
        target(l, 'root'),
        options(l, { knownHostsFiles: [kh], prompter }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SshHostKeyChangedError);
      expect((error as SshHostKeyChangedError).kind).toBe('type-mismatch');
      expect(prompter.calls).toHaveLength(0);
    });

    it('a @revoked key is refused even when also listed as known', async () => {
      const kh = tmp('known_hosts');
      writeFileSync(kh, `[${l.ssh.host}]:${l.ssh.port} ${labKeyLine(l)}\n@revoked * ${labKeyLine(l)}\n`);
      const error = await SshConnection.connect(
        target(l, 'root'),
        options(l, { knownHostsFiles: [kh] }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SshHostKeyRevokedError);
      expect((error as Error).message).toContain(`${kh} line 2`);
    });

    it('hashed (ssh-keygen -H) and wildcard entries are honoured', async () => {
      const hashed = tmp('known_hosts');
      copyFileSync(l.ssh.knownHostsFile, hashed);
      execFileSync('ssh-keygen', ['-q', '-H', '-f', hashed], { stdio: 'ignore' });
      expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
      expect(
        (await connect(target(l, 'root'), options(l, { knownHostsFiles: [hashed] }))).info.hostKey.trust,
      ).toBe('known');
      const wild = tmp('known_hosts');
      writeFileSync(wild, `[127.0.0.*]:${l.ssh.port},!bad.example ${labKeyLine(l)}\n`);
      expect(
        (await connect(target(l, 'operator'), options(l, { knownHostsFiles: [wild] }))).info.hostKey.trust,
      ).toBe('known');
    });
  });

  describe('authentication', () => {
    it('an encrypted copy of the lab key: passphrase asked, a wrong one asked again, the right one connects', async () => {
      const key = tmp('id_encrypted');
      copyFileSync(l.accounts.operator.identityFile, key);
      execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'correct horse', '-f', key]);
      const attempts: number[] = [];
      const ssh = await connect(
        target(l, 'operator', { identityFile: key }),
        options(l, {
          prompter: {
            passphrase: (info) => {
              attempts.push(info.attempt);
              expect(info.keyFile).toBe(key);
              return Promise.resolve(
                info.attempt === 1 ? Buffer.from('wrong') : Buffer.from('correct horse'),
              );
            },
          },
        }),
      );
      expect(attempts).toEqual([1, 2]);
      expect(ssh.info.authMethod).toBe('publickey');
      expect((await ssh.run('id -un')).stdout.trim()).toBe(l.accounts.operator.user);

      const declined = await SshConnection.connect(
        target(l, 'operator', { identityFile: key }),
        options(l, { prompter: { passphrase: () => Promise.resolve(null) } }),
      ).catch((e: unknown) => e);
      expect(declined).toBeInstanceOf(SshAuthError);
      expect((declined as SshAuthError).message).toMatch(/passphrase not given/);
    });

    it('a key the server does not know: SshAuthError says what was tried and what the server accepts', async () => {
      const key = newKey('stranger');
      const error = await SshConnection.connect(
        target(l, 'operator', { identityFile: key }),
        options(l),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SshAuthError);
      const auth = error as SshAuthError;
      expect(auth.serverMethods).toEqual(['publickey']);
      expect(auth.tried.join(' ')).toContain(key);
      expect(auth.message).toMatch(/^Permission denied for virtdeck@127\.0\.0\.1:2722/);
    });

    describe('ssh-agent', () => {
      let agent: ChildProcess | null = null;
      const sock = join(mkdtempSync(join(tmpdir(), 'virtdeck-agent-')), 'agent.sock');
      beforeAll(async () => {
        agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
        for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
        execFileSync('ssh-add', ['-q', l.accounts.root.identityFile, l.accounts.operator.identityFile], {
          env: { ...process.env, SSH_AUTH_SOCK: sock },
          stdio: 'ignore',
        });
      });
      afterAll(() => {
        agent?.kill();
      });

      it.each(ACCOUNTS)(
        '%s: connects with keys from a real ssh-agent and no identity file',
        async (account) => {
          const t = target(l, account);
          delete t.identityFile;
          const ssh = await connect(t, options(l, { agent: sock }));
          expect(ssh.info.authMethod).toBe('publickey');
          expect((await ssh.run('id -un')).stdout.trim()).toBe(l.accounts[account].user);
        },
      );

      it('finds the agent through SSH_AUTH_SOCK; an encrypted key file loaded in the agent needs no passphrase', async () => {
        const key = tmp('id_encrypted');
        copyFileSync(l.accounts.root.identityFile, key);
        execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'never asked', '-f', key]);
        let asked = 0;
        const base = options(l, {
          prompter: {
            passphrase: () => {
              asked++;
              return Promise.resolve(null);
            },
          },
        });
        delete base.agent;
        const ssh = await connect(target(l, 'root', { identityFile: key }), {
          ...base,
          environment: {
            ...(await import('../../main/ssh')).defaultSshEnvironment(),
            env: { SSH_AUTH_SOCK: sock },
          },
        });
        expect(asked).toBe(0);
        expect((await ssh.run('id -u')).stdout.trim()).toBe('0');
      });
    });
  });

  describe('channels over one connection', () => {
    let ssh: SshConnection;
    beforeAll(async () => {
      ssh = await connect(target(l, 'operator'), options(l));
    });

    it('run: exit codes, stdout, stderr, stdin, signals', async () => {
      expect(await ssh.run('echo out; echo err >&2; exit 3')).toMatchObject({
        code: 3,
        signal: null,
        stdout: 'out\n',
        stderr: 'err\n',
      });
      expect((await ssh.run('cat', { stdin: 'hello\nworld' })).stdout).toBe('hello\nworld');
      expect(await ssh.run('kill -TERM $$')).toMatchObject({ code: null, signal: 'SIGTERM' });
      const big = await ssh.run('head -c 3000000 /dev/zero');
      expect(big.stdoutBuffer.length).toBe(3_000_000);
    });

    it('exec: a streaming Duplex with exit status', async () => {
      const ch = await ssh.exec('tr a-z A-Z; echo done >&2; exit 7');
      const out: Buffer[] = [];
      ch.on('data', (b: Buffer) => out.push(b));
      ch.write('abc');
      ch.end('def\n');
      const status = await ch.exitStatus;
      expect(Buffer.concat(out).toString()).toBe('ABCDEF\n');
      expect(status).toEqual({ code: 7, signal: null, stderr: 'done\n', connectionLost: false });
    });

    it('run honours timeoutMs and AbortSignal: rejects at once and KILLs the remote command', async () => {
      const started = Date.now();
      await expect(ssh.run('sleep 31.5', { timeoutMs: 200 })).rejects.toBeInstanceOf(SshTimeoutError);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      await expect(ssh.run('sleep 31.25', { signal: ac.signal })).rejects.toBeInstanceOf(SshCancelledError);
      expect(Date.now() - started).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 300));
      const left = await ssh.run(`pgrep -u ${l.accounts.operator.user} -f '^sleep 31\\.(5|25)$' || true`);
      expect(left.stdout).toBe('');
      expect(ssh.sessionUsage).toEqual({ open: 0, waiting: 0 });
    });

    it('openUnixSocket reaches the libvirt socket; a missing socket is a clear channel error', async () => {
      const s = await ssh.openUnixSocket('/var/run/libvirt/libvirt-sock');
      expect(s.writable).toBe(true);
      s.destroy();
      const error = await ssh.openUnixSocket('/var/run/libvirt/no-such-sock').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SshChannelOpenError);
      expect((error as SshChannelOpenError).reasonCode).toBe(2);
      expect((error as Error).message).toContain('/var/run/libvirt/no-such-sock');
    });

    it('forwardTcp to a TCP server started by the test (echo), and a refused port', async () => {
      const server: Server = createServer((socket) => socket.pipe(socket));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as AddressInfo;
      try {
        const s = await ssh.forwardTcp('127.0.0.1', port);
        const reply = new Promise<string>((resolve) => {
          let text = '';
          s.on('data', (b: Buffer) => {
            text += b.toString();
            if (text.length >= 5) resolve(text);
          });
        });
        s.write('hello');
        expect(await reply).toBe('hello');
        s.end();
      } finally {
        server.close();
      }
      const error = await ssh.forwardTcp('127.0.0.1', port).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SshChannelOpenError);
      expect((error as SshChannelOpenError).reasonCode).toBe(2);
    });

    it('sftp: reads a file; the session is shared', async () => {
      const sftp = await ssh.sftp();
      expect(await ssh.sftp()).toBe(sftp);
      const labJson = join(l.stateDir, 'lab.json');
      const content = await new Promise<Buffer>((resolve, reject) =>
        sftp.readFile(labJson, (err, data) => (err ? reject(err) : resolve(data))),
      );
      expect(content.toString('utf8')).toBe(readFileSync(labJson, 'utf8'));
    });

    it('20 execs in parallel over ONE connection (queued beyond MaxSessions 10), plus tunnels at the same time', async () => {
      const before = acceptedLogins();
      const one = await SshConnection.connect(target(l, 'operator'), options(l));
      open.push(one);
      const started = Date.now();
      const results = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => one.run(`sleep 0.2; echo ${i}`)),
        ...Array.from({ length: 5 }, () => one.openUnixSocket('/var/run/libvirt/libvirt-sock')),
      ]);
      const elapsed = Date.now() - started;
      results.slice(0, 20).forEach((r, i) => expect(r).toMatchObject({ code: 0, stdout: `${i}\n` }));
      for (const s of results.slice(20)) (s as { destroy(): void }).destroy();
      expect(one.sessionUsage).toEqual({ open: 0, waiting: 0 });
      // 20 × 0.2 s in two waves of 10 (20 serial runs would take > 4 s).
      expect(elapsed).toBeLessThan(3500);
      await new Promise((r) => setTimeout(r, 200));
      expect(acceptedLogins() - before).toBe(1);
    });
  });

  describe('failures, timeouts, cancellation, close', () => {
    let blackhole: Server;
    let blackholePort = 0;
    beforeAll(async () => {
      blackhole = createServer(() => {
        // accepts and never speaks
      });
      await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
      blackholePort = (blackhole.address() as AddressInfo).port;
    });
    afterAll(() => {
      blackhole.close();
    });

    it('connect timeout against a server that accepts and never speaks', async () => {
      const started = Date.now();
      const error = await SshConnection.connect(
        target(l, 'root', { port: blackholePort }),
        options(l, { connectTimeoutMs: 500 }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SshTimeoutError);
      expect((error as SshTimeoutError).stage).toBe('handshake');
      expect((error as Error).message).toContain(`127.0.0.1:${blackholePort}`);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('cancel via AbortSignal (during the handshake, and during a prompt)', async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 150);
      const started = Date.now();
      await expect(
        SshConnection.connect(target(l, 'root', { port: blackholePort }), options(l, { signal: ac.signal })),
      ).rejects.toBeInstanceOf(SshCancelledError);
      expect(Date.now() - started).toBeLessThan(1500);

      const ac2 = new AbortController();
      let promptSignal: AbortSignal | null = null;
      const pending = SshConnection.connect(
        target(l, 'root'),
        options(l, {
          knownHostsFiles: [tmp('known_hosts')],
          signal: ac2.signal,
          prompter: {
            hostKeyUnknown: (_info, context) => {
              promptSignal = context.signal;
              setTimeout(() => ac2.abort(), 50);
              return new Promise<HostKeyDecision>(() => {}); // a user who never answers
            },
          },
        }),
      );
      await expect(pending).rejects.toBeInstanceOf(SshCancelledError);
      expect((promptSignal as AbortSignal | null)?.aborted).toBe(true);

      const already = new AbortController();
      already.abort();
      await expect(
        SshConnection.connect(target(l, 'root'), options(l, { signal: already.signal })),
      ).rejects.toBeInstanceOf(SshCancelledError);
    });

    it('promptTimeoutMs bounds a prompt nobody answers', async () => {
      const error = await SshConnection.connect(
        target(l, 'root'),
        options(l, {
          knownHostsFiles: [tmp('known_hosts')],
          promptTimeoutMs: 200,
          prompter: { hostKeyUnknown: () => new Promise<HostKeyDecision>(() => {}) },
        }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SshTimeoutError);
      expect((error as SshTimeoutError).stage).toBe('prompt');
    });

    it('the connect timeout does not run while the user is being asked', async () => {
      const ssh = await connect(
        target(l, 'root'),
        options(l, {
          knownHostsFiles: [tmp('known_hosts')],
          connectTimeoutMs: 300,
          prompter: {
            hostKeyUnknown: () =>
              new Promise<HostKeyDecision>((r) => setTimeout(() => r('accept-once'), 900)),
          },
        }),
      );
      expect(ssh.info.hostKey.trust).toBe('accepted-once');
    });

    it('unreachable: refused port and unknown host name, with host:port in the message', async () => {
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const { port } = probe.address() as AddressInfo;
      await new Promise<void>((r) => probe.close(() => r()));
      const refused = await SshConnection.connect(target(l, 'root', { port }), options(l)).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(SshUnreachableError);
      expect((refused as SshUnreachableError).syscallCode).toBe('ECONNREFUSED');
      expect((refused as Error).message).toContain(`127.0.0.1:${port}`);
      const unknown = await SshConnection.connect(
        target(l, 'root', { host: 'no-such-host.invalid' }),
        options(l),
      ).catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(SshUnreachableError);
      expect(['ENOTFOUND', 'EAI_AGAIN']).toContain((unknown as SshUnreachableError).syscallCode);
    });

    it("'close' carries the reason: requested, or the server going away (and running commands fail)", async () => {
      const a = await SshConnection.connect(target(l, 'operator'), options(l));
      const reasonA = new Promise((r) => a.once('close', r));
      await a.close();
      expect(await reasonA).toEqual({ kind: 'requested', message: 'closed by VirtDeck' });
      expect(a.closed).toBe(true);
      await expect(a.run('true')).rejects.toMatchObject({ code: 'not-connected' });

      const b = await SshConnection.connect(target(l, 'operator'), options(l));
      const reasonB = new Promise((r) => b.once('close', r));
      await expect(b.run('kill -9 $PPID; sleep 5')).rejects.toMatchObject({ code: 'disconnected' });
      // TCP FIN ('ended') or RST ('error', ECONNRESET), depending on timing.
      expect(['ended', 'error']).toContain(((await reasonB) as { kind: string }).kind);
    });
  });

  it('timing: median connect (TCP + handshake + publickey) and channel-open times', async () => {
    const connects: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const c = await SshConnection.connect(target(l, 'operator'), options(l));
      connects.push(performance.now() - started);
      await c.close();
    }
    // The operator: root's ~/.bashrc on some machines (pyenv, …) adds ~150 ms to every command.
    const ssh = await connect(target(l, 'operator'), options(l));
    const execs: number[] = [];
    const runs: number[] = [];
    const sockets: number[] = [];
    const tcps: number[] = [];
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    for (let i = 0; i < 10; i++) {
      let t = performance.now();
      const ch = await ssh.exec('cat');
      execs.push(performance.now() - t);
      ch.end();
      await ch.exitStatus;
      t = performance.now();
      await ssh.run('true');
      runs.push(performance.now() - t);
      t = performance.now();
      const s = await ssh.openUnixSocket('/var/run/libvirt/libvirt-sock');
      sockets.push(performance.now() - t);
      s.destroy();
      t = performance.now();
      const f = await ssh.forwardTcp('127.0.0.1', port);
      tcps.push(performance.now() - t);
      f.destroy();
    }
    server.close();
    const report = {
      connectMedianMs: +median(connects).toFixed(1),
      connectMinMaxMs: [+Math.min(...connects).toFixed(1), +Math.max(...connects).toFixed(1)],
      execOpenMedianMs: +median(execs).toFixed(2),
      runTrueMedianMs: +median(runs).toFixed(2),
      streamLocalOpenMedianMs: +median(sockets).toFixed(2),
      directTcpOpenMedianMs: +median(tcps).toFixed(2),
    };
    console.log(`ssh timing: ${JSON.stringify(report)}`);
    expect(report.connectMedianMs).toBeLessThan(2000);
  });
});
