/**
 * The new-VM service against the lab's REAL libvirtd over REAL SSH: the host's osinfo-db read over
 * SFTP, the ISO's label read over libvirt's download stream, a VM created from a bootable ISO (the lab
 * guest's kernel + initramfs under GRUB) that reaches its shell on the serial console, a cloud-image VM
 * whose qcow2 sits on the image and whose NoCloud seed volume reads back right, and failures at define
 * and at start that leave no volume and no definition behind. Everything lives in a transient pool
 * `vd-test-newvm-<tag>` and is removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NewVmSpec } from '../../preload/api-contract';
import type { LibvirtClient, StoragePool } from '../../main/libvirt/client';
import { virDomainUndefineFlagsValues as Undefine } from '../../main/libvirt/protocol';
import { NewVmService, type NewVmHost } from '../../main/services/new-vm/new-vm-service';
import { readVolumeBytes } from '../../main/services/new-vm/iso-label';
import { connectLabLibvirt } from '../support/lab-libvirt';
import { bootIsoUnavailable, buildBootIso, TEST_ISO_GUEST, TEST_ISO_LABEL, testPoolDir, testPoolXml } from '../support/new-vm-lab';

const availability = inject('lab');
const SKIP_REASON = !availability.available ? availability.reason : bootIsoUnavailable();
const THRESHOLDS = { vcpuPerThread: 0.8, memoryShare: 0.7 };
const GENERIC_LINUX = 'http://libosinfo.org/linux/2022';

describe.skipIf(SKIP_REASON !== null)(`new VM on the lab${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ''}`, () => {
  let ssh: Client;
  let client: LibvirtClient;
  let host: NewVmHost;
  let pool: StoragePool | null = null;
  const tag = randomBytes(3).toString('hex');
  const prefix = `vd-test-newvm-${tag}`;
  const poolName = prefix;
  const dir = testPoolDir(tag);
  const iso = `${dir}/boot.iso`;
  const progress: Array<{ createId: string; index: number; state: string }> = [];
  const service = new NewVmService((p) => progress.push(p));

  const poolVolumes = async () => (await client.storagePool.listVolumes({ name: poolName })).map((v) => v.name).sort();
  const domainNames = async () => (await client.domain.list()).map((d) => d.name);

  async function specFor(name: string, source: NewVmSpec['source']): Promise<NewVmSpec> {
    const defaults = await service.defaults(host, GENERIC_LINUX, source.kind);
    return { ...defaults.spec, name, source, vcpus: 1, memoryMiB: 160, disk: { ...defaults.spec.disk, pool: poolName, sizeGiB: 1 } };
  }

  async function removeDomain(name: string): Promise<void> {
    const found = (await client.domain.list()).find((d) => d.name === name);
    if (!found) return;
    await client.domain.destroy(found).catch(() => undefined);
    await client.domain.undefine(found, Undefine.VIR_DOMAIN_UNDEFINE_NVRAM).catch(() => undefined);
  }

  beforeAll(async () => {
    if (!availability.available) return;
    ({ ssh, client } = await connectLabLibvirt(availability.lab));
    host = { libvirt: client, ssh: { sftp: () => new Promise<SFTPWrapper>((resolve, reject) => ssh.sftp((e, s) => (e ? reject(e) : resolve(s)))) } };
    mkdirSync(dir, { recursive: true });
    buildBootIso(availability.lab, iso);
    pool = await client.storagePool.create(testPoolXml(tag));
  }, 180_000);

  afterAll(async () => {
    try {
      for (const name of await domainNames().catch(() => [])) if (name.startsWith(prefix)) await removeDomain(name);
      if (pool) {
        for (const vol of await client.storagePool.listVolumes(pool).catch(() => [])) await client.storageVolume.delete(vol).catch(() => undefined);
        await client.storagePool.destroy(pool).catch(() => undefined);
      }
      await client?.close();
    } finally {
      ssh?.end();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("reads the host: TCG only, the test pool and its ISO, and the host's own osinfo-db over SFTP", async () => {
    const context = await service.context('lab', host);
    expect(context.host.domainType).toBe('qemu');
    expect(context.host.efi).toBe(false);
    expect(context.pools.find((p) => p.name === poolName)).toMatchObject({ type: 'dir', fileBased: true, targetPath: dir });
    expect(context.volumes.find((v) => v.path === iso)).toMatchObject({ pool: poolName, name: 'boot.iso', format: 'iso' });
    expect(context.osSource).toMatchObject({ kind: 'host', path: '/usr/share/osinfo' });
    expect(context.osSource.count).toBeGreaterThan(500);
    expect(context.oses.some((os) => os.id === GENERIC_LINUX)).toBe(true);
  }, 120_000);

  it("reads the ISO's volume label through libvirt's download stream; no OS claims it", async () => {
    expect(await service.detect(host, iso)).toEqual({ label: TEST_ISO_LABEL, matches: [] });
  }, 60_000);

  it('creates a VM from the ISO: volume, define, start; it boots GRUB → kernel → the shell on its serial console', async () => {
    const name = `${prefix}-iso`;
    const spec = await specFor(name, { kind: 'iso', isoPath: iso });
    const preview = await service.preview(host, spec, THRESHOLDS);
    expect(preview.steps.map((s) => s.kind)).toEqual(['create-volume', 'define', 'start']);
    expect(preview.notes.map((n) => n.key)).toContain('tcg');
    const createId = randomUUID();
    const result = await service.create(host, spec, preview.xml, createId);
    expect(result).toMatchObject({ ok: true, name, console: 'serial' });
    expect(progress.filter((p) => p.createId === createId).map((p) => `${p.index}:${p.state}`)).toEqual(['0:running', '0:done', '1:running', '1:done', '2:running', '2:done']);
    expect(await poolVolumes()).toEqual(['boot.iso', `${name}.qcow2`]);

    const console = await client.streams.console({ name }, null, 1 /* VIR_DOMAIN_CONSOLE_FORCE */);
    let seen = '';
    const prompt = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no shell prompt within 120 s; the console showed:\n${seen.slice(-2000)}`)), 120_000);
      console.on('data', (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        if (seen.includes(`vd: ${TEST_ISO_GUEST} ready`) && seen.includes('vd# ')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const poke = setInterval(() => console.write('\r'), 2_000);
    try {
      await prompt;
    } finally {
      clearInterval(poke);
      console.destroy();
    }
    await removeDomain(name);
    await client.storageVolume.delete({ pool: poolName, name: `${name}.qcow2` });
  }, 240_000);

  it('creates a cloud-image VM: its qcow2 on top of the image, and a NoCloud seed volume that reads back as cloud-init needs it', async () => {
    await client.storageVolume.create(
      { name: poolName },
      "<volume><name>cloud-base.qcow2</name><capacity unit='bytes'>67108864</capacity><allocation>0</allocation><target><format type='qcow2'/></target></volume>",
    );
    const name = `${prefix}-cloud`;
    const spec = await specFor(name, {
      kind: 'cloud-image',
      imagePath: `${dir}/cloud-base.qcow2`,
      cloudInit: { user: 'ops', password: 'lab-only-password', sshKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnlyForTests test@vd', hostname: 'vd-cloud' },
    });
    const preview = await service.preview(host, spec, THRESHOLDS);
    expect(preview.steps.map((s) => s.kind)).toEqual(['create-volume', 'write-seed', 'define', 'start']);
    expect(preview.seed?.userData).not.toContain('lab-only-password');
    const result = await service.create(host, spec, preview.xml, randomUUID());
    expect(result.ok).toBe(true);

    const overlay = await client.storageVolume.getXml({ pool: poolName, name: `${name}.qcow2` });
    expect(overlay).toContain(`<path>${dir}/cloud-base.qcow2</path>`);
    const seedPath = `${dir}/${name}-cidata.iso`;
    const info = await client.storageVolume.getInfo({ path: seedPath });
    const bytes = await readVolumeBytes(client, seedPath, 0, Number(info.capacity));
    const local = mkdtempSync(join(tmpdir(), 'vd-test-newvm-seed-'));
    try {
      const file = join(local, 'seed.iso');
      writeFileSync(file, bytes);
      expect(execFileSync('blkid', ['-p', '-o', 'export', file], { encoding: 'utf8' })).toMatch(/^LABEL=cidata$/m);
      const userData = execFileSync('isoinfo', ['-R', '-x', '/user-data', '-i', file], { encoding: 'utf8' });
      expect(userData).toMatch(/^#cloud-config\n/);
      expect(userData).toContain('hostname: vd-cloud');
      expect(userData).toMatch(/passwd: \$6\$/);
      expect(execFileSync('isoinfo', ['-J', '-x', '/meta-data', '-i', file], { encoding: 'utf8' })).toContain('local-hostname: vd-cloud');
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
    const xml = await client.domain.getXml({ name });
    expect(xml).toContain(`<source file='${seedPath}'`);
    await removeDomain(name);
    for (const vol of [`${name}.qcow2`, `${name}-cidata.iso`]) await client.storageVolume.delete({ pool: poolName, name: vol });
  }, 180_000);

  it('a start that fails removes the definition, the seed and the disk again, and names the step and libvirt\'s reason', async () => {
    const name = `${prefix}-broken`;
    const spec = await specFor(name, {
      kind: 'cloud-image',
      imagePath: `${dir}/cloud-base.qcow2`,
      cloudInit: { user: 'ops', password: null, sshKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnlyForTests test@vd', hostname: 'vd-broken' },
    });
    const preview = await service.preview(host, spec, THRESHOLDS);
    // Valid for the schema and for define; the missing file stops the start.
    const xml = preview.xml.replace(
      '    <serial',
      "    <disk type='file' device='disk'>\n      <source file='/nonexistent/vd-test-newvm.img'/>\n      <target dev='vdz' bus='virtio'/>\n    </disk>\n    <serial",
    );
    const result = await service.create(host, spec, xml, randomUUID());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failedStep).toEqual({ kind: 'start' });
    expect(result.libvirtMessage).toContain('/nonexistent/vd-test-newvm.img');
    expect(result.undone).toEqual([`definition of ${name}`, `volume ${poolName}/${name}-cidata.iso`, `volume ${poolName}/${name}.qcow2`]);
    expect(result.leftBehind).toEqual([]);
    expect(await poolVolumes()).toEqual(['boot.iso', 'cloud-base.qcow2']);
    expect(await domainNames()).not.toContain(name);
  }, 120_000);

  it('a define that fails (the name is taken) removes the volume it made and keeps the other guest', async () => {
    const name = `${prefix}-dup`;
    const spec = await specFor(name, { kind: 'iso', isoPath: iso });
    const preview = await service.preview(host, spec, THRESHOLDS);
    const taken = availability.available ? (availability.lab.guests.find((g) => !g.running)?.name ?? 'vd-off-1') : 'vd-off-1';
    const before = await client.domain.getXml({ name: taken });
    const result = await service.create(host, spec, preview.xml.replace(`<name>${name}</name>`, `<name>${taken}</name>`), randomUUID());
    expect(result).toMatchObject({ ok: false, failedIndex: 1, failedStep: { kind: 'define' }, undone: [`volume ${poolName}/${name}.qcow2`], leftBehind: [] });
    if (result.ok) return;
    expect(result.libvirtMessage).toMatch(new RegExp(`${taken}.*already exists`));
    expect(await poolVolumes()).toEqual(['boot.iso', 'cloud-base.qcow2']);
    expect(await client.domain.getXml({ name: taken })).toBe(before);
  }, 120_000);

  it('refuses a spec that does not fit the host before making anything', async () => {
    const spec = await specFor(`${prefix}-bad`, { kind: 'iso', isoPath: '/nonexistent.iso' });
    await expect(service.preview(host, spec, THRESHOLDS)).rejects.toThrow('/nonexistent.iso is not a volume of an active pool');
    const taken = await specFor('vd-off-1', { kind: 'iso', isoPath: iso });
    await expect(service.preview(host, taken, THRESHOLDS)).rejects.toThrow('A guest named vd-off-1 already exists');
    expect(await poolVolumes()).toEqual(['boot.iso', 'cloud-base.qcow2']);
  }, 60_000);
});
