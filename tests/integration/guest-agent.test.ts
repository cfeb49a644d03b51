/**
 * The guest agent against a REAL one: the lab's vd-agent-1 runs Debian's qemu-ga (tests/lab/README.md,
 * "The agent guest") with an ext4 disk on /data and root logged in on tty2. Through the app's service
 * (GuestAgentService over the lab's SSH + libvirt):
 *  - what the agent reports: OS, host name, users, file systems (/data with usage), interfaces, the
 *    freeze state and the guest's clock;
 *  - freeze, then thaw, each read back with guest-fsfreeze-status; while frozen the agent refuses a
 *    second freeze, in its own words;
 *  - the guest's clock set an hour wrong (libvirt directly), then set by the service and read back;
 *  - a quiesced external snapshot (libvirt freezes and thaws through the agent; a frozen guest makes it
 *    fail in the agent's words), created and deleted, the guest back on its own disk.
 * The guest is left running, thawed, with its clock right and no snapshot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LibvirtClient } from '../../main/libvirt/client';
import type { SshConnection } from '../../main/ssh';
import { ApiFailure } from '../../main/services/api-failure';
import { fileStatFor } from '../../main/services/domain-clone/clone-storage';
import { createSnapshot, deleteSnapshot, previewCreate, snapshotsState } from '../../main/services/domain-snapshots/snapshots-service';
import { GuestAgentService } from '../../main/services/guest-agent/guest-agent-service';
import { connectLabAsApp } from '../support/clone-lab';
import { virsh, virshOk } from '../support/lab';

const availability = inject('lab');
const agentGuest = availability.available ? availability.lab.agent?.find((g) => g.running) : undefined;
const SKIP = !agentGuest;
const SKIP_REASON = !availability.available
  ? ` (skipped: ${availability.reason})`
  : agentGuest
    ? ''
    : ' (skipped: lab.json lists no running agent guest; run tests/lab/lab.sh up with VIRTDECK_LAB_AGENT_GUESTS >= 1)';

const NAME = agentGuest?.name ?? 'vd-agent-1';
const hostId = 'lab';
const SNAP = 'vd-test-quiesce';

describe.skipIf(SKIP)(`guest agent against a real qemu-ga (${NAME})${SKIP_REASON}`, () => {
  let ssh: SshConnection;
  let libvirt: LibvirtClient;
  let agent: GuestAgentService;
  let uuid = '';
  let stateDir = '';

  beforeAll(async () => {
    if (!availability.available) return;
    stateDir = availability.lab.stateDir;
    ({ ssh, libvirt } = await connectLabAsApp(availability.lab));
    agent = new GuestAgentService(() => libvirt);
    uuid = virsh('domuuid', NAME).trim();
  }, 60_000);

  afterAll(async () => {
    if (!availability.available) return;
    // Never leave the shared lab guest frozen, with a wrong clock, or on a snapshot overlay.
    virshOk('domfsthaw', NAME);
    if (virsh('snapshot-list', '--name', NAME).includes(SNAP)) virshOk('snapshot-delete', NAME, SNAP);
    await libvirt?.close().catch(() => undefined);
    ssh?.close();
  }, 60_000);

  it('reports OS, host name, users, /data with its usage, interfaces, freeze state and clock', async () => {
    const info = await agent.info(hostId, uuid);
    expect(info).toMatchObject({ available: true, channel: 'connected', reason: null, partial: null, freeze: 'thawed' });
    // /etc/os-release of the agent image, and the kernel the lab boots (uname through the agent).
    expect(info.os).toMatchObject({ id: 'virtdeck-lab', name: 'VirtDeck lab guest', machine: 'x86_64' });
    expect(info.os?.prettyName).toMatch(/qemu-ga 1:7\./);
    expect(info.os?.kernelRelease).toBe(readFileSync(`${stateDir}/guest/kernel.version`, 'utf8').trim());
    expect(info.hostname).toBe(NAME);
    expect(info.timezone).toEqual({ name: 'UTC', offsetSec: 0 });
    // root logged in on tty2 (busybox login writes utmp; qemu-ga reads it).
    expect(info.users.map((u) => u.name)).toContain('root');
    const data = info.filesystems.find((fs) => fs.mountpoint === '/data');
    expect(data).toMatchObject({ fstype: 'ext4', name: 'vda', disks: ['vda'] });
    // A 64 MiB disk: ext4 shows ~50 MiB to users, a little of it used by the journal and directories.
    expect(data?.totalBytes).toBeGreaterThan(40 * 1024 * 1024);
    expect(data?.totalBytes).toBeLessThan(64 * 1024 * 1024);
    expect(data?.usedBytes).toBeGreaterThan(0);
    const lo = info.interfaces.find((nic) => nic.name === 'lo');
    expect(lo?.addresses).toContainEqual({ type: 'ipv4', addr: '127.0.0.1', prefix: 8 });
    expect(info.clock?.guestMs).toBeGreaterThan(Date.UTC(2020, 0, 1));
  }, 60_000);

  it('freezes, reads "frozen" back, refuses a second freeze in the agent\'s words, thaws, reads "thawed"', async () => {
    const t0 = performance.now();
    expect(await agent.freeze(hostId, uuid, [])).toBe(1);
    const frozenMs = performance.now() - t0;
    try {
      const frozen = await agent.info(hostId, uuid);
      expect(frozen).toMatchObject({ available: true, freeze: 'frozen', filesystems: [] });
      expect(frozen.partial).toMatch(/frozen/);
      // qemu-ga's own words, through libvirt: "Command guest-get-time has been disabled: the agent is in frozen state".
      expect(frozen.partial).toMatch(/has been disabled/);
      const again = agent.freeze(hostId, uuid, []);
      await expect(again).rejects.toBeInstanceOf(ApiFailure);
      await expect(again).rejects.toThrow(/guest-fsfreeze-freeze.*frozen state/);
    } finally {
      const t1 = performance.now();
      expect(await agent.thaw(hostId, uuid, [])).toBe(1);
      console.info(`[guest-agent] freeze ${frozenMs.toFixed(0)} ms, thaw ${(performance.now() - t1).toFixed(0)} ms`);
    }
    const thawed = await agent.info(hostId, uuid);
    expect(thawed).toMatchObject({ freeze: 'thawed', partial: null });
    expect(thawed.filesystems.map((fs) => fs.mountpoint)).toContain('/data');
  }, 60_000);

  it("sets the guest's clock from this computer's and reads it back", async () => {
    const ref = { uuid };
    const readOffset = async () => {
      const { seconds, nseconds } = await libvirt.domain.getTime(ref);
      return Number(seconds) * 1000 + nseconds / 1e6 - Date.now();
    };
    // An hour wrong first (libvirt directly), so the service's set is what puts it right.
    await libvirt.domain.setTime(ref, BigInt(Math.floor(Date.now() / 1000) - 3600), 0, 0);
    expect(await readOffset()).toBeLessThan(-3500 * 1000);
    await agent.setTime(hostId, uuid, false);
    const offset = await readOffset();
    console.info(`[guest-agent] guest clock after set: ${offset.toFixed(0)} ms from this computer's`);
    expect(Math.abs(offset)).toBeLessThan(3000);
    const info = await agent.info(hostId, uuid);
    expect(Math.abs((info.clock?.guestMs ?? 0) - (info.clock?.readAtMs ?? Infinity))).toBeLessThan(3000);
  }, 60_000);

  it('a quiesced external snapshot goes through the agent, is created and deleted', async () => {
    const request = { hostId, uuid, name: SNAP, description: 'quiesced by the integration test', kind: 'external' as const, memory: false, quiesce: true };
    const before = await snapshotsState(libvirt, hostId, uuid);
    expect(before.create.quiesce).toEqual({ allowed: true });
    const disk = `${stateDir}/disks/${NAME}.qcow2`;
    expect(virsh('domblklist', NAME)).toContain(disk);
    const preview = await previewCreate(libvirt, request);
    expect(preview.flags).toEqual(['VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY', 'VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE', 'VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC']);

    // libvirt really asks the agent: with the file systems already frozen, the agent refuses.
    await agent.freeze(hostId, uuid, []);
    try {
      await expect(createSnapshot(libvirt, request, fileStatFor(ssh))).rejects.toThrow(/frozen/);
    } finally {
      await agent.thaw(hostId, uuid, []);
    }
    expect(virsh('snapshot-list', '--name', NAME)).not.toContain(SNAP);

    const t0 = performance.now();
    const created = await createSnapshot(libvirt, request, fileStatFor(ssh));
    const createMs = performance.now() - t0;
    const overlay = `${stateDir}/disks/${NAME}.${SNAP}.qcow2`;
    const entry = created.snapshots.find((s) => s.name === SNAP);
    expect(entry).toMatchObject({ location: 'external', state: 'disk-snapshot', withMemory: false });
    expect(existsSync(overlay)).toBe(true);
    expect(virsh('domblklist', NAME)).toContain(overlay);
    // libvirt thawed after the snapshot: the agent says so, and reports again.
    expect((await agent.info(hostId, uuid)).freeze).toBe('thawed');

    const t1 = performance.now();
    const after = await deleteSnapshot(libvirt, { hostId, uuid, snapshot: SNAP, confirmName: SNAP, mode: 'one' });
    console.info(`[guest-agent] quiesced snapshot created in ${createMs.toFixed(0)} ms, deleted in ${(performance.now() - t1).toFixed(0)} ms`);
    expect(after.snapshots.map((s) => s.name)).not.toContain(SNAP);
    expect(virsh('domblklist', NAME)).toContain(disk);
    expect(virsh('domblklist', NAME)).not.toContain(overlay);
    expect(virsh('dumpxml', '--inactive', NAME)).toContain(`<source file='${disk}'/>`);
    expect(existsSync(overlay)).toBe(false);
    expect(virsh('domstate', NAME).trim()).toBe('running');
  }, 120_000);
});
