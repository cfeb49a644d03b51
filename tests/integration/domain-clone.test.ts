/**
 * Clone and rename against the lab's real libvirtd over the app's own SSH connection: plans that change
 * nothing, refusals, a copied clone of vd-off-1 that boots, a linked clone, a cancel halfway through a
 * 1 GiB copy and a failure after a copy (both leave nothing), NVRAM copied, a disk in an existing pool,
 * and rename there and back. Files outside pools go through a temporary pool; whether the lab has a pool
 * over its disks directory or not, the clone of vd-off-1 works (the tests here use their own directory
 * for the pool / no-pool cases). Everything is named vd-test-clone-… and removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CloneJob, CloneRequest } from '../../preload/api-contract';
import type { LibvirtClient } from '../../main/libvirt/client';
import { virDomainXMLFlags } from '../../main/libvirt/protocol';
import type { SshConnection } from '../../main/ssh';
import { ApiFailure } from '../../main/services/api-failure';
import { DomainCloneService } from '../../main/services/domain-clone/clone-service';
import { readPersistent } from '../../main/services/domain-xml/domain-xml-store';
import {
  TEST_DIR,
  cleanUpTestObjects,
  connectLabAsApp,
  ensureTestDir,
  temporaryPools,
  throwawayXml,
} from '../support/clone-lab';
import { randomQcow2, virsh, virshOk } from '../support/lab';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const BIG = 'vd-test-clone-big';
const BIG_DISK = `${TEST_DIR}/${BIG}.qcow2`;
const BIG_MIB = 1024;

describe.skipIf(SKIP)(`domain clone and rename against the lab${SKIP_REASON}`, () => {
  let ssh: SshConnection;
  let libvirt: LibvirtClient;
  let service: DomainCloneService;
  const events: CloneJob[] = [];
  const filesToRemove: string[] = [];
  let offUuid = '';
  let bigUuid = '';
  const hostId = 'lab';

  const uuidOf = (name: string) => virsh('domuuid', name).trim();
  const request = async (uuid: string, name: string, disks: CloneRequest['disks'] = []): Promise<CloneRequest> => ({
    hostId,
    uuid,
    name,
    disks,
    basedOn: await readPersistent(libvirt, uuid),
  });
  const runClone = async (req: CloneRequest) => {
    const jobId = `test-${Math.random().toString(16).slice(2, 10)}`;
    await service.start({ ...req, jobId });
    return service.settled(jobId);
  };

  beforeAll(async () => {
    if (!availability.available) return;
    cleanUpTestObjects();
    ensureTestDir();
    ({ ssh, libvirt } = await connectLabAsApp(availability.lab));
    service = new DomainCloneService({ libvirt: () => libvirt, ssh: () => ssh }, (job) => events.push(job), { pollMs: 200 });
    offUuid = uuidOf('vd-off-1');
    randomQcow2(BIG_DISK, BIG_MIB);
    const offXml = virsh('dumpxml', '--inactive', 'vd-off-1');
    const bigXml = throwawayXml(
      offXml,
      BIG,
      `    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n      <source file='${BIG_DISK}'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>`,
    );
    writeFileSync(`${TEST_DIR}/big.xml`, bigXml);
    virsh('define', `${TEST_DIR}/big.xml`);
    bigUuid = uuidOf(BIG);
  }, 300_000);

  afterAll(async () => {
    if (!availability.available) return;
    await libvirt?.close().catch(() => undefined);
    ssh?.close();
    cleanUpTestObjects(filesToRemove);
    expect(temporaryPools()).toEqual([]);
  });

  it('plans a clone of vd-off-1 without changing anything', async () => {
    const before = await readPersistent(libvirt, offUuid);
    const plan = await service.plan(hostId, offUuid);
    expect(plan.blockers).toEqual([]);
    expect(plan.suggestedName).toBe('vd-off-1-clone');
    const disk = plan.disks[0];
    expect(disk).toMatchObject({ target: 'vda', device: 'disk', format: 'qcow2', modes: ['copy', 'link'], suggestedName: 'vd-off-1-clone.qcow2' });
    // Either the lab has a pool over its disks directory by now, or the file is copied through a temporary one.
    expect(['volume', 'file']).toContain(disk?.storage.kind);
    expect(disk?.allocationBytes).toBeGreaterThan(0);
    expect(plan.nvram).toBeNull();
    expect(await readPersistent(libvirt, offUuid)).toBe(before);
    expect(temporaryPools()).toEqual([]);
  });

  it('says why a running guest cannot be cloned, and refuses bad requests without changing anything', async () => {
    const running = await service.plan(hostId, uuidOf('vd-vnc-1'));
    expect(running.blockers).toContainEqual({ key: 'notShutOff', values: { state: 'running' } });
    await expect(service.preview(await request(uuidOf('vd-vnc-1'), 'vd-test-clone-x'))).rejects.toMatchObject({ code: 'conflict' });
    const base = await request(offUuid, 'vd-test-clone-x');
    await expect(service.preview({ ...base, name: 'vd-off-2' })).rejects.toMatchObject({ code: 'conflict', field: 'name' });
    await expect(service.preview({ ...base, name: 'a/b' })).rejects.toMatchObject({ code: 'invalid-request', field: 'name' });
    await expect(service.preview({ ...base, basedOn: base.basedOn.replace('</domain>', '<!-- x --></domain>') })).rejects.toMatchObject({ code: 'conflict' });
    await expect(service.preview({ ...base, disks: [{ target: 'vdz', mode: 'copy', volumeName: 'x.qcow2' }] })).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(service.preview({ ...base, disks: [{ target: 'vda', mode: 'share', volumeName: null }] })).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(service.preview({ ...base, disks: [{ target: 'vda', mode: 'copy', volumeName: 'vd-off-2.qcow2' }] })).rejects.toMatchObject({ code: 'conflict' });
    expect(virshOk('dominfo', 'vd-test-clone-x')).toBe(false);
    expect(temporaryPools()).toEqual([]);
  });

  it('clones vd-off-1 with its disk copied: new identity, same data, its own serial log, and it boots', async () => {
    const name = 'vd-test-clone-copy';
    const req = await request(offUuid, name, [{ target: 'vda', mode: 'copy', volumeName: `${name}.qcow2` }]);
    const preview = await service.preview(req);
    expect(preview.diff).toContain(`+  <name>${name}</name>`);
    expect(preview.diff).toMatch(/^-\s*<uuid>/m);
    expect(preview.diff).toContain(`/var/lib/virtdeck-lab/disks/${name}.qcow2`);
    expect(preview.diff).toContain(`/var/lib/virtdeck-lab/logs/${name}.serial.log`);
    expect(preview.steps.map((s) => s.kind)).toEqual(expect.arrayContaining(['copyVolume', 'define']));
    const newDisk = `/var/lib/virtdeck-lab/disks/${name}.qcow2`;
    filesToRemove.push(newDisk, `/var/lib/virtdeck-lab/logs/${name}.serial.log`);

    const job = await runClone(req);
    expect(job).toMatchObject({ state: 'done', error: null, leftovers: [] });
    expect(job.result?.name).toBe(name);
    expect(job.result?.uuid).not.toBe(offUuid);
    expect(job.bytesDone).toBe(job.bytesTotal);
    expect(temporaryPools()).toEqual([]);
    const xml = await libvirt.domain.getXml({ uuid: job.result?.uuid ?? '' }, virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE);
    expect(xml).toContain(`<source file='${newDisk}'/>`);
    expect(xml).toContain(`/logs/${name}.serial.log`);
    expect(xml).not.toContain('vd-off-1.serial.log');
    expect(execFileSync('qemu-img', ['compare', '/var/lib/virtdeck-lab/disks/vd-off-1.qcow2', newDisk], { encoding: 'utf8' })).toContain('identical');

    virsh('start', name);
    const deadline = Date.now() + 60_000;
    let log = '';
    while (Date.now() < deadline && !log.includes('vd# ')) {
      await new Promise((r) => setTimeout(r, 500));
      log = existsSync(`/var/lib/virtdeck-lab/logs/${name}.serial.log`) ? readFileSync(`/var/lib/virtdeck-lab/logs/${name}.serial.log`, 'utf8') : '';
    }
    expect(log).toContain('vd# ');
    virsh('destroy', name);
    virsh('undefine', name);
  });

  it('links a disk: a qcow2 overlay backed by the original', async () => {
    const name = 'vd-test-clone-link';
    const req = await request(bigUuid, name, [{ target: 'vda', mode: 'link', volumeName: `${name}.qcow2` }]);
    const preview = await service.preview(req);
    expect(preview.warnings).toContainEqual({ key: 'linkedOriginal', values: { name: BIG } });
    expect(preview.steps).toContainEqual({ kind: 'temporaryPool', directory: TEST_DIR });
    const started = Date.now();
    const job = await runClone(req);
    expect(job).toMatchObject({ state: 'done', leftovers: [] });
    expect(Date.now() - started).toBeLessThan(20_000);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', `${TEST_DIR}/${name}.qcow2`], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(info['backing-filename']).toBe(BIG_DISK);
    expect(info['virtual-size']).toBe(BIG_MIB * 1048576);
    expect(temporaryPools()).toEqual([]);
    virsh('undefine', name);
  });

  it('cancel halfway through a 1 GiB copy: the copy ends, then everything is removed', async () => {
    const name = 'vd-test-clone-cancel';
    const req = await request(bigUuid, name, [{ target: 'vda', mode: 'copy', volumeName: `${name}.qcow2` }]);
    const jobId = 'test-cancel-1';
    events.length = 0;
    await service.start({ ...req, jobId });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !events.some((e) => e.jobId === jobId && e.bytesDone > 0 && e.state === 'running')) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const halfway = events.filter((e) => e.jobId === jobId && e.bytesDone > 0).at(-1);
    expect(halfway?.bytesDone).toBeLessThan(halfway?.bytesTotal ?? 0);
    expect(service.cancel(jobId).state).toBe('cancelling');
    const job = await service.settled(jobId);
    expect(job).toMatchObject({ state: 'cancelled', error: null, leftovers: [] });
    expect(events.filter((e) => e.jobId === jobId).map((e) => e.state)).toEqual(expect.arrayContaining(['running', 'cancelling', 'cleaning', 'cancelled']));
    expect(existsSync(`${TEST_DIR}/${name}.qcow2`)).toBe(false);
    expect(virshOk('dominfo', name)).toBe(false);
    expect(temporaryPools()).toEqual([]);
    const rates = events.filter((e) => e.jobId === jobId && e.bytesPerSecond !== null);
    console.log(`clone copy: ${((rates.at(-1)?.bytesPerSecond ?? 0) / 1048576).toFixed(0)} MiB/s while cancelling halfway`);
  });

  it('a failure after the copy (the name taken meanwhile) removes what the clone made, and only that', async () => {
    const name = 'vd-test-clone-fail';
    const req = await request(bigUuid, name, [{ target: 'vda', mode: 'copy', volumeName: `${name}.qcow2` }]);
    const jobId = 'test-fail-1';
    events.length = 0;
    await service.start({ ...req, jobId });
    while (!events.some((e) => e.jobId === jobId && e.bytesDone > 0)) await new Promise((r) => setTimeout(r, 50));
    // Someone else defines a guest with that name while the copy runs: libvirt refuses the clone's definition.
    const other = throwawayXml(virsh('dumpxml', '--inactive', 'vd-off-1'), name, '');
    writeFileSync(`${TEST_DIR}/other.xml`, other);
    virsh('define', `${TEST_DIR}/other.xml`);
    const otherUuid = uuidOf(name);
    const job = await service.settled(jobId);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('libvirt');
    expect(job.leftovers).toEqual([]);
    expect(existsSync(`${TEST_DIR}/${name}.qcow2`)).toBe(false);
    expect(uuidOf(name)).toBe(otherUuid);
    expect(temporaryPools()).toEqual([]);
    virsh('undefine', name);
  });

  it('the connection drops during a copy: the clone fails, and once the host is back the copy is removed', async () => {
    const name = 'vd-test-clone-drop';
    let current: LibvirtClient | null = libvirt;
    const dropping = new DomainCloneService(
      {
        libvirt: () => {
          if (!current) throw new ApiFailure('not-found', 'The host is not connected');
          return current;
        },
        ssh: () => ssh,
      },
      (job) => events.push(job),
      { pollMs: 200 },
    );
    const req = await request(bigUuid, name, [{ target: 'vda', mode: 'copy', volumeName: `${name}.qcow2` }]);
    events.length = 0;
    const jobId = 'test-drop-1';
    await dropping.start({ ...req, jobId });
    while (!events.some((e) => e.jobId === jobId && e.bytesDone > 0)) await new Promise((r) => setTimeout(r, 50));
    // The app's link goes away (as when SSH or libvirtd drops); libvirtd goes on copying.
    const lost = libvirt;
    const lostSsh = ssh;
    current = null;
    await lost.close();
    void lostSsh.close();
    await new Promise((r) => setTimeout(r, 1000));
    expect(events.filter((e) => e.jobId === jobId).at(-1)?.state).toBe('cleaning');
    ({ ssh, libvirt } = await connectLabAsApp(availability.available ? availability.lab : (undefined as never)));
    current = libvirt;
    const job = await dropping.settled(jobId);
    expect(job.state).toBe('failed');
    expect(job.leftovers).toEqual([]);
    expect(existsSync(`${TEST_DIR}/${name}.qcow2`)).toBe(false);
    expect(virshOk('dominfo', name)).toBe(false);
    expect(temporaryPools()).toEqual([]);
  });

  it('copies the NVRAM file to one named after the clone', async () => {
    const uefi = 'vd-test-clone-uefi';
    const nvDir = `${TEST_DIR}/nvram`;
    mkdirSync(nvDir, { recursive: true });
    const vars = Buffer.alloc(131072);
    for (let i = 0; i < vars.length; i++) vars[i] = (i * 31 + 7) & 255;
    writeFileSync(`${nvDir}/${uefi}_VARS.fd`, vars);
    const xml = throwawayXml(
      virsh('dumpxml', '--inactive', 'vd-off-1'),
      uefi,
      '',
      `\n    <loader readonly='yes' type='pflash'>/usr/share/qemu/bios-256k.bin</loader>\n    <nvram>${nvDir}/${uefi}_VARS.fd</nvram>`,
    );
    writeFileSync(`${TEST_DIR}/uefi.xml`, xml);
    virsh('define', `${TEST_DIR}/uefi.xml`);
    const plan = await service.plan(hostId, uuidOf(uefi));
    expect(plan.nvram).toMatchObject({ path: `${nvDir}/${uefi}_VARS.fd`, exists: true, suggestedPath: `${nvDir}/${uefi}-clone_VARS.fd` });
    const name = 'vd-test-clone-uefi2';
    const job = await runClone(await request(uuidOf(uefi), name));
    expect(job).toMatchObject({ state: 'done', leftovers: [] });
    expect(job.steps.map((s) => s.kind)).toEqual(['temporaryPool', 'copyNvram', 'define']);
    const copied = `${nvDir}/${name}_VARS.fd`;
    expect(readFileSync(copied).equals(vars)).toBe(true);
    expect(virsh('dumpxml', '--inactive', name)).toContain(`<nvram>${copied}</nvram>`);
    virsh('undefine', name, '--nvram');
    expect(existsSync(copied)).toBe(false);
    virsh('undefine', uefi, '--keep-nvram');
  });

  it('copies inside an existing pool over the directory and makes no temporary pool', async () => {
    const pool = 'vd-test-clone-pool';
    virsh('pool-create-as', pool, 'dir', '--target', TEST_DIR);
    try {
      const name = 'vd-test-clone-inpool';
      const plan = await service.plan(hostId, bigUuid);
      expect(plan.disks[0]?.storage).toMatchObject({ kind: 'volume', pool, poolType: 'dir', volume: `${BIG}.qcow2` });
      const req = await request(bigUuid, name, [{ target: 'vda', mode: 'copy', volumeName: `${name}.qcow2` }]);
      expect((await service.preview(req)).steps.map((s) => s.kind)).toEqual(['copyVolume', 'define']);
      const poolsSeen = new Set<string>();
      const watcher = setInterval(() => temporaryPools().forEach((p) => poolsSeen.add(p)), 100);
      const job = await runClone(req);
      clearInterval(watcher);
      expect(job).toMatchObject({ state: 'done', leftovers: [] });
      expect(poolsSeen.size).toBe(0);
      expect(virsh('vol-list', pool)).toContain(`${name}.qcow2`);
      virsh('undefine', name);
      virsh('vol-delete', '--pool', pool, `${name}.qcow2`);
    } finally {
      virsh('pool-destroy', pool);
    }
  });

  it('renames a shut-off guest and back; says why it cannot rename a running one', async () => {
    const check = await service.renameCheck(hostId, bigUuid);
    expect(check).toMatchObject({ name: BIG, blockers: [], keptPaths: [BIG_DISK] });
    const running = await service.renameCheck(hostId, uuidOf('vd-vnc-1'));
    expect(running.blockers).toContainEqual({ key: 'notShutOff', values: { state: 'running' } });
    await expect(service.rename(hostId, uuidOf('vd-vnc-1'), 'vd-vnc-1', 'vd-test-clone-nope')).rejects.toMatchObject({ code: 'conflict' });
    await expect(service.rename(hostId, bigUuid, BIG, 'vd-off-2')).rejects.toMatchObject({ code: 'conflict', field: 'name' });
    await expect(service.rename(hostId, bigUuid, 'not-its-name', 'vd-test-clone-renamed')).rejects.toMatchObject({ code: 'conflict' });
    expect(await service.rename(hostId, bigUuid, BIG, 'vd-test-clone-renamed')).toEqual({ name: 'vd-test-clone-renamed' });
    expect(virsh('domname', bigUuid).trim()).toBe('vd-test-clone-renamed');
    expect(await service.rename(hostId, bigUuid, 'vd-test-clone-renamed', BIG)).toEqual({ name: BIG });
    expect(virsh('domname', bigUuid).trim()).toBe(BIG);
  });
});
