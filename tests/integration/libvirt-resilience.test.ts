/**
 * Failure handling of the libvirt client against the lab's REAL libvirtd over REAL SSH:
 *
 * - The daemon's keepalive: with our own PINGs disabled, the connection outlives libvirtd's
 *   keepalive deadline (interval 5 s × count 5 → it closes silent clients after ~30 s) because we
 *   answer its PINGs.
 * - Dead-peer detection: the relay process of our connection (virt-ssh-helper on the host, found
 *   by a tag in its environment) is frozen with SIGSTOP. Bytes still flow into the SSH channel but
 *   nothing comes back — exactly a hung host or a black-holed link. Our keepalive (1 s × 3) must
 *   declare the peer dead within interval × (count + 1) and the client must reconnect (new helper).
 *   The frozen helper gets SIGCONT in `finally` and exits once its channel is gone.
 * - libvirtd restart: the daemon is stopped with SIGTERM (its pidfile /run/libvirtd.pid) and started
 *   again the way the lab starts it — `bash tests/lab/lab.sh up` (idempotent; it starts libvirtd only
 *   if it is not running, records it as started by the lab, and re-checks the lab); on a systemd host
 *   `systemctl restart libvirtd`. Running guests survive (QEMU keeps running). The client must go
 *   lost → connecting → connected on its own, and its event subscription must deliver again.
 *
 * These tests need root on the lab host (signals, daemon restart) — the lab itself needs root.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  LibvirtClient,
  lifecycleEventName,
  type DomainEvent,
  type StateChange,
} from '../../main/libvirt/client';
import { virDomainDefineFlags } from '../../main/libvirt/protocol';
import { LAB_SCRIPT } from '../support/lab';
import { openLabApp } from '../support/lab-app';
import { connectSsh, virtSshHelperDialer } from '../bench/ssh-transport';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await tick(25);
  }
}

function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** PIDs of virt-ssh-helper processes whose environment carries VIRTDECK_TEST_TAG=tag. */
function helperPids(tag: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'virt-ssh-helper') continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(`VIRTDECK_TEST_TAG=${tag}`)) out.push(Number(entry));
    } catch {
      // process gone or not readable
    }
  }
  return out;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr.slice(-2000)}`));
        else resolve(stdout);
      },
    );
  });
}

/** Stops libvirtd and starts it again the way the lab does. */
async function restartLibvirtd(): Promise<void> {
  if (existsSync('/run/systemd/system')) {
    await run('systemctl', ['restart', 'libvirtd.service'], 120_000);
    return;
  }
  const pid = Number(readFileSync('/run/libvirtd.pid', 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error('no libvirtd pid in /run/libvirtd.pid');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL'); // what the lab's stop_pid does after its grace period
      break;
    }
    await tick(100);
  }
  await run('bash', [LAB_SCRIPT, 'up'], 240_000);
}

describe.skipIf(SKIP)(`libvirt client resilience (real libvirtd, real SSH)${SKIP_REASON}`, () => {
  const sessions: Client[] = [];
  const clients: LibvirtClient[] = [];

  async function sshAs(account: 'root' | 'operator'): Promise<Client> {
    if (!availability.available) throw new Error('no lab');
    const lab = availability.lab;
    const acct = lab.accounts[account];
    const ssh = await connectSsh({
      host: lab.ssh.host,
      port: lab.ssh.port,
      username: acct.user,
      privateKey: readFileSync(acct.identityFile),
      knownHostsFile: lab.ssh.knownHostsFile,
    });
    sessions.push(ssh);
    return ssh;
  }

  function track(client: LibvirtClient): { client: LibvirtClient; states: StateChange[] } {
    const states: StateChange[] = [];
    client.on('state', (s) => states.push(s));
    client.on('warning', () => {});
    clients.push(client);
    return { client, states };
  }

  beforeAll(() => {
    if (availability.available && typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new Error(
        'these tests signal host processes and restart libvirtd: run them as root (like the lab)',
      );
    }
  });

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    for (const s of sessions) s.end();
  }, 30_000);

  it('answers the daemon keepalive PINGs: an idle connection outlives libvirtd’s 30 s deadline', async () => {
    const ssh = await sshAs('operator');
    const { client, states } = track(
      new LibvirtClient({
        dial: virtSshHelperDialer(ssh, 'qemu:///system'),
        keepalive: false,
        reconnect: false,
      }),
    );
    await client.connect();
    await tick(36_000); // libvirtd: PING after 5 s idle, gives up 5 × 5 s later without a PONG
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect((await client.host.connectInfo()).uri).toBe('qemu:///system');
  }, 60_000);

  it('detects a frozen peer (SIGSTOP on our virt-ssh-helper) within interval × (count + 1), then reconnects', async () => {
    const ssh = await sshAs('operator');
    const tag = randomBytes(6).toString('hex');
    const intervalMs = 1000;
    const count = 3;
    const { client, states } = track(
      new LibvirtClient({
        dial: virtSshHelperDialer(ssh, 'qemu:///system', { env: { VIRTDECK_TEST_TAG: tag } }),
        keepalive: { intervalMs, count },
        reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
      }),
    );
    await client.connect();
    await waitFor(() => helperPids(tag).length === 1, 5000, 'the helper process');
    const [pid] = helperPids(tag) as [number];
    const t0 = performance.now();
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor(
        () => states.some((s) => s.state === 'lost'),
        intervalMs * (count + 1) + 3000,
        'keepalive timeout',
      );
      const elapsed = performance.now() - t0;
      const lost = states.find((s) => s.state === 'lost');
      expect(lost?.reason).toMatch(/keepalive-timeout/);
      expect(elapsed).toBeGreaterThanOrEqual(intervalMs * (count - 1));
      expect(elapsed).toBeLessThanOrEqual(intervalMs * (count + 1) + 1500);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // A fresh helper, a fresh handshake.
    await waitFor(() => client.state === 'connected', 15_000, 'reconnect');
    expect(states[states.length - 1]).toMatchObject({ state: 'connected', reconnected: true });
    expect((await client.host.connectInfo()).uri).toBe('qemu:///system');
    expect(helperPids(tag).filter((p) => p !== pid).length).toBe(1); // a new relay process
    // The frozen helper exits once resumed (its channel was closed by us).
    await waitFor(() => !processAlive(pid), 15_000, `old helper ${pid} to exit`).catch(() => {
      process.kill(pid, 'SIGTERM');
    });
  }, 60_000);

  it('libvirtd restart: the client reconnects by itself and its event subscription delivers again', async () => {
    const ssh = await sshAs('root');
    const { client, states } = track(
      new LibvirtClient({
        dial: virtSshHelperDialer(ssh, 'qemu:///system'),
        reconnect: { initialDelayMs: 250, maxDelayMs: 2000 },
        callTimeoutMs: 30_000,
      }),
    );
    await client.connect();
    const events: DomainEvent<'lifecycle'>[] = [];
    const sub = await client.onDomainEvent('lifecycle', (e) => {
      if (e.domain.name.startsWith('vd-test-restart-')) events.push(e);
    });
    const before = await client.domain.list();

    await restartLibvirtd();
    await waitFor(() => states.some((s) => s.state === 'lost'), 30_000, 'the loss to be noticed');
    await waitFor(
      () => client.state === 'connected' && states[states.length - 1]?.reconnected === true,
      60_000,
      'reconnect',
    );
    const lost = states.find((s) => s.state === 'lost');
    expect(lost?.reason).toMatch(/peer-closed/);

    // Same domains, and events flow through the same subscription (re-registered, new callback ID).
    const after = await client.domain.list();
    expect(after.map((d) => d.uuid).sort()).toEqual(before.map((d) => d.uuid).sort());
    const name = `vd-test-restart-${randomBytes(3).toString('hex')}`;
    const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`;
    try {
      const d = await client.domain.define(xml, virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE);
      await client.domain.undefine(d);
      await waitFor(() => events.length >= 2, 15_000, 'DEFINED/UNDEFINED after the restart');
      expect(events.map((e) => lifecycleEventName(e.data.event))).toEqual([
        'VIR_DOMAIN_EVENT_DEFINED',
        'VIR_DOMAIN_EVENT_UNDEFINED',
      ]);
    } finally {
      await client.domain.undefine({ name }).catch(() => {});
      await sub.unsubscribe();
    }
  }, 300_000);

  it('the app: after a libvirtd restart the host link comes back over the same SSH connection', async () => {
    if (!availability.available) return;
    const lab = await openLabApp(availability.lab, { displayName: 'ssh-pool-test' });
    try {
      const { connections } = lab.app.deps;
      const first = connections.link(lab.hostId);
      const ssh = first?.ssh;
      expect(ssh).toBeTruthy();
      await restartLibvirtd();
      await waitFor(() => {
        const link = connections.link(lab.hostId);
        return link !== null && link !== first;
      }, 60_000, 'the host link after the restart');
      // libvirt is new, SSH is the same connection: no new login (no new key touch for FIDO users).
      expect(connections.link(lab.hostId)?.ssh).toBe(ssh);
      expect(ssh?.closed).toBe(false);
      expect((await connections.link(lab.hostId)?.libvirt.host.connectInfo())?.libVersion).toMatch(/^\d+\.\d+/);
      // Disconnecting the host closes its SSH connection.
      await connections.disconnect(lab.hostId);
      expect(ssh?.closed).toBe(true);
    } finally {
      await lab.close();
    }
  }, 300_000);
});
