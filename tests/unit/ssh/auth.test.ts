/**
 * The authentication plan without a server: OpenSSH's key order (agent keys matching identity files,
 * other agent keys unless IdentitiesOnly, then files), lazy passphrase prompts with retries, zeroing of
 * Buffer secrets, password attempts, and the failure summary.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyAuthMethod, AuthenticationType, BaseAgent, ParsedKey } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { SshAuthSession, type AuthSessionOptions } from '../../../main/ssh/auth';
import type { SshPrompter } from '../../../main/ssh/prompter';
import { Ssh2BaseAgent, ssh2ParseKey } from '../../../main/ssh/ssh2-runtime';

const dir = mkdtempSync(join(tmpdir(), 'virtdeck-auth-'));

function keygen(name: string, passphrase = ''): { path: string; pub: ParsedKey } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', path]);
  const pub = ssh2ParseKey(readFileSync(`${path}.pub`));
  if (pub instanceof Error) throw pub;
  return { path, pub };
}

const k1 = keygen('k1');
const k2 = keygen('k2', 'right horse');
const k3 = keygen('k3');
const other = keygen('agent-only');

class FakeAgent extends Ssh2BaseAgent<ParsedKey> {
  constructor(private readonly keys: ParsedKey[]) {
    super();
  }
  getIdentities(cb: (err: Error | null, keys?: ParsedKey[]) => void): void {
    cb(null, this.keys);
  }
  sign(
    _pub: ParsedKey,
    _data: Buffer,
    _options: object,
    cb?: (err: Error | null, sig?: Buffer) => void,
  ): void {
    cb?.(new Error('fake agent does not sign'));
  }
}

function session(
  overrides: Partial<AuthSessionOptions> & { identityFiles: string[]; identitiesOnly?: boolean },
) {
  const { identityFiles, identitiesOnly, ...rest } = overrides;
  return new SshAuthSession({
    user: 'root',
    host: 'kvm1',
    port: 22,
    resolved: {
      identityFiles,
      identityFilesConfigured: true,
      identitiesOnly: identitiesOnly ?? false,
      preferredAuthentications: ['publickey', 'keyboard-interactive', 'password'],
      pubkeyAuthentication: true,
      passwordAuthentication: true,
      kbdInteractiveAuthentication: true,
      numberOfPasswordPrompts: 3,
      batchMode: false,
    },
    agent: null,
    prompter: {},
    ask: (question) => question({ signal: new AbortController().signal }),
    home: dir,
    ...rest,
  });
}

/** Drives the ssh2 authHandler: first call (null) then with the server's methods. */
function nextMethod(s: SshAuthSession, methods: AuthenticationType[] | null): Promise<AnyAuthMethod | false> {
  return new Promise((resolve) =>
    s.handler(methods, false, resolve as (m: AnyAuthMethod | AuthenticationType) => void),
  );
}

async function ringOrder(s: SshAuthSession): Promise<string[]> {
  expect(await nextMethod(s, null)).toMatchObject({ type: 'none', username: 'root' });
  const method = await nextMethod(s, ['publickey', 'password']);
  if (method === false || method.type !== 'agent')
    throw new Error(`expected the key ring, got ${JSON.stringify(method)}`);
  const ring = method.agent as BaseAgent<ParsedKey>;
  const keys = await new Promise<ParsedKey[]>((resolve, reject) =>
    ring.getIdentities((err, list) => (err ? reject(err) : resolve((list ?? []) as ParsedKey[]))),
  );
  const names = new Map(
    [k1, k2, k3, other].map((k) => [k.pub.getPublicSSH().toString('base64'), k.pub.comment]),
  );
  return keys.map((k) => names.get(k.getPublicSSH().toString('base64')) ?? '?');
}

describe('key order (OpenSSH pubkey_prepare)', () => {
  it('agent keys matching files (file order), other agent keys, then files not in the agent', async () => {
    const s = session({
      identityFiles: [k1.path, k2.path, k3.path],
      agent: new FakeAgent([other.pub, k2.pub, k1.pub]),
    });
    await s.prepare();
    expect(await ringOrder(s)).toEqual(['k1', 'k2', 'agent-only', 'k3']);
    s.dispose();
  });

  it('IdentitiesOnly drops agent keys that match no identity file', async () => {
    const s = session({
      identityFiles: [k1.path, k2.path, k3.path],
      identitiesOnly: true,
      agent: new FakeAgent([other.pub, k2.pub, k1.pub]),
    });
    await s.prepare();
    expect(await ringOrder(s)).toEqual(['k1', 'k2', 'k3']);
  });

  it('an encrypted key offers its public half without asking (the passphrase comes later)', async () => {
    let asked = 0;
    const s = session({
      identityFiles: [k2.path, join(dir, 'missing')],
      prompter: { passphrase: () => Promise.resolve(String(++asked)) },
    });
    await s.prepare();
    expect(await ringOrder(s)).toEqual(['k2']);
    expect(asked).toBe(0);
  });
});

describe('passphrases', () => {
  async function ringFor(prompter: SshPrompter) {
    const s = session({ identityFiles: [k2.path], prompter });
    await s.prepare();
    await nextMethod(s, null);
    const method = await nextMethod(s, ['publickey']);
    if (method === false || method.type !== 'agent') throw new Error('no ring');
    const ring = method.agent as BaseAgent<ParsedKey>;
    const [key] = await new Promise<ParsedKey[]>((resolve) =>
      ring.getIdentities((_e, l) => resolve((l ?? []) as ParsedKey[])),
    );
    if (!key) throw new Error('no key');
    const sign = () =>
      new Promise<Buffer>((resolve, reject) =>
        ring.sign(key, Buffer.from('challenge'), {}, (err, sig) =>
          err || !sig ? reject(err ?? new Error('no sig')) : resolve(sig),
        ),
      );
    return { s, key, sign };
  }

  it('asks again after a wrong passphrase, signs with the right one, zeroes Buffer answers', async () => {
    const answers = [Buffer.from('wrong'), Buffer.from('right horse')];
    const attempts: number[] = [];
    const { key, sign } = await ringFor({
      passphrase: (info) => {
        attempts.push(info.attempt);
        expect(info.keyFile).toBe(k2.path);
        expect(info.fingerprint).toMatch(/^SHA256:/);
        return Promise.resolve(answers[info.attempt - 1] ?? null);
      },
    });
    const signature = await sign();
    expect(attempts).toEqual([1, 2]);
    expect(key.verify(Buffer.from('challenge'), signature)).toBe(true);
    expect(answers.every((b) => b.every((byte) => byte === 0))).toBe(true);
  });

  it('gives up after 3 wrong passphrases or when the user declines; the summary says why', async () => {
    let asked = 0;
    const wrong = await ringFor({ passphrase: () => Promise.resolve(`nope${++asked}`) });
    await expect(wrong.sign()).rejects.toThrow(/wrong passphrase \(3×\)/);
    expect(asked).toBe(3);
    await expect(wrong.sign()).rejects.toThrow(); // never asked again during this connect
    expect(asked).toBe(3);
    expect(wrong.s.tried().join(' ')).toMatch(/k2 \(wrong passphrase \(3×\)\)/);

    const declined = await ringFor({ passphrase: () => Promise.resolve(null) });
    await expect(declined.sign()).rejects.toThrow(/passphrase not given/);
  });
});

describe('password and keyboard-interactive', () => {
  it('follows the server: no publickey offered → password, up to 3 attempts, then gives up', async () => {
    const asked: number[] = [];
    const s = session({
      identityFiles: [k1.path],
      prompter: {
        password: (info) => {
          asked.push(info.attempt);
          return Promise.resolve(Buffer.from(`pw${info.attempt}`));
        },
      },
    });
    await s.prepare();
    await nextMethod(s, null);
    for (let i = 1; i <= 3; i++) {
      const m = await nextMethod(s, ['password']);
      expect(m).toMatchObject({ type: 'password', username: 'root' });
    }
    expect(await nextMethod(s, ['password'])).toBe(false);
    expect(asked).toEqual([1, 2, 3]);
    expect(s.tried()).toEqual(['password (3×)']);
    expect(s.serverMethods).toEqual(['password']);
  });

  it('keyboard-interactive comes before password and passes prompts through', async () => {
    const s = session({
      identityFiles: [],
      prompter: {
        keyboardInteractive: (info) => {
          expect(info.prompts).toEqual([{ prompt: 'Password: ', echo: false }]);
          return Promise.resolve(['secret']);
        },
        password: () => Promise.resolve('unused'),
      },
    });
    await s.prepare();
    await nextMethod(s, null);
    const m = await nextMethod(s, ['keyboard-interactive', 'password']);
    if (m === false || m.type !== 'keyboard-interactive') throw new Error('expected keyboard-interactive');
    const answers = await new Promise<string[]>((resolve) =>
      m.prompt('', '', '', [{ prompt: 'Password: ', echo: false }], resolve),
    );
    expect(answers).toEqual(['secret']);
  });

  it('no prompter: password and keyboard-interactive are not planned at all', async () => {
    const s = session({ identityFiles: [] });
    await s.prepare();
    await nextMethod(s, null);
    expect(await nextMethod(s, ['password', 'keyboard-interactive'])).toBe(false);
  });
});
