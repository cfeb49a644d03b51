/**
 * What a connected host costs its sshd between stats ticks (issue 16, scale): no shell per reading.
 * Over the lab's real sshd: the pool opens the connection's SFTP session right after the login (that is
 * what turns sshd's Nagle off; a `true` command did it before, starting the user's shell at every
 * connect), and the load average is read through that session — the command fallback is made to fail
 * here, so a reading that still started `cat` would fail the test.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { HostEntry } from '../../preload/api-contract';
import type { HostPrompter } from '../../main/services/connections/host-prompts';
import { SshConnectionPool } from '../../main/services/connections/ssh-pool';
import { readRemoteLoadavg } from '../../main/services/alerts/monitoring-wiring';
import { sftpHostFiles } from '../../main/services/host-io/host-io-service';
import { readLabInfo } from '../support/lab';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

describe.skipIf(SKIP)(`host readings over SSH start no process on the host${SKIP_REASON}`, () => {
  const pool = new SshConnectionPool({ sshConfigFile: null, knownHostsFiles: SKIP ? [] : [readLabInfo().ssh.knownHostsFile] });
  afterAll(() => pool.dispose());

  it('the SFTP session is open after the connect, and the load average comes through it', async () => {
    const lab = readLabInfo();
    const host: HostEntry = {
      id: 'vd-test-readings',
      displayName: 'vd-test-readings',
      ssh: { user: lab.accounts.operator.user, host: lab.ssh.host, port: lab.ssh.port, identityFile: lab.accounts.operator.identityFile },
      libvirtUri: lab.libvirtUri,
      transport: 'auto',
      tags: [],
    };
    // The lab's host key is known and the key has no passphrase: nothing may be asked.
    const refuse: HostPrompter = { confirmHostKey: async () => 'reject', askSecret: async () => null };
    const ssh = await pool.acquire(host, refuse);
    // The one session channel of a fresh connection is the SFTP session, and it stays open.
    const deadline = Date.now() + 10_000;
    while (ssh.sessionUsage.open === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ssh.sessionUsage.open).toBe(1);
    const sftp = await ssh.sftp(); // the same session, not a second one
    expect(ssh.sessionUsage.open).toBe(1);
    expect(typeof sftp.readFile).toBe('function');
    const text = await readRemoteLoadavg({
      sftp: () => ssh.sftp(),
      run: () => Promise.reject(new Error('a command was started')),
    });
    expect(text).toMatch(/^\d+\.\d+ \d+\.\d+ \d+\.\d+ \d+\/\d+ \d+\n$/);
    expect(ssh.sessionUsage.open).toBe(1);

    // The tick's /proc files stay open on the host's sftp-server: one OPEN each, then one READ at
    // offset 0 per reading, and each reading is new (sftp-server seeks, the kernel makes the file again).
    let opens = 0;
    let reads = 0;
    const open = sftp.open.bind(sftp);
    const read = sftp.read.bind(sftp);
    sftp.open = ((...args: Parameters<typeof open>) => {
      opens += 1;
      return (open as (...a: unknown[]) => void)(...args);
    }) as typeof sftp.open;
    sftp.read = ((...args: Parameters<typeof read>) => {
      reads += 1;
      return read(...args);
    }) as typeof sftp.read;
    const files = sftpHostFiles(() => ssh.sftp());
    const first = await files.readFile('/proc/uptime');
    const diskstats = await files.readFile('/proc/diskstats');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await files.readFile('/proc/uptime');
    expect(first).toMatch(/^\d+\.\d+ \d+\.\d+\n$/);
    expect(Number.parseFloat(second)).toBeGreaterThan(Number.parseFloat(first));
    expect(diskstats).toMatch(/^\s*\d+\s+\d+ \S+ /);
    expect(await files.readFile('/proc/diskstats')).toMatch(/^\s*\d+\s+\d+ \S+ /);
    expect(opens).toBe(2);
    expect(reads).toBe(4);
  }, 30_000);
});
