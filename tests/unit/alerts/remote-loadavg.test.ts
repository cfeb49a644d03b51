/**
 * A host's load average is read through its SSH connection's SFTP session (no process on the host);
 * `cat /proc/loadavg` only where SFTP does not work. With 1000 hosts read every 10 s, a command each
 * time was most of what the hosts' sshd spent on VirtDeck between stats ticks.
 */
import type { SFTPWrapper } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { readRemoteLoadavg } from '../../../main/services/alerts/monitoring-wiring';

function fakeSsh(sftp: 'works' | 'refused') {
  const calls: string[] = [];
  const text = Buffer.from('0.42 0.30 0.20 1/123 4567\n');
  const session = {
    open: (path: string, _flags: string, callback: (error: Error | undefined, handle: Buffer) => void) => {
      calls.push(`sftp open ${path}`);
      callback(undefined, Buffer.from('h1'));
    },
    read: (
      handle: Buffer,
      buffer: Buffer,
      offset: number,
      length: number,
      position: number,
      callback: (error: Error | undefined, bytes: number) => void,
    ) => {
      calls.push(`sftp read ${handle.toString()} at ${position}`);
      callback(undefined, text.copy(buffer, offset, 0, Math.min(length, text.length)));
    },
  } as unknown as SFTPWrapper;
  return {
    calls,
    ssh: {
      sftp: async () => {
        calls.push('sftp');
        if (sftp === 'refused') throw new Error('subsystem request failed');
        return session;
      },
      run: async (command: string) => {
        calls.push(`run ${command}`);
        const stdout = '1.50 1.00 0.50 2/200 999\n';
        return { code: 0, signal: null, stdout, stderr: '', stdoutBuffer: Buffer.from(stdout) };
      },
    },
  };
}

describe('readRemoteLoadavg', () => {
  it('reads /proc/loadavg over SFTP and starts no command', async () => {
    const { ssh, calls } = fakeSsh('works');
    expect(await readRemoteLoadavg(ssh)).toMatch(/^0\.42 /);
    expect(calls).toEqual(['sftp', 'sftp open /proc/loadavg', 'sftp read h1 at 0']);
    // The file stays open: the next reading is one READ at offset 0.
    calls.length = 0;
    expect(await readRemoteLoadavg(ssh)).toBe('0.42 0.30 0.20 1/123 4567\n');
    expect(calls).toEqual(['sftp', 'sftp read h1 at 0']);
  });

  it('falls back to `cat` on a host without SFTP', async () => {
    const { ssh, calls } = fakeSsh('refused');
    expect(await readRemoteLoadavg(ssh)).toMatch(/^1\.50 /);
    expect(calls).toEqual(['sftp', 'run cat /proc/loadavg']);
  });
});
