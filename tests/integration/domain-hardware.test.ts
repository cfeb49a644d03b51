/**
 * Hot-plug and hot-unplug against the lab, on a throwaway running guest of our own (vd-test-hw-…, the lab
 * kernel with initramfs-net.gz, which carries virtio-blk): a new 1 GiB qcow2 volume made through the
 * storage service and attached as a virtio disk (live and next boot), seen by the guest in
 * /proc/partitions over the serial console, then unplugged with DEVICE_REMOVED; a paused guest that cannot
 * let go is reported as pending; a next-boot-only device on a running guest; an attach that libvirt refuses
 * after the volume was made leaves no volume behind.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HardwareAddRequest, HardwareDraft } from '../../preload/api-contract';
import type { LibvirtClient, RpcStream } from '../../main/libvirt/client';
import { virDomainConsoleFlags } from '../../main/libvirt/protocol';
import type { SshConnection } from '../../main/ssh';
import type { LibvirtHostLink } from '../../main/services/connections/libvirt-host-link';
import { hardwareAdd, hardwarePreview, hardwareRemove, hardwareState, type HardwareDeps } from '../../main/services/domain-hardware/hardware-service';
import { DomainSchemaCache } from '../../main/services/domain-xml/host-schemas';
import { StorageService } from '../../main/services/storage/storage-service';
import { ApiFailure } from '../../main/services/api-failure';
import { connectLabAsApp } from '../support/clone-lab';
import { virsh, virshOk } from '../support/lab';
import { throwawayGuestXml } from '../support/throwaway-guest';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const GUEST = 'vd-test-hw-int';
const POOL = 'vd-lab-pool';
const VOLUME = 'vd-test-hw-int-data.qcow2';
const BAD_VOLUME = 'vd-test-hw-int-bad.qcow2';
const GiB = 1024 ** 3;
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cleanup(): void {
  virshOk('destroy', GUEST);
  virshOk('undefine', GUEST);
  for (const volume of [VOLUME, BAD_VOLUME]) virshOk('vol-delete', '--pool', POOL, volume);
}

const volumes = () => virsh('vol-list', '--pool', POOL).split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '');

/** The target devs of the guest's disks, running and next boot, as virsh shows them. */
const diskTargets = (): Set<string> =>
  new Set([virsh('dumpxml', GUEST), virsh('dumpxml', '--inactive', GUEST)].flatMap((xml) => [...xml.matchAll(/<target dev='([a-z]+)' bus=/g)].map((m) => m[1]!)));
/** The first virtio target (vda, vdb, …) that none of the guest's disks has. */
const firstFreeVirtioTarget = (): string => {
  const used = diskTargets();
  for (const c of 'abcdefghijklmnopqrstuvwxyz') if (!used.has(`vd${c}`)) return `vd${c}`;
  throw new Error('the guest has 26 virtio disks');
};
/** The guest kernel's block devices: name → size in 1 KiB blocks (its names follow probe order, not libvirt's target). */
const partitions = (text: string): Map<string, number> =>
  new Map([...text.matchAll(/^\s*\d+\s+\d+\s+(\d+)\s+(\S+)\s*$/gm)].map((m) => [m[2]!, Number(m[1])]));
/** The live alias of the disk with that target (what DEVICE_REMOVED names). */
const liveAlias = (target: string): string => {
  const disk = [...virsh('dumpxml', GUEST).matchAll(/<disk [\s\S]*?<\/disk>/g)].map((m) => m[0]).find((d) => d.includes(`<target dev='${target}'`));
  const alias = disk && /<alias name='([^']+)'\/>/.exec(disk)?.[1];
  if (!alias) throw new Error(`no live disk ${target} with an alias`);
  return alias;
};

/** The guest's shell on its serial console. */
class GuestShell {
  text = '';
  constructor(readonly stream: RpcStream) {
    stream.on('data', (b: Buffer) => (this.text += b.toString('latin1')));
  }
  async expect(re: RegExp, timeoutMs: number, poke?: () => void): Promise<string> {
    const end = Date.now() + timeoutMs;
    let nextPoke = 0;
    for (;;) {
      const m = this.text.match(re);
      if (m) return m[0];
      if (Date.now() > end) throw new Error(`console: no ${re} within ${timeoutMs} ms; got ${JSON.stringify(this.text.slice(-400))}`);
      if (poke && Date.now() >= nextPoke) {
        poke();
        nextPoke = Date.now() + 1000;
      }
      await tick(50);
    }
  }
  /** Runs a command and returns what it printed between two markers. */
  async run(command: string, timeoutMs = 15_000): Promise<string> {
    const mark = `M${Date.now().toString(36)}`;
    this.text = '';
    this.stream.write(`echo ${mark}-A; ${command}; echo ${mark}-B\r`);
    const out = await this.expect(new RegExp(`\\n${mark}-A\\r?\\n([\\s\\S]*?)${mark}-B\\r?\\n`), timeoutMs);
    return out.slice(out.indexOf('\n', 1) + 1, out.lastIndexOf(`${mark}-B`));
  }
}

describe.skipIf(SKIP)(`hot-plug and hot-unplug against the lab${SKIP_REASON}`, () => {
  let ssh: SshConnection;
  let libvirt: LibvirtClient;
  let storage: StorageService;
  let deps: HardwareDeps;
  let shell: GuestShell;
  let uuid = '';
  /** The target the new disk gets (the first free virtio name), and the name the guest kernel gives it. */
  let target = '';
  let guestDisk = '';
  const hostId = 'lab';

  const addRequest = async (draft: HardwareDraft, live: boolean, config: boolean): Promise<HardwareAddRequest> => ({
    hostId,
    uuid,
    draft,
    live,
    config,
    basedOn: (await hardwareState(libvirt, hostId, uuid)).basedOn,
  });
  const newDisk = (name: string, bus: 'virtio' | 'usb' = 'virtio'): HardwareDraft => ({
    kind: 'disk',
    source: { type: 'new', pool: POOL, name, format: 'qcow2', capacityBytes: GiB },
    bus,
    target: null,
    cache: 'default',
    io: 'default',
    discard: 'unmap',
    serial: null,
    readOnly: false,
    shareable: false,
    iothread: null,
  });

  beforeAll(async () => {
    if (!availability.available) return;
    const lab = availability.lab;
    cleanup();
    const file = `/tmp/${GUEST}.xml`;
    writeFileSync(
      file,
      throwawayGuestXml(virsh('dumpxml', '--inactive', 'vd-off-1'), {
        name: GUEST,
        stateDir: lab.stateDir,
        serialLog: `${lab.stateDir}/logs/${GUEST}.serial.log`,
        networkImage: true,
      }),
    );
    virsh('define', file);
    virsh('start', GUEST);
    ({ ssh, libvirt } = await connectLabAsApp(lab));
    uuid = virsh('domuuid', GUEST).trim();
    const link = { libvirt, ssh, info: { transport: 'auto', libvirtVersion: 'lab' } } as unknown as LibvirtHostLink;
    storage = new StorageService({ link: () => link, hostUri: async () => lab.libvirtUri, publishTransfer: () => undefined });
    const schemas = new DomainSchemaCache(null);
    deps = {
      libvirt,
      hostId,
      planVolume: (form) => storage.planVolume(hostId, form),
      createVolume: async (form) => void (await storage.createVolume(hostId, form)),
      deleteVolume: (pool, name) => storage.deleteVolume(hostId, pool, name, name),
      hostdevXml: () => Promise.reject(new Error('not used here')),
      schema: async () => (await schemas.get({ ssh, libvirtVersion: 'lab' })).schema,
    };
    const stream = await libvirt.streams.console({ uuid }, null, virDomainConsoleFlags.VIR_DOMAIN_CONSOLE_FORCE);
    shell = new GuestShell(stream);
    await shell.expect(/vd# /, 90_000, () => stream.write('\r'));
  }, 150_000);

  afterAll(async () => {
    if (!availability.available) return;
    shell?.stream.destroy();
    await storage?.dispose().catch(() => undefined);
    await libvirt?.close().catch(() => undefined);
    ssh?.close();
    cleanup();
  });

  /** Waits until the guest shows exactly one block device that `before` did not have, and returns it. */
  const newGuestDisk = async (before: Map<string, number>, timeoutMs: number): Promise<{ name: string; blocks: number }> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const fresh = [...partitions(await shell.run('cat /proc/partitions'))].filter(([name]) => !before.has(name));
      if (fresh.length === 1) return { name: fresh[0]![0], blocks: fresh[0]![1] };
      if (fresh.length > 1) throw new Error(`the guest shows several new block devices: ${JSON.stringify(fresh)}`);
      if (Date.now() > end) throw new Error(`the guest shows no new block device within ${timeoutMs} ms`);
      await tick(1_000);
    }
  };

  it('hot-plugs a new 1 GiB qcow2 virtio disk (live and next boot); the guest sees it in /proc/partitions', async () => {
    // Without the virtio-blk driver in the guest image nothing below can be seen by the guest.
    expect(await shell.run('test -d /sys/bus/virtio/drivers/virtio_blk && echo driver-present'), 'initramfs-net.gz has no virtio_blk: run bash tests/lab/lab.sh up').toContain('driver-present');
    target = firstFreeVirtioTarget();
    const before = partitions(await shell.run('cat /proc/partitions'));
    const request = await addRequest(newDisk(VOLUME), true, true);
    const preview = await hardwarePreview(deps, request);
    expect(preview).toMatchObject({ liveOk: true, liveReason: null, schemaProblems: [] });
    expect(preview.draft).toMatchObject({ kind: 'disk', target });
    expect(preview.deviceXml).toContain(`<target dev='${target}' bus='virtio'/>`);
    expect(preview.deviceXml).toContain(`<source pool='${POOL}' volume='${VOLUME}'/>`);
    expect(preview.deviceXml).toContain("<driver name='qemu' type='qcow2' discard='unmap'/>");
    expect(preview.volumeXml).toContain("<capacity unit='bytes'>1073741824</capacity>");
    expect(preview.diff).toContain("+    <disk type='volume' device='disk'>");
    expect(preview.diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'))).toEqual([]);
    // The preview made nothing.
    expect(volumes()).not.toContain(VOLUME);

    const added = await hardwareAdd(deps, { ...request, draft: preview.draft });
    expect(added.volumeCreated).toBe(`${POOL}/${VOLUME}`);
    expect(virsh('vol-info', '--pool', POOL, VOLUME)).toMatch(/Capacity:\s+1\.00 GiB/);
    const disk = added.state.devices.find((d) => d.category === 'disk' && d.name === target);
    expect(disk).toMatchObject({ inConfig: true, inLive: true, guestMustCooperate: true, liveRemoval: null });
    expect(virsh('dumpxml', '--inactive', GUEST)).toContain(`volume='${VOLUME}'`);
    expect(diskTargets()).toContain(target);
    // 1 GiB = 1048576 blocks of 1 KiB.
    const seen = await newGuestDisk(before, 30_000);
    expect(seen.name).toMatch(/^vd[a-z]+$/);
    expect(seen.blocks).toBe(1048576);
    guestDisk = seen.name;
  }, 120_000);

  it('unplugs it: the guest lets go (DEVICE_REMOVED), and it is gone from the next boot too', async () => {
    expect(guestDisk).not.toBe('');
    const state = await hardwareState(libvirt, hostId, uuid);
    const disk = state.devices.find((d) => d.category === 'disk' && d.name === target);
    expect(disk).toBeDefined();
    const alias = liveAlias(target);
    const events: string[] = [];
    const sub = await libvirt.onDomainEvent('device-removed', (e) => events.push(e.data.devAlias), { domain: { uuid } });
    try {
      const result = await hardwareRemove(libvirt, hostId, { hostId, uuid, key: disk!.key, live: true, config: true, basedOn: state.basedOn, waitSeconds: 30 });
      expect(result).toMatchObject({ live: 'removed', config: true });
      await expect.poll(() => events, { timeout: 10_000 }).toContain(alias);
      expect(result.state.devices.some((d) => d.category === 'disk' && d.name === target)).toBe(false);
      console.log(`hot-unplug of ${target} (${alias}): released after ${result.waitedMs} ms`);
    } finally {
      await sub.unsubscribe();
    }
    expect(virsh('dumpxml', GUEST)).not.toContain(`dev='${target}'`);
    expect(virsh('dumpxml', '--inactive', GUEST)).not.toContain(`dev='${target}'`);
    await expect.poll(async () => [...partitions(await shell.run('cat /proc/partitions')).keys()], { timeout: 20_000, interval: 1_000 }).not.toContain(guestDisk);
  }, 90_000);

  it('a paused guest cannot let go: the removal is reported as pending, and completes when it runs again', async () => {
    target = firstFreeVirtioTarget();
    const before = partitions(await shell.run('cat /proc/partitions'));
    const draft = { ...newDisk(VOLUME), source: { type: 'volume', pool: POOL, volume: VOLUME } } as HardwareDraft;
    const preview = await hardwarePreview(deps, await addRequest(draft, true, false));
    expect(preview.draft).toMatchObject({ target });
    await hardwareAdd(deps, { ...(await addRequest(preview.draft, true, false)) });
    expect((await newGuestDisk(before, 30_000)).blocks).toBe(1048576);
    const state = await hardwareState(libvirt, hostId, uuid);
    const disk = state.devices.find((d) => d.category === 'disk' && d.name === target);
    expect(disk).toMatchObject({ inConfig: false, inLive: true });
    virsh('suspend', GUEST);
    try {
      const result = await hardwareRemove(libvirt, hostId, { hostId, uuid, key: disk!.key, live: true, config: false, basedOn: state.basedOn, waitSeconds: 2 });
      expect(result.live).toBe('pending');
      expect(result.state.devices.find((d) => d.category === 'disk' && d.name === target)).toBeDefined();
    } finally {
      virsh('resume', GUEST);
    }
    await expect.poll(() => virsh('dumpxml', GUEST), { timeout: 60_000, interval: 1_000 }).not.toContain(`dev='${target}'`);
  }, 120_000);

  it('a next-boot-only device on a running guest: live is refused and changes nothing; next boot works', async () => {
    const video: HardwareDraft = { kind: 'video', model: 'virtio', heads: 1 };
    const live = await hardwarePreview(deps, await addRequest(video, true, true));
    expect(live.liveOk).toBe(false);
    expect(live.liveReason).toEqual({ key: 'kindNextBoot', values: { kind: 'video' } });
    const before = virsh('dumpxml', '--inactive', GUEST);
    await expect(hardwareAdd(deps, await addRequest(video, true, true))).rejects.toBeInstanceOf(ApiFailure);
    expect(virsh('dumpxml', '--inactive', GUEST)).toBe(before);
    const added = await hardwareAdd(deps, await addRequest(video, false, true));
    const virtio = added.state.devices.find((d) => d.category === 'video' && d.name === 'virtio');
    expect(virtio).toMatchObject({ inConfig: true, inLive: false });
    const removed = await hardwareRemove(libvirt, hostId, { hostId, uuid, key: virtio!.key, live: false, config: true, basedOn: added.state.basedOn, waitSeconds: 5 });
    expect(removed).toMatchObject({ live: 'not-asked', config: true });
    expect(virsh('dumpxml', '--inactive', GUEST)).toBe(before);
  }, 60_000);

  it('an attach libvirt refuses after the new volume was made leaves no volume behind', async () => {
    // The lab guest has no USB controller (model='none'): QEMU cannot take a USB disk.
    const request = await addRequest(newDisk(BAD_VOLUME, 'usb'), true, true);
    const preview = await hardwarePreview(deps, request);
    expect(preview.liveOk).toBe(true);
    const before = virsh('dumpxml', '--inactive', GUEST);
    await expect(hardwareAdd(deps, { ...request, draft: preview.draft })).rejects.toThrow();
    expect(volumes()).not.toContain(BAD_VOLUME);
    expect(virsh('dumpxml', '--inactive', GUEST)).toBe(before);
    expect(virsh('dumpxml', GUEST)).not.toContain(BAD_VOLUME);
  }, 60_000);
});
