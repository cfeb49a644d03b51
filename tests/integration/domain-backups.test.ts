/**
 * Backups against the lab's real libvirtd 9.0 over the app's own SSH connection, with a guest of our own
 * (vd-test-bak-src: the lab guest with a 512 MiB qcow2 v3 data disk of random data it can write to):
 * support and the disks, a full backup, 8 MiB written in the guest over its serial console, an
 * incremental backup (smaller), restore of the incremental into a new guest that boots to its prompt and
 * reads the same 8 MiB, a cancel halfway through a full backup that leaves nothing, a backup of a shut-off
 * guest (started paused and stopped again), and delete with its checkpoints. Everything is named
 * vd-test-bak-… and removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackupJob } from '../../preload/api-contract';
import type { LibvirtClient } from '../../main/libvirt/client';
import type { SshConnection } from '../../main/ssh';
import { DomainBackupsService } from '../../main/services/domain-backups/backup-service';
import { connectLabAsApp } from '../support/clone-lab';
import {
  BAK_DIR,
  SerialShell,
  backupGuestXml,
  blockInitramfs,
  cleanUpBackupObjects,
  defineAndStart,
} from '../support/backup-lab';
import { randomQcow2, virsh, virshOk } from '../support/lab';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const SRC = 'vd-test-bak-src';
const RESTORED = 'vd-test-bak-restored';
const DISK_MIB = 512;
const BASE = `${BAK_DIR}/backups`;
const hostId = 'lab';

describe.skipIf(SKIP)(`backups against the lab${SKIP_REASON}`, () => {
  let ssh: SshConnection;
  let libvirt: LibvirtClient;
  let service: DomainBackupsService;
  const events: BackupJob[] = [];
  let uuid = '';
  let initrd = '';

  const runJob = async (start: Promise<BackupJob>) => service.settled((await start).jobId);
  const jobId = () => `test-${Math.random().toString(16).slice(2, 10)}`;

  beforeAll(async () => {
    if (!availability.available) return;
    cleanUpBackupObjects();
    initrd = blockInitramfs();
    randomQcow2(`${BAK_DIR}/${SRC}.qcow2`, DISK_MIB);
    defineAndStart(SRC, backupGuestXml(SRC, `${BAK_DIR}/${SRC}.qcow2`, initrd));
    uuid = virsh('domuuid', SRC).trim();
    ({ ssh, libvirt } = await connectLabAsApp(availability.lab));
    service = new DomainBackupsService({ libvirt: () => libvirt, ssh: () => ssh }, (job) => events.push(job), { pollMs: 100 });
  }, 300_000);

  afterAll(async () => {
    if (!availability.available) return;
    await libvirt?.close().catch(() => undefined);
    ssh?.close();
    cleanUpBackupObjects();
    expect(virsh('list', '--all', '--name').split('\n').filter((n) => n.startsWith('vd-test-bak-'))).toEqual([]);
  });

  it('says the lab supports backups, lists the disk, and offers a full backup only', async () => {
    const o = await service.overview(hostId, uuid, [BASE]);
    expect(o.support).toMatchObject({ supported: true, reason: null, libvirtVersion: '9.0.0', qemuImg: true });
    expect(o.disks).toEqual([expect.objectContaining({ target: 'vda', format: 'qcow2', included: true, checkpoints: true })]);
    expect(o.backups).toEqual([]);
    expect(o.checkpoints).toEqual([]);
    expect(o.canFull).toBe(true);
    expect(o.canIncremental).toBe(false);
    expect(o.defaultDirectory).toMatch(/\/backups$/);
    await expect(service.preview({ hostId, uuid, kind: 'incremental', directory: BASE })).rejects.toMatchObject({ code: 'conflict' });
    await expect(service.preview({ hostId, uuid, kind: 'full', directory: 'relative/dir' })).rejects.toMatchObject({ code: 'invalid-request' });
  });

  it('full, then incremental after writing 8 MiB in the guest: the incremental is smaller; restore boots with the data', async () => {
    const preview = await service.preview({ hostId, uuid, kind: 'full', directory: BASE });
    expect(preview.backupXml).toContain("<domainbackup mode='push'>");
    expect(preview.backupXml).toContain(`<target file='${preview.directory}/vda.qcow2'/>`);
    expect(preview.checkpointXml).toContain("checkpoint='bitmap'");
    expect(preview.startsPaused).toBe(false);

    events.length = 0;
    const full = await runJob(service.start({ hostId, uuid, kind: 'full', directory: BASE, jobId: jobId() }));
    expect(full).toMatchObject({ state: 'done', error: null, leftovers: [] });
    const progress = events.filter((e) => e.jobId === full.jobId && e.state === 'running' && e.bytesTotal);
    expect(progress.length).toBeGreaterThan(0);
    expect(full.bytesTotal).toBe(DISK_MIB * 1048576);
    expect(full.bytesDone).toBe(full.bytesTotal);
    const rates = progress.map((e) => e.bytesPerSecond).filter((r): r is number => r !== null);
    console.log(
      `full backup of ${DISK_MIB} MiB (running guest): ${((full.finishedAt ?? 0) - full.startedAt) / 1000} s, ` +
        `${progress.length} progress events, last rate ${((rates.at(-1) ?? 0) / 1048576).toFixed(0)} MiB/s`,
    );

    const shell = await SerialShell.open(libvirt, SRC);
    let sum: string;
    try {
      expect(await shell.run('ls /dev/vda')).toContain('/dev/vda');
      await shell.run('dd if=/dev/urandom of=/dev/vda bs=1M count=8 seek=100 conv=fsync 2>/dev/null; sync', 120_000);
      sum = (await shell.run('dd if=/dev/vda bs=1M skip=100 count=8 2>/dev/null | md5sum', 60_000)).trim().split(/\s+/)[0] ?? '';
      expect(sum).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      shell.close();
    }

    let o = await service.overview(hostId, uuid, [BASE]);
    expect(o.canIncremental).toBe(true);
    expect(o.incrementalParent).toBe(full.result?.directory);
    const incr = await runJob(service.start({ hostId, uuid, kind: 'incremental', directory: BASE, jobId: jobId() }));
    expect(incr).toMatchObject({ state: 'done', error: null, leftovers: [] });
    console.log(`incremental backup after 8 MiB written: ${((incr.finishedAt ?? 0) - incr.startedAt) / 1000} s`);

    o = await service.overview(hostId, uuid, [BASE]);
    expect(o.backups.map((b) => b.kind)).toEqual(['full', 'incremental']);
    const [fullEntry, incrEntry] = o.backups;
    expect(incrEntry?.parent).toBe(fullEntry?.directory);
    expect(o.checkpoints.map((c) => c.name)).toEqual([fullEntry?.checkpoint, incrEntry?.checkpoint]);
    expect(o.checkpoints[1]?.parent).toBe(fullEntry?.checkpoint);
    expect(incrEntry?.restorable).toBe(true);
    console.log(`backup sizes: full ${fullEntry?.totalBytes} B, incremental ${incrEntry?.totalBytes} B`);
    expect(incrEntry?.totalBytes ?? Infinity).toBeLessThan((fullEntry?.totalBytes ?? 0) / 4);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', `${incrEntry?.directory}/vda.qcow2`], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(info['backing-filename']).toBe(`${fullEntry?.directory}/vda.qcow2`);

    const request = { hostId, uuid, backup: incrEntry?.directory ?? '', name: RESTORED, pool: 'vd-lab-pool' };
    const rp = await service.restorePreview(request);
    expect(rp.chain).toEqual([fullEntry?.directory, incrEntry?.directory]);
    expect(rp.xml).toContain(`<name>${RESTORED}</name>`);
    expect(rp.xml).toContain(`volume='${RESTORED}-vda.qcow2'`);
    expect(rp.xml).not.toContain('<uuid>');
    const restored = await runJob(service.restore({ ...request, jobId: jobId() }));
    expect(restored).toMatchObject({ state: 'done', error: null, leftovers: [] });
    expect(restored.result?.name).toBe(RESTORED);
    expect(restored.result?.uuid).not.toBe(uuid);
    console.log(`restore of full + incremental (${DISK_MIB} MiB disk): ${((restored.finishedAt ?? 0) - restored.startedAt) / 1000} s`);
    expect(virsh('pool-list', '--all', '--name')).not.toContain('virtdeck-clone-');

    virsh('start', RESTORED);
    const rshell = await SerialShell.open(libvirt, RESTORED);
    try {
      const restoredSum = (await rshell.run('dd if=/dev/vda bs=1M skip=100 count=8 2>/dev/null | md5sum', 60_000)).trim().split(/\s+/)[0];
      expect(restoredSum).toBe(sum);
    } finally {
      rshell.close();
    }
    virsh('destroy', RESTORED);
  }, 600_000);

  it('cancel halfway through a full backup: the job, its checkpoint and its directory are gone', async () => {
    const before = (await service.overview(hostId, uuid, [BASE])).checkpoints.map((c) => c.name);
    const dirsBefore = readdirSync(`${BASE}/${SRC}`);
    events.length = 0;
    const started = await service.start({ hostId, uuid, kind: 'full', directory: BASE, jobId: jobId() });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !events.some((e) => e.jobId === started.jobId && e.bytesDone > 0 && e.state === 'running')) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const halfway = events.filter((e) => e.jobId === started.jobId && e.bytesDone > 0).at(-1);
    expect(halfway?.bytesDone).toBeLessThan(halfway?.bytesTotal ?? 0);
    service.cancel(started.jobId);
    const job = await service.settled(started.jobId);
    expect(job).toMatchObject({ state: 'cancelled', error: null, leftovers: [] });
    expect(events.filter((e) => e.jobId === started.jobId).map((e) => e.state)).toEqual(expect.arrayContaining(['running', 'cleaning', 'cancelled']));
    expect(readdirSync(`${BASE}/${SRC}`)).toEqual(dirsBefore);
    const after = await service.overview(hostId, uuid, [BASE]);
    expect(after.checkpoints.map((c) => c.name)).toEqual(before);
    expect((await libvirt.backup.jobStats({ uuid })).type).toBe(0);
  }, 300_000);

  it('a shut-off guest is started paused for its backup and shut off again; delete removes backups and checkpoints', async () => {
    virsh('destroy', SRC);
    const preview = await service.preview({ hostId, uuid, kind: 'incremental', directory: BASE });
    expect(preview.startsPaused).toBe(true);
    const job = await runJob(service.start({ hostId, uuid, kind: 'incremental', directory: BASE, jobId: jobId() }));
    expect(job).toMatchObject({ state: 'done', startedPaused: true, leftovers: [] });
    console.log(`incremental backup of the shut-off guest (started paused): ${((job.finishedAt ?? 0) - job.startedAt) / 1000} s`);
    expect(virsh('domstate', SRC).trim()).toBe('shut off');
    let o = await service.overview(hostId, uuid, [BASE]);
    expect(o.backups.map((b) => b.kind)).toEqual(['full', 'incremental', 'incremental']);
    expect(o.backups[2]?.startedPaused).toBe(true);
    expect(o.backups[2]?.totalBytes ?? Infinity).toBeLessThan(DISK_MIB * 1048576 / 4);

    const full = o.backups[0]?.directory ?? '';
    await expect(service.delete(hostId, uuid, full, 'wrong')).rejects.toMatchObject({ code: 'invalid-request' });
    const { removed } = await service.delete(hostId, uuid, full, SRC);
    expect(removed).toHaveLength(3);
    expect(virsh('domstate', SRC).trim()).toBe('shut off');
    o = await service.overview(hostId, uuid, [BASE]);
    expect(o.backups).toEqual([]);
    expect(o.checkpoints).toEqual([]);
    for (const dir of removed) expect(existsSync(dir)).toBe(false);
    expect(statSync(`${BASE}/${SRC}`).isDirectory()).toBe(true);
    expect(virshOk('dominfo', SRC)).toBe(true);
  }, 300_000);
});
