/**
 * /proc files over SFTP kept open (readProcFile): the SFTP calls are answered from this computer's own
 * files, as OpenSSH's sftp-server does it (OPEN = open(2), READ = lseek + read(2) at the request's
 * offset, CLOSE = close(2)), so what a reading costs shows as requests counted.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProcFile, sftpHostFiles, type ProcFileSftp } from '../../../main/services/host-io/host-io-service';

type Callback = (error: Error | undefined, ...values: never[]) => void;

/** SFTP requests served from local files; counts each request like a server would see it. */
function localSftp() {
  const requests = { open: 0, read: 0, close: 0, readFile: 0 };
  const fds = new Map<string, number>();
  let next = 0;
  const failNextRead = { value: false };
  const sftp = {
    open(path: string, _flags: string, cb: Callback) {
      requests.open += 1;
      setImmediate(() => {
        try {
          const handle = Buffer.from(String(next++));
          fds.set(handle.toString(), openSync(path, 'r'));
          (cb as (e: Error | undefined, h: Buffer) => void)(undefined, handle);
        } catch (error) {
          cb(error as Error);
        }
      });
    },
    read(handle: Buffer, buffer: Buffer, offset: number, length: number, position: number, cb: Callback) {
      requests.read += 1;
      setImmediate(() => {
        const fd = fds.get(handle.toString());
        if (fd === undefined || failNextRead.value) {
          failNextRead.value = false;
          cb(new Error('Failure'));
          return;
        }
        const bytes = readSync(fd, buffer, offset, length, position);
        (cb as (e: Error | undefined, n: number, d: Buffer) => void)(undefined, bytes, buffer.subarray(offset, offset + bytes));
      });
    },
    close(handle: Buffer, cb: Callback) {
      requests.close += 1;
      const fd = fds.get(handle.toString());
      if (fd !== undefined) closeSync(fd);
      fds.delete(handle.toString());
      setImmediate(() => cb(undefined));
    },
    readFile(path: string, cb: Callback) {
      requests.readFile += 1;
      setImmediate(() => (cb as (e: Error | undefined, d: Buffer) => void)(undefined, readFileSync(path)));
    },
    readdir() {
      throw new Error('not used');
    },
  };
  return { sftp: sftp as unknown as ProcFileSftp, requests, fds, failNextRead };
}

describe('readProcFile: /proc files over SFTP opened once, one READ per reading', () => {
  it('reads /proc/uptime afresh each time through the one handle: one OPEN, then one READ per reading', async () => {
    const { sftp, requests } = localSftp();
    const first = await readProcFile(sftp, '/proc/uptime');
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = await readProcFile(sftp, '/proc/uptime');
    expect(first).toMatch(/^\d+\.\d+ \d+\.\d+\n$/);
    // The kernel made the file again for the read at offset 0: the uptime went on.
    expect(Number.parseFloat(second)).toBeGreaterThan(Number.parseFloat(first));
    expect(requests).toEqual({ open: 1, read: 2, close: 0, readFile: 0 });
  });

  it('the host I/O files of a host go through it (sftpHostFiles), other files are read as before', async () => {
    const { sftp, requests } = localSftp();
    const files = sftpHostFiles(async () => sftp);
    for (let i = 0; i < 3; i++) await Promise.all([files.readFile('/proc/uptime'), files.readFile('/proc/diskstats')]);
    expect(requests.open).toBe(2);
    expect(requests.read).toBe(6);
    const dir = mkdtempSync(join(tmpdir(), 'vd-proc-'));
    writeFileSync(join(dir, 'plain'), 'hello');
    expect(await files.readFile(join(dir, 'plain'))).toBe('hello');
    expect(requests.readFile).toBe(1);
  });

  it('a file larger than the first read is read whole (again, with more room), and the size is remembered', async () => {
    const { sftp, requests } = localSftp();
    const dir = mkdtempSync(join(tmpdir(), 'vd-proc-'));
    const text = 'x'.repeat(10_000) + '\n';
    writeFileSync(join(dir, 'big'), text);
    expect(await readProcFile(sftp, join(dir, 'big'))).toBe(text);
    // 4 KiB, 8 KiB, 16 KiB.
    expect(requests.read).toBe(3);
    expect(await readProcFile(sftp, join(dir, 'big'))).toBe(text);
    expect(requests.read).toBe(4);
    expect(requests.open).toBe(1);
  });

  it('a read that fails drops the handle and opens the file again; a file that does not open is an error', async () => {
    const { sftp, requests, failNextRead } = localSftp();
    await readProcFile(sftp, '/proc/uptime');
    failNextRead.value = true;
    expect(await readProcFile(sftp, '/proc/uptime')).toMatch(/^\d+\.\d+ /);
    expect(requests.open).toBe(2);
    expect(requests.close).toBe(1);
    await expect(readProcFile(sftp, '/proc/no-such-file')).rejects.toThrow();
    // Not kept: the next reading tries to open it again.
    await expect(readProcFile(sftp, '/proc/no-such-file')).rejects.toThrow();
    expect(requests.open).toBe(4);
  });

  it('each SFTP session has its own handles (a new session after a reconnect opens the file again)', async () => {
    const a = localSftp();
    const b = localSftp();
    await readProcFile(a.sftp, '/proc/loadavg');
    await readProcFile(b.sftp, '/proc/loadavg');
    await readProcFile(a.sftp, '/proc/loadavg');
    expect(a.requests.open).toBe(1);
    expect(b.requests.open).toBe(1);
    expect(a.fds.size).toBe(1);
  });
});

describe('readProcFile: the read buffer kept per file', () => {
  it('gives each of two readings at the same time its own bytes, and later readings the new contents', async () => {
    const { sftp, requests } = localSftp();
    const dir = mkdtempSync(join(tmpdir(), 'vd-procbuf-'));
    const path = join(dir, 'counters');
    writeFileSync(path, 'first reading\n');
    expect(await readProcFile(sftp, path)).toBe('first reading\n');
    // Two at once through the one handle: the second must not read into the first's buffer.
    const [a, b] = await Promise.all([readProcFile(sftp, path), readProcFile(sftp, path)]);
    expect([a, b]).toEqual(['first reading\n', 'first reading\n']);
    writeFileSync(path, 'x\n');
    const kept = await readProcFile(sftp, path);
    expect(kept).toBe('x\n');
    writeFileSync(path, 'a longer third reading\n');
    expect(await readProcFile(sftp, path)).toBe('a longer third reading\n');
    expect(kept).toBe('x\n'); // a returned string is not a view of the kept buffer
    expect(requests.open).toBe(1);
  });
});
