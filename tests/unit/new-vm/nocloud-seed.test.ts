/**
 * The NoCloud seed VirtDeck writes, read back by independent tools: blkid (the label cloud-init's
 * NoCloud datasource looks for), isoinfo through Rock Ridge and through Joliet, and xorriso (libisofs);
 * the files' contents; the password only as a SHA-512 crypt hash that OpenSSL computes the same way.
 * Not proven here: that cloud-init itself applies the user-data (the lab guest runs no cloud-init).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePrimaryVolumeDescriptor, PVD_OFFSET, SECTOR } from '../../../main/services/new-vm/iso-label';
import { buildNoCloudSeed, hashPassword } from '../../../main/services/new-vm/nocloud-seed';

const has = (tool: string, arg = '--version') => spawnSync(tool, [arg]).error === undefined;
const dir = mkdtempSync(join(tmpdir(), 'vd-newvm-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = { user: 'ops', password: 's3cret pass', sshKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample ops@laptop', hostname: 'web-1' };
const seed = buildNoCloudSeed(config, '0b7e2f7e-9d7e-4a36-9c53-8b8a6c1d2e3f', { date: new Date('2026-01-02T03:04:05Z') });
const file = join(dir, 'seed.iso');
writeFileSync(file, seed.image);
const run = (tool: string, ...args: string[]) => execFileSync(tool, args, { encoding: 'utf8' });

describe('the NoCloud seed image', () => {
  it('user-data and meta-data say what the form said; the password only as its hash', () => {
    expect(seed.userData.startsWith('#cloud-config\n')).toBe(true);
    const userData = parse(seed.userData) as { hostname: string; ssh_pwauth: boolean; users: Array<Record<string, unknown>> };
    expect(userData.hostname).toBe('web-1');
    expect(userData.ssh_pwauth).toBe(true);
    expect(userData.users[0]).toMatchObject({ name: 'ops', lock_passwd: false, ssh_authorized_keys: [config.sshKey] });
    expect(seed.userData).not.toContain('s3cret');
    expect(parse(seed.metaData)).toEqual({ 'instance-id': '0b7e2f7e-9d7e-4a36-9c53-8b8a6c1d2e3f', 'local-hostname': 'web-1' });
  });

  it('its primary volume descriptor carries the label cidata (what the wizard reads from ISOs too)', () => {
    expect(parsePrimaryVolumeDescriptor(seed.image.subarray(PVD_OFFSET, PVD_OFFSET + SECTOR))).toMatchObject({ volumeId: 'cidata', applicationId: 'VIRTDECK' });
    expect(parsePrimaryVolumeDescriptor(Buffer.alloc(SECTOR))).toBeNull();
  });

  it.skipIf(!has('blkid', '-V'))('blkid sees an iso9660 filesystem labelled cidata with the Joliet extension', () => {
    const out = run('blkid', '-p', '-o', 'export', file);
    expect(out).toMatch(/^TYPE=iso9660$/m);
    expect(out).toMatch(/^LABEL=cidata$/m);
    expect(out).toMatch(/^VERSION=Joliet/m);
  });

  it.skipIf(!has('isoinfo', '-version'))('isoinfo lists user-data and meta-data through Rock Ridge and through Joliet, with their contents', () => {
    expect(run('isoinfo', '-d', '-i', file)).toMatch(/Rock Ridge signatures version 1 found/);
    for (const mode of ['-R', '-J']) {
      const listing = run('isoinfo', mode, '-l', '-i', file);
      expect(listing, mode).toMatch(/ user-data \n/);
      expect(listing, mode).toMatch(/ meta-data \n/);
      expect(run('isoinfo', mode, '-x', '/user-data', '-i', file), mode).toBe(seed.userData);
      expect(run('isoinfo', mode, '-x', '/meta-data', '-i', file), mode).toBe(seed.metaData);
    }
  });

  it.skipIf(!has('xorriso', '-version'))('xorriso (libisofs) loads it: label, both names', () => {
    const out = spawnSync('xorriso', ['-indev', file, '-ls', '/', '--'], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout + out.stderr).toMatch(/Volume id\s*: 'cidata'/);
    expect(out.stdout).toContain("'user-data'");
    expect(out.stdout).toContain("'meta-data'");
  });

  it.skipIf(!has('openssl', 'version'))('the hash is SHA-512 crypt as openssl passwd -6 computes it for the same salt', () => {
    const hash = hashPassword('s3cret pass');
    const salt = /^\$6\$([^$]+)\$/.exec(hash)?.[1] ?? '';
    expect(salt).toHaveLength(16);
    expect(run('openssl', 'passwd', '-6', '-salt', salt, 's3cret pass').trim()).toBe(hash);
  });
});
