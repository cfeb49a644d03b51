import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CAT_SCRIPT,
  DETACHED_SCRIPT,
  LIST_BACKUPS_SCRIPT,
  READ_SCRIPT,
  RESTART_SCRIPT,
  WRITE_SCRIPT,
} from '../../../main/services/host-config/host-scripts';
import { parseFrames } from '../../../main/services/host-config/root-shell';

/** The write and backup scripts, run by this machine's sh on a temporary directory (no host needed). */
const dir = mkdtempSync(join(tmpdir(), 'virtdeck-hostconfig-'));
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const run = (script: string, args: string[], input = '') =>
  spawnSync('sh', ['-c', script, 'virtdeck', ...args], { input });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('host scripts', () => {
  const target = join(dir, 'qemu.conf');
  const backups = join(dir, 'backups');
  const state = join(dir, 'state');

  it('replaces the file atomically, keeps its mode, and keeps a backup', () => {
    writeFileSync(target, 'user = "root"\n');
    chmodSync(target, 0o600);
    const inode = statSync(target).ino;
    const next = 'user = "root"\nmax_files = 4096\n';
    const result = run(
      WRITE_SCRIPT,
      [target, sha('user = "root"\n'), sha(next), '20261126T070000000Z', backups, state],
      next,
    );
    expect(result.status, result.stderr.toString()).toBe(0);
    const frame = parseFrames(result.stdout).find((f) => f.words[0] === 'ok');
    expect(frame?.words[1]).toBe(join(backups, 'qemu.conf.20261126T070000000Z.bak'));
    expect(readFileSync(target, 'utf8')).toBe(next);
    expect(statSync(target).ino).not.toBe(inode);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(statSync(backups).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(backups, 'qemu.conf.20261126T070000000Z.bak'), 'utf8')).toBe('user = "root"\n');
    expect(readdirSync(dir).filter((n) => n.includes('.virtdeck.'))).toEqual([]);
    // The backup the restart transaction would roll back to, noted once per file until a good restart.
    const pending = `${target} ${join(backups, 'qemu.conf.20261126T070000000Z.bak')}\n`;
    expect(readFileSync(join(state, 'pending'), 'utf8')).toBe(pending);
    const again = 'user = "root"\nmax_files = 8192\n';
    const second = run(
      WRITE_SCRIPT,
      [target, sha(next), sha(again), '20261126T070000500Z', backups, state],
      again,
    );
    expect(second.status, second.stderr.toString()).toBe(0);
    expect(readFileSync(join(state, 'pending'), 'utf8')).toBe(pending);
    writeFileSync(target, next);
  });

  it('refuses a stale base and incomplete content, and changes nothing', () => {
    const before = readFileSync(target, 'utf8');
    const stale = run(
      WRITE_SCRIPT,
      [target, sha('other'), sha('x'), '20261126T070001000Z', backups, state],
      'x',
    );
    expect(stale.status).toBe(4);
    expect(parseFrames(stale.stdout)[0]?.words).toEqual(['conflict', sha(before)]);
    const short = run(
      WRITE_SCRIPT,
      [target, sha(before), sha('complete content'), '20261126T070002000Z', backups, state],
      'compl',
    );
    expect(short.status).toBe(5);
    expect(readFileSync(target, 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((n) => n.includes('.virtdeck.'))).toEqual([]);
    expect(readdirSync(backups)).toEqual([
      'qemu.conf.20261126T070000000Z.bak',
      'qemu.conf.20261126T070000500Z.bak',
    ]);
  });

  it('lists backups and prints a file framed with its exact bytes', () => {
    const listed = parseFrames(run(LIST_BACKUPS_SCRIPT, [backups]).stdout).filter(
      (f) => f.words[0] === 'backup',
    );
    expect(listed.map((f) => f.words.slice(3).join(' '))).toEqual([
      join(backups, 'qemu.conf.20261126T070000000Z.bak'),
      join(backups, 'qemu.conf.20261126T070000500Z.bak'),
    ]);
    const tricky = join(dir, 'tricky.conf');
    const body = '@@vd end\n# a frame-looking line inside a file\nno newline at the end';
    writeFileSync(tricky, body);
    const frames = parseFrames(run(CAT_SCRIPT, [tricky]).stdout);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.body?.toString()).toBe(body);
    expect(frames[0]?.words[6]).toBe(sha(body));
  });

  it('the scripts are valid POSIX sh (dash -n)', () => {
    for (const script of [
      WRITE_SCRIPT,
      CAT_SCRIPT,
      LIST_BACKUPS_SCRIPT,
      READ_SCRIPT,
      RESTART_SCRIPT,
      DETACHED_SCRIPT,
    ]) {
      expect(() => execFileSync('sh', ['-n', '-c', script])).not.toThrow();
    }
  });
});
