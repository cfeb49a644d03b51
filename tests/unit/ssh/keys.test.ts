/** Fingerprints and key text, checked against `ssh-keygen -lf` on freshly generated keys. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatPublicKey,
  inspectOpenSshPrivateKey,
  keyTypeLabel,
  keyTypeOfBlob,
  md5Fingerprint,
  parsePublicKeyText,
  sha256Fingerprint,
} from '../../../main/ssh/keys';
import { matchPattern, matchPatternList } from '../../../main/ssh/patterns';
import { shellJoin, shellQuote } from '../../../main/ssh/shell-quote';

const hasSshKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined;
const dir = mkdtempSync(join(tmpdir(), 'virtdeck-keys-'));

describe.skipIf(!hasSshKeygen)('fingerprints identical to ssh-keygen -lf', () => {
  const cases: Array<[string, string[]]> = [
    ['ed25519', []],
    ['rsa', ['-b', '2048']],
    ['ecdsa', ['-b', '256']],
    ['ecdsa', ['-b', '384']],
    ['ecdsa', ['-b', '521']],
  ];
  it.each(cases)('%s %j', (type, extra) => {
    const path = join(dir, `k-${type}-${extra.join('')}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, ...extra, '-N', '', '-C', 'test@virtdeck', '-f', path]);
    const pub = readFileSync(`${path}.pub`, 'utf8');
    const parsed = parsePublicKeyText(pub);
    expect(parsed).not.toBeNull();
    if (!parsed) return;
    expect(parsed.comment).toBe('test@virtdeck');
    expect(keyTypeOfBlob(parsed.blob)).toBe(parsed.type);
    expect(formatPublicKey(parsed.blob)).toBe(pub.trim().split(' ').slice(0, 2).join(' '));
    // "256 SHA256:xxxx test@virtdeck (ED25519)"
    const sha = execFileSync('ssh-keygen', ['-lf', `${path}.pub`], { encoding: 'utf8' })
      .trim()
      .split(' ');
    expect(sha256Fingerprint(parsed.blob)).toBe(sha[1]);
    expect(`(${keyTypeLabel(parsed.type)})`).toBe(sha[sha.length - 1]);
    const md5 = execFileSync('ssh-keygen', ['-E', 'md5', '-lf', `${path}.pub`], { encoding: 'utf8' }).split(
      ' ',
    );
    expect(md5Fingerprint(parsed.blob)).toBe(md5[1]);
  });

  it('reads the public half of an encrypted OpenSSH private key without the passphrase', () => {
    const path = join(dir, 'enc');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret phrase', '-f', path]);
    const info = inspectOpenSshPrivateKey(readFileSync(path, 'utf8'));
    expect(info?.encrypted).toBe(true);
    expect(info?.cipher).toBe('aes256-ctr');
    expect(
      info?.publicKey.equals(
        parsePublicKeyText(readFileSync(`${path}.pub`, 'utf8'))?.blob ?? Buffer.alloc(0),
      ),
    ).toBe(true);
    const plain = join(dir, 'plain');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', plain]);
    expect(inspectOpenSshPrivateKey(readFileSync(plain, 'utf8'))?.encrypted).toBe(false);
    expect(
      inspectOpenSshPrivateKey('-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----'),
    ).toBeNull();
  });
});

describe('fingerprint format', () => {
  it('is SHA256: + unpadded base64 of the wire blob', () => {
    const blob = Buffer.from(
      'AAAAC3NzaC1lZDI1NTE5AAAAIA23/cEZmkw8YNT+FVPaYvLFjQWIc92cGwkPmzFIlU4T',
      'base64',
    );
    // The lab host key; `ssh-keygen -lf` prints this fingerprint for it (lab.json records it too).
    expect(sha256Fingerprint(blob)).toBe('SHA256:sI/c/CWRg8WE6ze40wVPyTKJOqqozoJ0WJXBj4hNYY4');
    expect(keyTypeOfBlob(blob)).toBe('ssh-ed25519');
    expect(keyTypeOfBlob(Buffer.from([0, 0, 0, 9, 1]))).toBeNull();
  });
});

describe('OpenSSH patterns', () => {
  it('glob * and ?', () => {
    expect(matchPattern('kvm1.example', '*.example')).toBe(true);
    expect(matchPattern('kvm1.example', 'kvm?.example')).toBe(true);
    expect(matchPattern('kvm12.example', 'kvm?.example')).toBe(false);
    expect(matchPattern('', '*')).toBe(true);
    expect(matchPattern('abc', 'a*b*c')).toBe(true);
    expect(matchPattern('abcd', 'a*b*c')).toBe(false);
    expect(matchPattern('a.b', 'a?b')).toBe(true);
    expect(matchPattern('x'.repeat(200) + 'y', '*x*x*x*x*x*x*z')).toBe(false); // no blow-up
  });

  it('lists: negation vetoes, lowercase option', () => {
    expect(matchPatternList('db1', '*,!db*', false)).toBe(-1);
    expect(matchPatternList('web1', '*,!db*', false)).toBe(1);
    expect(matchPatternList('web1', 'db*', false)).toBe(0);
    expect(matchPatternList('web1', 'WEB*', true)).toBe(1);
    expect(matchPatternList('web1', 'WEB*', false)).toBe(0);
  });
});

describe('shellQuote', () => {
  it('leaves safe words alone and single-quotes the rest', () => {
    expect(shellQuote('/var/run/libvirt/libvirt-sock')).toBe('/var/run/libvirt/libvirt-sock');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellJoin(['echo', 'a b', '$HOME'])).toBe(`echo 'a b' '$HOME'`);
  });

  it('round-trips arbitrary strings through sh', () => {
    const nasty = [
      "it's",
      'a b',
      '$HOME',
      '`id`',
      '"q"',
      'back\\slash',
      'new\nline',
      '*',
      ';|&<>',
      '!x',
      '~',
    ];
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${shellJoin(nasty)}`]);
    expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(nasty);
  });
});
