/**
 * Live migration against the two-host lab, through VirtDeck's own connections (the app's SSH connection
 * and libvirt client per host) and its migration service: checks that change nothing; a running guest
 * with a qcow2 disk in host A's private disk directory migrates A → B directly with storage copy (the
 * probe finds B's address reachable); back B → A with `lab.sh isolate on` the probe finds it unreachable
 * and the relayed route carries memory and disk through VirtDeck; a migration cancelled halfway leaves
 * the guest running on A and nothing on B; VirtDeck's SSH connection to the source, then to the
 * destination, dropped for real halfway through a relayed migration (the sshd process serving it killed
 * on the host): the job waits for the host (`interrupted`), then says the guest runs on A, and nothing is
 * left on B; a guest whose disk is in the shared pool migrates without a copy; a paused incoming guest
 * left on B by a migration that stopped after Prepare (Begin and Prepare run by hand on VirtDeck's own
 * connections, then the source's job ended, Finish never called) makes the checks warn, and the next
 * migration removes it before it begins. The guest's serial console answers on the host it ended on.
 *
 * Everything is named vd-test-mig-… and removed afterwards (isolation is turned off in afterAll).
 *   flock /tmp/virtdeck-lab-tests.lock npx vitest run --config tests/vitest.integration.config.ts tests/integration/migration.test.ts
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MigrationJob, MigrationOptions } from '../../preload/api-contract';
import type { LibvirtClient } from '../../main/libvirt/client';
import { virDomainConsoleFlags } from '../../main/libvirt/protocol';
import { MIGRATE, PARAM, commonParams, destinationFlags, migrationFlags, replaceString, sourceFlags } from '../../main/services/migration/migration-params';
import { MigrationService } from '../../main/services/migration/migration-service';
import { hostBPath, labIsolate, requireHostB } from '../support/lab';
import {
  connectLabHosts,
  guestDiskPath,
  killSshdSession,
  removeThrowawayGuests,
  startThrowawayGuest,
  type LabMigrationHosts,
} from '../support/migration-lab';

const availability = inject('lab');
const SKIP = !availability.available || !availability.lab.hostB;
const SKIP_REASON = !availability.available ? ` (skipped: ${availability.reason})` : availability.lab.hostB ? '' : ' (skipped: the lab has no host B)';

const PREFIX = 'vd-test-mig-';
const GUEST = `${PREFIX}copy`;
const SHARED = `${PREFIX}shared`;
const LEFTOVER = `${PREFIX}leftover`;

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stateOf(client: LibvirtClient, uuid: string): Promise<number | 'absent'> {
  try {
    return (await client.domain.getState({ uuid })).state;
  } catch (err) {
    if ((err as { codeName?: string }).codeName === 'VIR_ERR_NO_DOMAIN') return 'absent';
    throw err;
  }
}

/** The guest's shell answers on its serial console (a marker echoed through $((6*7))). */
async function consoleAnswers(client: LibvirtClient, uuid: string): Promise<void> {
  const stream = await client.streams.console({ uuid }, null, virDomainConsoleFlags.VIR_DOMAIN_CONSOLE_FORCE);
  let text = '';
  stream.on('data', (b: Buffer) => (text += b.toString('latin1')));
  try {
    const marker = `mig-${Date.now()}`;
    const end = Date.now() + 60_000;
    let next = 0;
    while (!text.includes(`${marker}-42`)) {
      if (Date.now() > end) throw new Error(`console: no answer; got ${JSON.stringify(text.slice(-300))}`);
      if (Date.now() >= next) {
        stream.write(`\recho ${marker}-$((6*7))\r`);
        next = Date.now() + 2000;
      }
      await tick(100);
    }
  } finally {
    stream.destroy();
  }
}

describe.skipIf(SKIP)(`live migration between the lab's two hosts${SKIP_REASON}`, () => {
  let hosts: LabMigrationHosts;
  let service: MigrationService;
  const events: MigrationJob[] = [];
  let uuid = '';

  const options = (over: Partial<MigrationOptions> = {}): MigrationOptions => ({
    mode: 'live',
    copyStorage: 'full',
    disks: [],
    persistDest: true,
    undefineSource: true,
    compression: false,
    bandwidthMiBs: null,
    maxDowntimeMs: null,
    autoConverge: false,
    postCopy: false,
    route: 'auto',
    peerUri: null,
    ...over,
  });

  const settled = async (jobId: string, timeoutMs = 240_000): Promise<MigrationJob> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const job = service.list().find((j) => j.jobId === jobId);
      if (job && (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled')) return job;
      if (Date.now() > end) throw new Error(`migration ${jobId} did not end: ${JSON.stringify(job)}`);
      await tick(200);
    }
  };
  const migrate = async (from: 'a' | 'b', to: 'a' | 'b', guest: string, opts: MigrationOptions) => {
    const jobId = `test-${Math.random().toString(16).slice(2, 10)}`;
    await service.start({ hostId: hosts[from].hostId, uuid: guest, destinationHostId: hosts[to].hostId, jobId, options: opts });
    return settled(jobId);
  };

  beforeAll(async () => {
    if (SKIP || !availability.available) return;
    const lab = availability.lab;
    requireHostB(lab);
    labIsolate(false);
    hosts = await connectLabHosts(lab);
    await removeThrowawayGuests(lab, hosts, PREFIX);
    service = new MigrationService(
      {
        host: (id) => (id === hosts.a.hostId ? hosts.a : id === hosts.b.hostId ? hosts.b : null),
        connected: async () => [
          { hostId: hosts.a.hostId, name: 'A' },
          { hostId: hosts.b.hostId, name: 'B' },
        ],
      },
      (job) => events.push(job),
      { pollMs: 250, reconcileForMs: 20_000 },
    );
    uuid = await startThrowawayGuest(lab, hosts.a, GUEST, { memoryMiB: 192, diskMiB: 48, where: 'private' });
    await consoleAnswers(hosts.a.libvirt, uuid);
  }, 300_000);

  afterAll(async () => {
    if (SKIP || !availability.available) return;
    labIsolate(false);
    if (hosts) {
      await hosts.ensureConnected().catch(() => undefined);
      await removeThrowawayGuests(availability.lab, hosts, PREFIX);
      await hosts.close();
    }
  }, 120_000);

  it('plans A → B: a disk in the private directory is copied, checks pass, nothing changes', async () => {
    const plan = await service.plan({ hostId: hosts.a.hostId, uuid, destinationHostId: hosts.b.hostId, options: null });
    expect(plan.running).toBe(true);
    expect(plan.destinations).toEqual([{ hostId: hosts.b.hostId, name: 'B' }]);
    expect(plan.disks).toMatchObject([{ target: 'vda', shared: false, copyable: true }]);
    expect(plan.options).toMatchObject({ mode: 'live', copyStorage: 'full', disks: ['vda'], route: 'auto' });
    expect(plan.checks.filter((c) => c.status === 'blocker')).toEqual([]);
    const ids = plan.checks.map((c) => `${c.id}:${c.message.key}`);
    // qemu64 on TCG: libvirt says identical or superset depending on the host.
    expect(ids.some((id) => /^cpu:check\.cpu(Identical|Superset)$/.test(id))).toBe(true);
    expect(ids).toEqual(
      expect.arrayContaining(['machine:check.machineOk', 'networks:check.noNetworks', 'storage:check.diskCopied', 'memory:check.memoryOk', 'name:check.nameFree']),
    );
    // Without storage copy the unshared disk blocks, with a reason.
    const noCopy = await service.plan({ hostId: hosts.a.hostId, uuid, destinationHostId: hosts.b.hostId, options: options({ copyStorage: 'none' }) });
    expect(noCopy.checks).toContainEqual(expect.objectContaining({ id: 'storage', status: 'blocker', message: expect.objectContaining({ key: 'check.diskNotShared' }) }));
    await expect(
      service.start({ hostId: hosts.a.hostId, uuid, destinationHostId: hosts.b.hostId, jobId: 'test-refused', options: options({ copyStorage: 'none' }) }),
    ).rejects.toThrow(/cannot start: storage/);
    expect(await stateOf(hosts.a.libvirt, uuid)).toBe(1);
    expect(await stateOf(hosts.b.libvirt, uuid)).toBe('absent');
  });

  it('cancelled halfway: the guest keeps running on A and nothing is left on B', async () => {
    const jobId = 'test-cancel-1';
    await service.start({ hostId: hosts.a.hostId, uuid, destinationHostId: hosts.b.hostId, jobId, options: options({ bandwidthMiBs: 4, route: 'direct' }) });
    const end = Date.now() + 120_000;
    for (;;) {
      const job = service.list().find((j) => j.jobId === jobId);
      if (job?.state === 'running' && (job.stats?.dataProcessed ?? 0) > 4 * 1048576) break;
      if (job && ['done', 'failed', 'cancelled'].includes(job.state)) throw new Error(`ended before halfway: ${JSON.stringify(job)}`);
      if (Date.now() > end) throw new Error(`no progress: ${JSON.stringify(job)}`);
      await tick(100);
    }
    const halfway = service.list().find((j) => j.jobId === jobId);
    expect(halfway?.stats?.dataRemaining).toBeGreaterThan(0);
    await service.cancel(jobId);
    const job = await settled(jobId);
    expect(job.state).toBe('cancelled');
    expect(job.error).toBeNull();
    expect(job.location).toEqual({ hostId: hosts.a.hostId, state: 'running' });
    expect(job.outcome?.key).toBe('outcome.onSource');
    expect(await stateOf(hosts.a.libvirt, uuid)).toBe(1);
    expect(await stateOf(hosts.b.libvirt, uuid)).toBe('absent');
    await consoleAnswers(hosts.a.libvirt, uuid);
  }, 200_000);

  it('A → B directly with storage copy: the probe finds B reachable; the guest runs on B, defined there only', async () => {
    events.length = 0;
    const job = await migrate('a', 'b', uuid, options());
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    expect(job.route).toBe('direct');
    expect(job.routeReason?.key).toBe('route.reachable');
    expect(job.location).toEqual({ hostId: hosts.b.hostId, state: 'running' });
    expect(job.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(job.relayedBytes).toBe(0);
    // Progress was published while it ran: bytes and a rate.
    const running = events.filter((e) => e.jobId === job.jobId && e.state === 'running' && e.stats);
    expect(running.length).toBeGreaterThan(0);
    expect(running.some((e) => (e.stats?.dataProcessed ?? 0) > 0)).toBe(true);
    expect(await stateOf(hosts.b.libvirt, uuid)).toBe(1);
    expect(await stateOf(hosts.a.libvirt, uuid)).toBe('absent'); // undefined on the source
    expect(await hosts.b.libvirt.domain.isPersistent({ uuid })).toBe(true);
    await consoleAnswers(hosts.b.libvirt, uuid);
  }, 300_000);

  it('B → A relayed with the hosts isolated: the probe finds A unreachable and VirtDeck carries memory and disk', async () => {
    labIsolate(true);
    try {
      const job = await migrate('b', 'a', uuid, options());
      expect(job.error).toBeNull();
      expect(job.state).toBe('done');
      expect(job.route).toBe('relayed');
      expect(job.routeReason?.key).toBe('route.unreachable');
      expect(job.location).toEqual({ hostId: hosts.a.hostId, state: 'running' });
      // The disk (48 MiB of random data) and the memory went through the relay.
      expect(job.relayedBytes).toBeGreaterThan(48 * 1048576);
      expect(await stateOf(hosts.a.libvirt, uuid)).toBe(1);
      expect(await stateOf(hosts.b.libvirt, uuid)).toBe('absent');
      await consoleAnswers(hosts.a.libvirt, uuid);
    } finally {
      labIsolate(false);
    }
  }, 300_000);

  /**
   * A relayed migration A → B (hosts isolated) of a throwaway guest, and halfway — after some MiB went
   * through the relay, long before the switch-over (4 MiB/s) — the sshd process serving VirtDeck's SSH
   * connection to one host is killed on that host. The job must wait for the host (`interrupted`, "waiting"),
   * and once VirtDeck is connected again say where the guest is: still running on A, nothing on B (no
   * domain, no disk copy).
   */
  const dropHalfway = async (side: 'a' | 'b') => {
    if (!availability.available) return;
    const lab = availability.lab;
    const name = `${PREFIX}drop-${side === 'a' ? 'source' : 'dest'}`;
    const guest = await startThrowawayGuest(lab, hosts.a, name, { memoryMiB: 128, diskMiB: 32, where: 'private' });
    const copyOnB = hostBPath(requireHostB(lab), guestDiskPath(lab, name, 'private'));
    const jobId = `test-drop-${side}-${Math.random().toString(16).slice(2, 10)}`;
    const seen: MigrationJob[] = [];
    const from = events.length;
    labIsolate(true);
    try {
      await consoleAnswers(hosts.a.libvirt, guest);
      await service.start({ hostId: hosts.a.hostId, uuid: guest, destinationHostId: hosts.b.hostId, jobId, options: options({ bandwidthMiBs: 4 }) });
      const job = () => service.list().find((j) => j.jobId === jobId);
      const until = async (what: string, cond: (j: MigrationJob) => boolean, timeoutMs: number): Promise<MigrationJob> => {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const j = job();
          if (j && cond(j)) return j;
          if (j && ['done', 'failed', 'cancelled'].includes(j.state)) throw new Error(`ended before ${what}: ${JSON.stringify(j)}`);
          if (Date.now() > end) throw new Error(`not ${what} after ${timeoutMs} ms: ${JSON.stringify(j)}`);
          await tick(50);
        }
      };
      const halfway = await until('halfway', (j) => j.state === 'running' && j.step === 'perform' && j.relayedBytes > 4 * 1048576, 120_000);
      expect(halfway.route).toBe('relayed');
      expect(halfway.relayedBytes).toBeLessThan(32 * 1048576); // the disk alone is more: far from the switch-over
      const dropped = hosts[side];
      const pids = killSshdSession(lab, side);
      expect(pids.length).toBeGreaterThan(0);
      const closedBy = Date.now() + 10_000;
      while (!dropped.ssh?.closed && Date.now() < closedBy) await tick(20);
      expect(dropped.ssh?.closedBecause?.kind).not.toBe('requested'); // the host's end went away, not ours
      // The host cannot be asked: the job waits for it and says so.
      const waiting = await until('interrupted', (j) => j.state === 'interrupted', 60_000);
      expect(waiting.outcome?.key).toBe('outcome.waiting');
      expect(waiting.finishedAt).toBeNull();
      await hosts.reconnect(side);
      const ended = await settled(jobId, 60_000);
      seen.push(...events.slice(from).filter((e) => e.jobId === jobId));
      expect(ended.state).toBe('failed');
      expect(ended.error?.message).toBeTruthy();
      expect(ended.route).toBe('relayed');
      expect(ended.location).toEqual({ hostId: hosts.a.hostId, state: 'running' });
      expect(ended.outcome?.key).toBe('outcome.onSource');
      expect(seen.some((e) => e.state === 'interrupted' && e.outcome?.key === 'outcome.waiting')).toBe(true);
      expect(await stateOf(hosts.a.libvirt, guest)).toBe(1);
      expect(await stateOf(hosts.b.libvirt, guest)).toBe('absent');
      expect(existsSync(copyOnB)).toBe(false);
      await consoleAnswers(hosts.a.libvirt, guest);
    } finally {
      labIsolate(false);
      await hosts.ensureConnected();
      await removeThrowawayGuests(lab, hosts, name);
    }
  };

  it('the SSH connection to the source (A) dropped halfway through a relayed migration: the guest keeps running on A, the job says so', async () => {
    await dropHalfway('a');
  }, 300_000);

  it('the SSH connection to the destination (B) dropped halfway through a relayed migration: the guest keeps running on A, nothing on B', async () => {
    await dropHalfway('b');
  }, 300_000);

  it('a paused incoming guest left on B by a migration stopped after Prepare: the checks warn, the next migration removes it first and succeeds', async () => {
    if (!availability.available) return;
    const guest = await startThrowawayGuest(availability.lab, hosts.a, LEFTOVER, { memoryMiB: 128, diskMiB: 8, where: 'shared' });
    const plan = await service.plan({ hostId: hosts.a.hostId, uuid: guest, destinationHostId: hosts.b.hostId, options: null });
    expect(plan.checks.filter((c) => c.status === 'blocker')).toEqual([]);
    // Begin on A, Prepare on B (B starts the paused incoming guest), then A's job ended as cancelled and
    // Finish never called on B: what an interrupted migration leaves while B's connection stays open.
    const flags = migrationFlags(plan.options, { active: true, paused: false, copyDisks: [], verifiedSharedDisks: true });
    expect(flags & MIGRATE.UNSAFE).toBe(MIGRATE.UNSAFE);
    let params = commonParams(plan.options, [], flags);
    const begun = await hosts.a.libvirt.migration.begin3({ uuid: guest }, params, sourceFlags(flags));
    params = replaceString(params, PARAM.DEST_XML, begun.xml);
    await hosts.b.libvirt.migration.prepare3(params, begun.cookieOut, destinationFlags(flags));
    await hosts.a.libvirt.migration.confirm3({ uuid: guest }, params, new Uint8Array(0), sourceFlags(flags), true);
    expect(await hosts.b.libvirt.domain.getState({ uuid: guest })).toEqual({ state: 3, reason: 2 }); // paused for migration
    expect(await stateOf(hosts.a.libvirt, guest)).toBe(1);
    const again = await service.plan({ hostId: hosts.a.hostId, uuid: guest, destinationHostId: hosts.b.hostId, options: null });
    expect(again.checks).toContainEqual({ id: 'name', status: 'warning', message: { key: 'check.leftoverIncoming', values: { name: LEFTOVER } } });
    expect(again.checks.filter((c) => c.status === 'blocker')).toEqual([]);
    const job = await migrate('a', 'b', guest, again.options);
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    expect(job.location).toEqual({ hostId: hosts.b.hostId, state: 'running' });
    expect(await stateOf(hosts.b.libvirt, guest)).toBe(1);
    expect(await stateOf(hosts.a.libvirt, guest)).toBe('absent');
    await consoleAnswers(hosts.b.libvirt, guest);
  }, 300_000);

  it('a guest whose disk is in the shared pool migrates without a copy, and back', async () => {
    if (!availability.available) return;
    const sharedUuid = await startThrowawayGuest(availability.lab, hosts.a, SHARED, { memoryMiB: 128, diskMiB: 8, where: 'shared' });
    const plan = await service.plan({ hostId: hosts.a.hostId, uuid: sharedUuid, destinationHostId: hosts.b.hostId, options: null });
    expect(plan.disks).toMatchObject([{ target: 'vda', shared: true }]);
    expect(plan.options.copyStorage).toBe('none');
    expect(plan.checks).toContainEqual(expect.objectContaining({ id: 'storage', status: 'ok', message: expect.objectContaining({ key: 'check.diskShared' }) }));
    const there = await migrate('a', 'b', sharedUuid, plan.options);
    expect(there.error).toBeNull();
    expect(there.location).toEqual({ hostId: hosts.b.hostId, state: 'running' });
    const back = await migrate('b', 'a', sharedUuid, { ...plan.options, route: 'relayed' });
    expect(back.error).toBeNull();
    expect(back.route).toBe('relayed');
    expect(back.routeReason?.key).toBe('route.forced.relayed');
    expect(back.location).toEqual({ hostId: hosts.a.hostId, state: 'running' });
    await consoleAnswers(hosts.a.libvirt, sharedUuid);
  }, 300_000);
});
