/**
 * ~/.ssh/config resolution: OpenSSH semantics, cross-checked against `ssh -G` (OpenSSH's own resolver)
 * where it prints the value, with fixed expectations for what it does not print expanded (tokens).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SshConfigError } from '../../../main/ssh/errors';
import {
  defaultSshEnvironment,
  expandTokens,
  formatProxyJump,
  listConfiguredHosts,
  parseJumpHop,
  parseProxyJump,
  resolveSshTarget,
  sshConfigSources,
  type SshEnvironment,
  type SshTarget,
} from '../../../main/ssh/ssh-config';

const hasSsh = spawnSync('ssh', ['-V']).error === undefined;

function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'virtdeck-home-'));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  return home;
}

function fakeEnv(home: string, extra: Partial<SshEnvironment> = {}): SshEnvironment {
  return {
    home,
    localUser: 'tester',
    uid: 1000,
    localHostname: 'laptop.example.org',
    env: { SSH_AUTH_SOCK: '/tmp/agent.sock', KEYDIR: '/keys' },
    platform: 'linux',
    ...extra,
  };
}

function resolveWith(config: string, target: SshTarget | string, env?: SshEnvironment) {
  const home = env?.home ?? tempHome();
  const file = join(home, '.ssh', 'config');
  writeFileSync(file, config);
  const environment = env ?? fakeEnv(home);
  return resolveSshTarget(typeof target === 'string' ? { host: target } : target, {
    sources: sshConfigSources(file, environment),
    environment,
  });
}

describe('resolveSshTarget: basics', () => {
  it('applies defaults without a config', () => {
    const home = tempHome();
    const r = resolveSshTarget({ host: 'kvm1' }, { sources: [], environment: fakeEnv(home) });
    expect(r).toMatchObject({
      alias: 'kvm1',
      hostName: 'kvm1',
      port: 22,
      user: 'tester',
      identityFilesConfigured: false,
      proxyJump: [],
      proxyCommand: null,
      strictHostKeyChecking: 'ask',
      userKnownHostsFiles: [join(home, '.ssh/known_hosts'), join(home, '.ssh/known_hosts2')],
      globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      preferredAuthentications: ['publickey', 'keyboard-interactive', 'password'],
      numberOfPasswordPrompts: 3,
    });
    expect(r.identityFiles).toEqual(
      ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((n) =>
        join(home, '.ssh', n),
      ),
    );
  });

  it('first obtained value wins; Host patterns with wildcards and negation; case-insensitive keywords', () => {
    const config = `
Host kvm-* !kvm-secret
  user ops
  PORT 2201
Host kvm-1
  User ignored-because-later
  HostName=10.0.0.1
Host *
  User fallback
  Port 22
`;
    expect(resolveWith(config, 'kvm-1')).toMatchObject({ hostName: '10.0.0.1', user: 'ops', port: 2201 });
    expect(resolveWith(config, 'KVM-2')).toMatchObject({ hostName: 'KVM-2', user: 'ops', port: 2201 });
    expect(resolveWith(config, 'kvm-secret')).toMatchObject({ user: 'fallback', port: 22 });
  });

  it('explicit target fields override the config (like command-line options); -i keys come first', () => {
    const config = `
Host lab
  HostName 192.0.2.7
  User configured
  Port 2222
  IdentityFile /keys/from-config
  ProxyJump jump.example
`;
    const r = resolveWith(config, {
      host: 'lab',
      user: 'me',
      port: 2722,
      identityFile: '/keys/explicit',
      proxyJump: 'none',
    });
    expect(r).toMatchObject({ hostName: '192.0.2.7', user: 'me', port: 2722, proxyJump: [] });
    expect(r.identityFiles).toEqual(['/keys/explicit', '/keys/from-config']);
  });

  it('IdentityFile accumulates across matching blocks, with ~, ${ENV} and %-tokens expanded', () => {
    const home = tempHome();
    const config = `
Host box
  HostName box.example.net
  User root
  Port 2200
  IdentityFile ~/.ssh/id_box
  IdentityFile \${KEYDIR}/%h_%r_%p_%n_%u_%l_%L_%i
  IdentityFile "/keys/with space/%%literal"
Host *
  IdentityFile %d/.ssh/common
  UserKnownHostsFile ~/.ssh/kh_%k /abs/%C
`;
    const r = resolveWith(config, 'box', fakeEnv(home));
    expect(r.identityFiles).toEqual([
      join(home, '.ssh/id_box'),
      '/keys/box.example.net_root_2200_box_tester_laptop.example.org_laptop_1000',
      '/keys/with space/%literal',
      join(home, '.ssh/common'),
    ]);
    expect(r.userKnownHostsFiles[0]).toBe(join(home, '.ssh/kh_box.example.net'));
    // %C: sha1 of %l%h%p%r%j, as OpenSSH computes it.
    expect(r.userKnownHostsFiles[1]).toMatch(/^\/abs\/[0-9a-f]{40}$/);
  });

  it('HostName %h; HostKeyAlias in %k; ProxyCommand tokens', () => {
    const config = `
Host short
  HostName %h.lab.example
  HostKeyAlias aliased
  IdentityFile /k/%k
Host via-command
  ProxyCommand ssh -W %h:%p %r@gateway
  Port 2022
`;
    const r = resolveWith(config, 'short');
    expect(r.hostName).toBe('short.lab.example');
    expect(r.hostKeyAlias).toBe('aliased');
    expect(r.identityFiles).toEqual(['/k/aliased']);
    expect(resolveWith(config, 'via-command').proxyCommand).toBe('ssh -W via-command:2022 tester@gateway');
  });

  it('unknown %-tokens and unset ${ENV} are errors, like OpenSSH', () => {
    expect(() => resolveWith('IdentityFile /k/%Z\n', 'x')).toThrow(SshConfigError);
    expect(() => resolveWith('IdentityFile ${NOPE_NOT_SET}/k\n', 'x')).toThrow(/NOPE_NOT_SET/);
    expect(expandTokens('100%%', {})).toBe('100%');
  });

  it('yes/no options, lists and `none`', () => {
    const config = `
Host a
  StrictHostKeyChecking accept-new
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile none
  ConnectTimeout 7
  ServerAliveInterval 30
  ServerAliveCountMax 4
  BatchMode yes
  PreferredAuthentications password,publickey,gssapi-with-mic
  PasswordAuthentication no
  KbdInteractiveAuthentication no
  NumberOfPasswordPrompts 1
  HashKnownHosts yes
Host b
  StrictHostKeyChecking no
  IdentityAgent ~/agent.sock
Host c
  StrictHostKeyChecking yes
  IdentityAgent SSH_AUTH_SOCK
`;
    expect(resolveWith(config, 'a')).toMatchObject({
      strictHostKeyChecking: 'accept-new',
      identitiesOnly: true,
      identityAgent: null,
      userKnownHostsFiles: [],
      connectTimeoutMs: 7000,
      serverAliveIntervalMs: 30000,
      serverAliveCountMax: 4,
      batchMode: true,
      preferredAuthentications: ['password', 'publickey'],
      passwordAuthentication: false,
      kbdInteractiveAuthentication: false,
      numberOfPasswordPrompts: 1,
      hashKnownHosts: true,
    });
    const home = tempHome();
    expect(resolveWith(config, 'b', fakeEnv(home))).toMatchObject({
      strictHostKeyChecking: 'no',
      identityAgent: join(home, 'agent.sock'),
    });
    expect(resolveWith(config, 'c')).toMatchObject({
      strictHostKeyChecking: 'yes',
      identityAgent: undefined,
    });
  });
});

describe('resolveSshTarget: Match', () => {
  it('host, originalhost, user, localuser, all, negation; exec is never run and never applies', () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'virtdeck-exec-')), 'ran');
    const config = `
Host web
  HostName web.internal.example
Match exec "touch ${marker}"
  User exec-user
Match originalhost web user deploy
  Port 2200
Match host *.internal.example !localuser nobody
  IdentityFile /k/internal
Match localuser tester
  HostKeyAlias local-tester
Match all
  User everyone
`;
    const r = resolveWith(config, { host: 'web', user: 'deploy' });
    expect(r).toMatchObject({
      hostName: 'web.internal.example',
      user: 'deploy',
      port: 2200,
      hostKeyAlias: 'local-tester',
    });
    expect(r.identityFiles).toEqual(['/k/internal']);
    expect(existsSync(marker)).toBe(false);
    expect(resolveWith(config, 'web')).toMatchObject({ user: 'everyone', port: 22 });
  });

  it('Match final applies in a second pass (first values still win)', () => {
    const config = `
Host x
  HostName x.example
Match final host x.example
  User final-user
  Port 2202
Host *
  Port 22
`;
    expect(resolveWith(config, 'x')).toMatchObject({ user: 'final-user', port: 22 });
  });

  it('Match canonical and unknown criteria do not break parsing', () => {
    const config = `
Match canonical
  User canon
Match tagged foo
  User tagged
Match localnetwork 10.0.0.0/8
  User net
Host *
  User ok
`;
    expect(resolveWith(config, 'h').user).toBe('ok');
  });
});

describe('resolveSshTarget: Include', () => {
  it('relative to ~/.ssh, with globs, inside Host blocks too', () => {
    const home = tempHome();
    mkdirSync(join(home, '.ssh', 'conf.d'));
    writeFileSync(
      join(home, '.ssh', 'conf.d', '10-lab.conf'),
      'Host lab\n  HostName 192.0.2.10\n  User labuser\n',
    );
    writeFileSync(join(home, '.ssh', 'conf.d', '20-other.conf'), 'Host lab other\n  Port 2201\n');
    writeFileSync(join(home, '.ssh', 'conf.d', 'ignored.txt'), 'Host lab\n  Port 9999\n');
    writeFileSync(join(home, '.ssh', 'only-for-kvm'), 'User kvmuser\n');
    const config = `
Include conf.d/*.conf
Host kvm*
  Include only-for-kvm
Host *
  User default
`;
    expect(resolveWith(config, 'lab', fakeEnv(home))).toMatchObject({
      hostName: '192.0.2.10',
      user: 'labuser',
      port: 2201,
    });
    expect(resolveWith(config, 'kvm3', fakeEnv(home))).toMatchObject({ user: 'kvmuser', port: 22 });
    expect(resolveWith(config, 'web', fakeEnv(home))).toMatchObject({ user: 'default' });
  });

  it('an Include loop is an error, not a hang', () => {
    const home = tempHome();
    writeFileSync(join(home, '.ssh', 'loop'), 'Include loop\n');
    expect(() => resolveWith('Include loop\n', 'x', fakeEnv(home))).toThrow(/too deeply/);
  });
});

describe('ProxyJump', () => {
  it('parses user@host:port lists, ssh:// URIs, IPv6 and none', () => {
    expect(parseProxyJump('bob@bastion.example:2200,alias1')).toEqual([
      { user: 'bob', host: 'bastion.example', port: 2200 },
      { host: 'alias1' },
    ]);
    expect(parseProxyJump('ssh://alice@[2001:db8::1]:2222')).toEqual([
      { user: 'alice', host: '2001:db8::1', port: 2222 },
    ]);
    expect(parseJumpHop('[::1]')).toEqual({ host: '::1' });
    expect(parseJumpHop('fe80::1')).toEqual({ host: 'fe80::1' });
    expect(parseProxyJump('none')).toEqual([]);
    expect(() => parseProxyJump('a,,b')).toThrow(SshConfigError);
    expect(() => parseProxyJump('host:99999')).toThrow(/out of range/);
    expect(() => parseProxyJump('h;rm -rf /')).toThrow(SshConfigError);
    expect(formatProxyJump(parseProxyJump('u@h:1,[::1]:2,x'))).toBe('u@h:1,[::1]:2,x');
  });

  it('comes from the config (first value wins; ProxyCommand after it is ignored)', () => {
    const config = `
Host target
  ProxyJump hop1,u2@hop2:2022
  ProxyCommand nc %h %p
Host hop2
  ProxyJump ignored-when-chained
`;
    const r = resolveWith(config, 'target');
    expect(r.proxyJump).toEqual([{ host: 'hop1' }, { user: 'u2', host: 'hop2', port: 2022 }]);
    expect(r.proxyJumpText).toBe('hop1,u2@hop2:2022');
    expect(r.proxyCommand).toBeNull();
  });
});

describe('listConfiguredHosts', () => {
  it('lists concrete Host aliases', () => {
    const home = tempHome();
    const file = join(home, '.ssh', 'config');
    writeFileSync(file, 'Host a b *.c !d\n  User x\nHost e\n  User y\nMatch all\n  User z\n');
    expect(
      listConfiguredHosts({ sources: sshConfigSources(file, fakeEnv(home)), environment: fakeEnv(home) }),
    ).toEqual(['a', 'b', 'e']);
  });
});

describe.skipIf(!hasSsh)('agrees with `ssh -G` (OpenSSH resolving the same file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'virtdeck-sshg-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    `
Host alias1
  HostName real1.example.net
  User alice
  Port 2201
  IdentityFile /keys/one
  IdentityFile /keys/two
Host *.wild !skip.wild
  User wilduser
  Port 2300
Host tok
  HostName %h.tokens.example
Host jumpy
  HostName 10.0.0.5
  ProxyJump bob@bastion.example:2200,alias1
Host first second
  Port 2400
Host first
  Port 9999
  User firstuser
Match originalhost matchme
  User matched
Match host *.matched.example
  Port 2500
Host strict
  StrictHostKeyChecking yes
  UserKnownHostsFile /kh/one ~/kh/two
  ConnectTimeout 7
  IdentitiesOnly yes
  HostKeyAlias strict-alias
Host *
  User defaultuser
  IdentityFile /keys/all
`,
  );
  const aliases = [
    'alias1',
    'a.wild',
    'skip.wild',
    'tok',
    'jumpy',
    'first',
    'second',
    'matchme',
    'x.matched.example',
    'strict',
    'plain',
  ];

  it.each(aliases)('%s', (alias) => {
    const out = spawnSync('ssh', ['-G', '-F', file, alias], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    const g = new Map<string, string[]>();
    for (const line of out.stdout.split('\n')) {
      const sp = line.indexOf(' ');
      if (sp < 0) continue;
      const k = line.slice(0, sp);
      g.set(k, [...(g.get(k) ?? []), line.slice(sp + 1)]);
    }
    const environment = defaultSshEnvironment();
    const r = resolveSshTarget(
      { host: alias },
      { sources: sshConfigSources(file, environment), environment },
    );
    expect(r.hostName).toBe(g.get('hostname')?.[0]);
    expect(r.user).toBe(g.get('user')?.[0]);
    expect(String(r.port)).toBe(g.get('port')?.[0]);
    expect(r.proxyJumpText ?? undefined).toBe(g.get('proxyjump')?.[0]);
    expect(r.userKnownHostsFiles.join(' ')).toBe(g.get('userknownhostsfile')?.[0]);
    expect(r.identitiesOnly ? 'yes' : 'no').toBe(g.get('identitiesonly')?.[0]);
    expect(r.connectTimeoutMs === null ? 'none' : String(r.connectTimeoutMs / 1000)).toBe(
      g.get('connecttimeout')?.[0],
    );
    const strict = g.get('stricthostkeychecking')?.[0];
    expect(r.strictHostKeyChecking).toBe(strict === 'true' ? 'yes' : strict === 'false' ? 'no' : strict);
    expect(r.hostKeyAlias ?? undefined).toBe(g.get('hostkeyalias')?.[0]);
    // ssh -G prints identity files unexpanded; ours are expanded (no tokens in this file).
    expect(r.identityFiles).toEqual(g.get('identityfile'));
  });
});
