/**
 * Live migration against the two-host lab, through VirtDeck's own connections (the app's SSH connection
 * and libvirt client per host) and its migration service: checks that change nothing; a running guest
 * with a qcow2 disk in host A's private disk directory migrates A → B directly with storage copy (the
 * probe finds B's address reachable); back B → A with `lab.sh isolate on` the probe finds it unreachable
 * and the relayed route carries memory and disk through VirtDeck; a migration cancelled halfway leaves
 * the guest running on A and nothing on B; a guest whose disk is in the shared pool migrates without a
 * copy. The guest's serial console answers on the host it ended on.
 *
 * Everything is named vd-test-mig-… and removed afterwards (isolation is turned off in afterAll).
 *   flock /tmp/virtdeck-lab-tests.lock npx vitest run --config tests/vitest.integration.config.ts tests/integration/migration.test.ts
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MigrationJob, MigrationOptions } from '../../preload/api-contract';
import type { LibvirtClient } from '../../main/libvirt/client';
import { virDomainConsoleFlags } from '../../main/libvirt/protocol';
import { MigrationService } from '../../main/services/migration/migration-service';
import { labIsolate, requireHostB } from '../support/lab';
import {
  connectLabHosts,
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
