/**
 * The fio script as the service runs it (sh -c, stdin a pipe the service holds), with the real fio of
 * this machine on a temporary directory: it runs to the end while stdin stays open, closing stdin
 * cancels it, and the test file is gone either way. (A background list's stdin is /dev/null in a
 * non-interactive shell: a watchdog reading the script's own stdin once killed every run at once.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIO_KILL_AFTER_SEC, fioScript, parseFioJson } from '../../../main/services/storage-benchmark/fio';

const hasFio = spawnSync('fio', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'vd-test-fio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(file: string, runtimeSec: number, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn('sh', ['-c', fioScript({ file, sizeMiB: 8, runtimeSec, direct: false })], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

describe.skipIf(!hasFio)(`fio script${hasFio ? '' : ' (skipped: fio is not installed)'}`, () => {
  it('runs the four tests to the end while stdin stays open, and removes its file', async () => {
    const file = join(dir, '.virtdeck-bench-full.tmp');
    const started = Date.now();
    const { done } = run(file, 1);
    const outcome = await done;
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    const parsed = parseFioJson(outcome.stdout);
    expect(parsed.tests.map((t) => t.name)).toEqual(['randread4k', 'randwrite4k', 'seqread1m', 'seqwrite1m']);
    for (const test of parsed.tests) expect(test.iops).toBeGreaterThan(0);
    expect(existsSync(file)).toBe(false);
  }, 30_000);

  it('stops when its stdin closes (cancel) and removes its file', async () => {
    const file = join(dir, '.virtdeck-bench-cancel.tmp');
    const started = Date.now();
    const { child, done } = run(file, 60);
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(file)).toBe(true);
    child.stdin.end();
    await done;
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.virtdeck-bench-'))).toEqual([]);
  }, 30_000);
});

/** Whether a process is still there (a zombie left to init counts as gone). */
function alive(pid: number): boolean {
  const state = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return state !== '' && !state.startsWith('Z');
}

describe('fio script with a fio that hangs after SIGTERM (as fio 3.33 did while laying out its file)', () => {
  it('kills it and its job process after the grace, and removes the file', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'vd-test-fio-bin-'));
    try {
      // A stand-in for the hung fio: creates the file, starts a "job process", and ignores SIGTERM.
      writeFileSync(
        join(bin, 'fio'),
        [
          '#!/bin/sh',
          'for a in "$@"; do case "$a" in --filename=*) f="${a#--filename=}";; esac; done',
          ': > "$f"',
          'trap "" TERM',
          'sh -c \'trap "" TERM; while :; do sleep 1; done\' &',
          `echo "$$ $!" > ${JSON.stringify(join(bin, 'pids'))}`,
          'while :; do sleep 1; done',
        ].join('\n'),
      );
      chmodSync(join(bin, 'fio'), 0o755);
      const file = join(dir, '.virtdeck-bench-hung.tmp');
      const started = Date.now();
      const { child, done } = run(file, 60, { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` });
      for (let i = 0; i < 100 && !existsSync(join(bin, 'pids')); i++) await new Promise((r) => setTimeout(r, 100));
      const pids = readFileSync(join(bin, 'pids'), 'utf8').trim().split(' ').map(Number);
      expect(pids).toHaveLength(2);
      child.stdin.end();
      await done;
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(FIO_KILL_AFTER_SEC * 1000 - 500);
      expect(took).toBeLessThan(FIO_KILL_AFTER_SEC * 1000 + 10_000);
      await new Promise((r) => setTimeout(r, 300));
      for (const pid of pids) expect(alive(pid), `process ${pid}`).toBe(false);
      expect(existsSync(file)).toBe(false);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 30_000);
});
