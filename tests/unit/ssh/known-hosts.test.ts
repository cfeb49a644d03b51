/**
 * known_hosts parsing and matching, cross-checked against OpenSSH's own tools where they exist:
 * `ssh-keygen -H` writes the hashed entries we must match, `ssh-keygen -F` must find the lines we write.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  appendKnownHostsLine,
  checkHostKey,
  entryMatchesName,
  formatKnownHostsLine,
  hashedHostField,
  knownHostsName,
  knownKeyTypes,
  loadKnownHosts,
  parseKnownHosts,
} from '../../../main/ssh/known-hosts';
import { parsePublicKeyText } from '../../../main/ssh/keys';

const hasSshKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined;
const dir = mkdtempSync(join(tmpdir(), 'virtdeck-kh-'));

function newKey(name: string, type = 'ed25519'): { line: string; blob: Buffer } {
  const path = join(dir, name);
  if (hasSshKeygen) {
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', path]);
    const line = readFileSync(`${path}.pub`, 'utf8').trim();
    const parsed = parsePublicKeyText(line);
    if (!parsed) throw new Error('unparsable generated key');
    return { line: `${parsed.type} ${parsed.blob.toString('base64')}`, blob: parsed.blob };
  }
  // Fallback without OpenSSH: a syntactically valid ed25519 wire blob.
  const blob = Buffer.concat([
    Buffer.from([0, 0, 0, 11]),
    Buffer.from('ssh-ed25519'),
    Buffer.from([0, 0, 0, 32]),
    Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 7 + name.length) & 0xff)),
  ]);
  return { line: `ssh-ed25519 ${blob.toString('base64')}`, blob };
}

let keyA: { line: string; blob: Buffer };
let keyB: { line: string; blob: Buffer };
let keyRsa: { line: string; blob: Buffer };

beforeAll(() => {
  keyA = newKey('a');
  keyB = newKey('b');
  keyRsa = hasSshKeygen ? newKey('r', 'rsa') : newKey('r2');
});

describe('knownHostsName', () => {
  it('uses the bare host for port 22 and [host]:port otherwise, lowercased', () => {
    expect(knownHostsName('Example.COM', 22)).toBe('example.com');
    expect(knownHostsName('127.0.0.1', 2722)).toBe('[127.0.0.1]:2722');
    expect(knownHostsName('::1', 2222)).toBe('[::1]:2222');
  });
});

describe('parseKnownHosts', () => {
  it('reads plain, bracketed, comma-list, wildcard, negated, marker and comment lines; skips junk', () => {
    const text = [
      '# a comment',
      '',
      `host1,host2 ${keyA.line} comment words`,
      `[bastion.example]:2222 ${keyA.line}`,
      `*.lab.example,!secret.lab.example ${keyB.line}`,
      `@revoked * ${keyB.line}`,
      `@cert-authority *.corp ${keyA.line}`,
      '@bogus host ssh-ed25519 AAAA',
      'host-without-key',
      'host ssh-ed25519 !!!notbase64',
      'host 2048 35 1234567', // SSH1 RSA
      `  indented ${keyA.line}`,
    ].join('\n');
    const { entries, issues } = parseKnownHosts(text, '/kh');
    expect(entries.map((e) => [e.line, e.marker, e.hostField])).toEqual([
      [3, null, 'host1,host2'],
      [4, null, '[bastion.example]:2222'],
      [5, null, '*.lab.example,!secret.lab.example'],
      [6, 'revoked', '*'],
      [7, 'cert-authority', '*.corp'],
      [12, null, 'indented'],
    ]);
    expect(entries[0]?.comment).toBe('comment words');
    expect(issues.map((i) => i.line)).toEqual([8, 9, 10, 11]);
  });

  it('refuses a key whose written type differs from the type inside the blob', () => {
    const base64 = keyA.line.split(' ')[1];
    expect(parseKnownHosts(`h ssh-rsa ${base64}`, 'f').entries).toEqual([]);
  });
});

describe('host matching', () => {
  const entry = (hostField: string) => {
    const e = parseKnownHosts(`${hostField} ${keyA.line}`, 'f').entries[0];
    if (!e) throw new Error('no entry');
    return e;
  };

  it('matches comma lists, case-insensitively', () => {
    expect(entryMatchesName(entry('host1,Host2'), 'host2')).toBe(true);
    expect(entryMatchesName(entry('host1,host2'), 'HOST1')).toBe(true);
    expect(entryMatchesName(entry('host1,host2'), 'host3')).toBe(false);
  });

  it('[host]:port entries match only that port; bare entries only port 22', () => {
    expect(entryMatchesName(entry('[h]:2722'), knownHostsName('h', 2722))).toBe(true);
    expect(entryMatchesName(entry('[h]:2722'), knownHostsName('h', 22))).toBe(false);
    expect(entryMatchesName(entry('h'), knownHostsName('h', 2722))).toBe(false);
  });

  it('wildcards * and ? (which also cover [host]:port names), negation vetoes', () => {
    const e = entry('*.lab.example,!secret.lab.example');
    expect(entryMatchesName(e, 'kvm1.lab.example')).toBe(true);
    expect(entryMatchesName(e, 'secret.lab.example')).toBe(false);
    expect(entryMatchesName(e, 'lab.example')).toBe(false);
    expect(entryMatchesName(entry('kvm?.lab'), 'kvm7.lab')).toBe(true);
    expect(entryMatchesName(entry('kvm?.lab'), 'kvm17.lab')).toBe(false);
    expect(entryMatchesName(entry('*'), '[10.0.0.1]:2222')).toBe(true);
    expect(entryMatchesName(entry('[10.0.0.*]:2222'), '[10.0.0.9]:2222')).toBe(true);
    // A list with only a negation matches nothing.
    expect(entryMatchesName(entry('!h'), 'other')).toBe(false);
  });

  it.skipIf(!hasSshKeygen)('matches entries hashed by `ssh-keygen -H` (port 22 and [host]:port)', () => {
    const file = join(dir, 'to-hash');
    writeFileSync(file, `kvm1.example.net ${keyA.line}\n[127.0.0.1]:2722 ${keyB.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\|1\|/m);
    const { entries } = parseKnownHosts(text, file);
    expect(entries).toHaveLength(2);
    expect(entries.every((e) => e.hashed !== null)).toBe(true);
    expect(checkHostKey(entries, knownHostsName('kvm1.example.net', 22), keyA.blob).status).toBe('known');
    expect(checkHostKey(entries, knownHostsName('KVM1.example.net', 22), keyA.blob).status).toBe('known');
    expect(checkHostKey(entries, knownHostsName('127.0.0.1', 2722), keyB.blob).status).toBe('known');
    expect(checkHostKey(entries, knownHostsName('127.0.0.1', 22), keyB.blob).status).toBe('unknown');
    expect(checkHostKey(entries, knownHostsName('kvm2.example.net', 22), keyA.blob).status).toBe('unknown');
  });

  it.skipIf(!hasSshKeygen)('hashes names so that `ssh-keygen -F` finds them', () => {
    const file = join(dir, 'we-hash');
    writeFileSync(
      file,
      `${hashedHostField('kvm9.example.net')} ${keyA.line}\n` +
        `${formatKnownHostsLine('[10.1.2.3]:2722', keyB.blob, { hash: true })}\n`,
    );
    const found22 = spawnSync('ssh-keygen', ['-F', 'kvm9.example.net', '-f', file], { encoding: 'utf8' });
    expect(found22.status).toBe(0);
    expect(found22.stdout).toContain('found: line 1');
    const foundPort = spawnSync('ssh-keygen', ['-F', '[10.1.2.3]:2722', '-f', file], { encoding: 'utf8' });
    expect(foundPort.status).toBe(0);
    expect(foundPort.stdout).toContain('found: line 2');
  });
});

describe('checkHostKey', () => {
  it('known, unknown, changed (same type), other types, revoked', () => {
    const text = [
      `[lab]:2722 ${keyA.line}`,
      `changed.example ${keyA.line}`,
      `rsa-only.example ${keyRsa.line}`,
      `@revoked * ${keyB.line}`,
    ].join('\n');
    const { entries } = parseKnownHosts(text, '/kh');
    expect(checkHostKey(entries, '[lab]:2722', keyA.blob)).toMatchObject({
      status: 'known',
      entry: { line: 1 },
    });
    expect(checkHostKey(entries, 'nobody.example', keyA.blob)).toEqual({ status: 'unknown' });
    const changed = checkHostKey(entries, 'changed.example', hasSshKeygen ? newKey('c').blob : keyRsa.blob);
    expect(changed.status).toBe(hasSshKeygen ? 'changed' : 'other-types');
    expect(checkHostKey(entries, 'rsa-only.example', keyA.blob)).toMatchObject({ status: 'other-types' });
    // Revoked wins even over a line that would make the host known.
    expect(checkHostKey(entries, 'anything', keyB.blob)).toMatchObject({
      status: 'revoked',
      entry: { line: 4 },
    });
  });

  it('a matching line anywhere makes the key known even if another line for the host differs', () => {
    const { entries } = parseKnownHosts(`h ${keyB.line}\nh ${keyA.line}`, '/kh');
    expect(checkHostKey(entries, 'h', keyA.blob).status).toBe('known');
  });

  it('ignores @cert-authority lines (host certificates are not negotiated)', () => {
    const { entries } = parseKnownHosts(`@cert-authority * ${keyA.line}`, '/kh');
    expect(checkHostKey(entries, 'h', keyA.blob).status).toBe('unknown');
  });

  it('lists the key types known for a host (for key exchange preference)', () => {
    const { entries } = parseKnownHosts(`h ${keyRsa.line}\nh ${keyA.line}\nother ${keyB.line}`, '/kh');
    expect(knownKeyTypes(entries, 'h')).toEqual(
      [hasSshKeygen ? 'ssh-rsa' : 'ssh-ed25519', 'ssh-ed25519'].filter((v, i, a) => a.indexOf(v) === i),
    );
  });
});

describe('appendKnownHostsLine', () => {
  it('creates the file 0600 (and its directory 0700), appends without touching other lines', async () => {
    const file = join(dir, 'newdir', 'known_hosts');
    await appendKnownHostsLine(file, formatKnownHostsLine('[127.0.0.1]:2722', keyA.blob));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'newdir')).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:2722 ${keyA.line}\n`);

    const existing = join(dir, 'existing');
    const original = `# keep me\nhost1 ${keyB.line} old comment`; // no trailing newline
    writeFileSync(existing, original, { mode: 0o644 });
    await appendKnownHostsLine(existing, formatKnownHostsLine('host2', keyA.blob));
    const after = readFileSync(existing, 'utf8');
    expect(after).toBe(`${original}\nhost2 ${keyA.line}\n`);
    expect(statSync(existing).mode & 0o777).toBe(0o644); // an existing file keeps its mode
    const { entries } = await loadKnownHosts([existing, join(dir, 'missing')]);
    expect(entries.map((e) => e.hostField)).toEqual(['host1', 'host2']);
  });

  it('a file unchanged since the last connect is not parsed again; an appended or rewritten one is', async () => {
    const file = join(dir, 'cached');
    writeFileSync(file, `host1 ${keyA.line}\n`);
    const first = await loadKnownHosts([file]);
    const second = await loadKnownHosts([file]);
    // The same parsed entry, not a new parse of the same line.
    expect(second.entries[0]).toBe(first.entries[0]);
    await appendKnownHostsLine(file, formatKnownHostsLine('host2', keyB.blob));
    const third = await loadKnownHosts([file]);
    expect(third.entries.map((e) => e.hostField)).toEqual(['host1', 'host2']);
    expect(third.entries[0]).not.toBe(first.entries[0]);
    // Same size, other content (the key of host1 replaced by the user): read again.
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('host1', 'host9'));
    expect((await loadKnownHosts([file])).entries.map((e) => e.hostField)).toEqual(['host9', 'host2']);
    // Gone: no entries, no issue.
    rmSync(file);
    expect(await loadKnownHosts([file])).toEqual({ entries: [], issues: [] });
  });

  it('refuses a line with a newline in it', async () => {
    await expect(appendKnownHostsLine(join(dir, 'x'), 'a\nb')).rejects.toThrow(/newline/);
  });
});
