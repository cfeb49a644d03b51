/**
 * Snapshots against the lab (libvirt 9.0) on throwaway guests of our own (vd-test-snap-…, a fresh qcow2
 * disk each): an internal snapshot with memory of a running guest (the XML shown first is what libvirt
 * stored), a child, the tree and the current mark, revert (running, then paused), the description edited
 * by redefine with the current snapshot kept, delete with children, metadata-only delete (the internal
 * snapshot stays in the qcow2 image), external disk-only create/delete on the running guest (revert
 * refused with the version that adds it, and libvirt itself refuses it too), refusals that change
 * nothing, and "snapshot selected VMs" with per-VM results.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LibvirtClient } from '../../main/libvirt/client';
import type { SshConnection } from '../../main/ssh';
import { fileStatFor } from '../../main/services/domain-clone/clone-storage';
import {
  bulkSnapshot,
  createSnapshot,
  deleteSnapshot,
  previewCreate,
  revertSnapshot,
  setSnapshotDescription,
  snapshotsState,
} from '../../main/services/domain-snapshots/snapshots-service';
import { connectLabAsApp } from '../support/clone-lab';
import { virsh } from '../support/lab';
import { SNAP_DIR, cleanUpSnapshotGuests, defineSnapshotGuest, snapshotNames, waitForPrompt } from '../support/snapshot-lab';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const RUN = 'vd-test-snap-int';
const OFF = 'vd-test-snap-int-off';
const hostId = 'lab';

describe.skipIf(SKIP)(`snapshots against the lab${SKIP_REASON}`, () => {
  let ssh: SshConnection;
  let libvirt: LibvirtClient;
  let uuid = '';
  let offUuid = '';
  const stat = () => fileStatFor(ssh);
  const state = () => snapshotsState(libvirt, hostId, uuid);
  const domState = (name = RUN) => virsh('domstate', name).trim();

  beforeAll(async () => {
    if (!availability.available) return;
    cleanUpSnapshotGuests();
    uuid = defineSnapshotGuest(RUN, { start: true });
    offUuid = defineSnapshotGuest(OFF, { start: false });
    ({ ssh, libvirt } = await connectLabAsApp(availability.lab));
    await waitForPrompt(RUN);
  }, 180_000);

  afterAll(async () => {
    if (!availability.available) return;
    await libvirt?.close().catch(() => undefined);
    ssh?.close();
    cleanUpSnapshotGuests();
  });

  it('a running guest without snapshots: what the host offers (libvirt 9.0)', async () => {
    const s = await state();
    expect(s).toMatchObject({ name: RUN, running: true, persistent: true, libvirtVersion: '9.0.0', snapshots: [] });
    expect(s.create).toMatchObject({ internal: { allowed: true }, external: { allowed: true }, memory: { allowed: true }, diskOnly: { allowed: true } });
    // The lab guests have no guest agent channel: no quiesce, and why.
    expect(s.create.quiesce).toEqual({ allowed: false, reason: { key: 'noAgentChannel' } });
  });

  it('internal snapshot with memory, then a child: the tree, the current mark, the XML shown first', async () => {
    const request = { hostId, uuid, name: 's1', description: 'before the change', kind: 'internal' as const, memory: true, quiesce: false };
    const preview = await previewCreate(libvirt, request);
    expect(preview.flags).toEqual([]);
    expect(preview.xml).toContain("<memory snapshot='internal'/>");
    expect(preview.xml).toContain("<disk name='vda' snapshot='internal'/>");
    expect(snapshotNames(RUN)).toEqual([]);
    const t0 = performance.now();
    await createSnapshot(libvirt, request, stat());
    console.log(`internal snapshot with memory (160 MiB guest, TCG): ${(performance.now() - t0).toFixed(0)} ms`);
    expect(domState()).toBe('running');
    await createSnapshot(libvirt, { ...request, name: 's2', description: '' }, stat());
    const s = await state();
    expect(s.snapshots.map((e) => [e.name, e.parent, e.children, e.current])).toEqual([
      ['s1', null, ['s2'], false],
      ['s2', 's1', [], true],
    ]);
    expect(s.snapshots[0]).toMatchObject({ state: 'running', description: 'before the change', location: 'internal', memory: 'internal', withMemory: true, revertsTo: 'running' });
    expect(s.snapshots[0]?.createdAt).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(virsh('snapshot-current', '--name', RUN).trim()).toBe('s2');
    expect(virsh('snapshot-parent', RUN, 's2').trim()).toBe('s1');
  });

  it('revert: confirmed by name; running by default, paused when asked', async () => {
    await expect(revertSnapshot(libvirt, { hostId, uuid, snapshot: 's1', confirmName: 's2', after: 'default' })).rejects.toMatchObject({ code: 'invalid-request', field: 'confirmName' });
    expect(virsh('snapshot-current', '--name', RUN).trim()).toBe('s2');
    const after = await revertSnapshot(libvirt, { hostId, uuid, snapshot: 's1', confirmName: 's1', after: 'default' });
    expect(domState()).toBe('running');
    expect(after.snapshots.find((e) => e.current)?.name).toBe('s1');
    await revertSnapshot(libvirt, { hostId, uuid, snapshot: 's2', confirmName: 's2', after: 'paused' });
    expect(domState()).toBe('paused');
    virsh('resume', RUN);
  });

  it('edit the description: redefined, the current snapshot stays current', async () => {
    await setSnapshotDescription(libvirt, { hostId, uuid, snapshot: 's1', description: 'edited <by> VirtDeck' });
    expect(virsh('snapshot-dumpxml', RUN, 's1')).toContain('<description>edited &lt;by&gt; VirtDeck</description>');
    expect(virsh('snapshot-current', '--name', RUN).trim()).toBe('s2');
    await setSnapshotDescription(libvirt, { hostId, uuid, snapshot: 's2', description: 'now current' });
    expect(virsh('snapshot-current', '--name', RUN).trim()).toBe('s2');
    const s = await state();
    expect(s.snapshots.map((e) => e.description)).toEqual(['edited <by> VirtDeck', 'now current']);
  });

  it('delete with children; metadata only leaves the internal snapshot in the image', async () => {
    await deleteSnapshot(libvirt, { hostId, uuid, snapshot: 's1', confirmName: 's1', mode: 'children' });
    expect(snapshotNames(RUN)).toEqual([]);
    await createSnapshot(libvirt, { hostId, uuid, name: 'm1', description: '', kind: 'internal', memory: true, quiesce: false }, stat());
    await deleteSnapshot(libvirt, { hostId, uuid, snapshot: 'm1', confirmName: 'm1', mode: 'metadata' });
    expect(snapshotNames(RUN)).toEqual([]);
    const image = execFileSync('qemu-img', ['snapshot', '-U', '-l', `${SNAP_DIR}/${RUN}.qcow2`], { encoding: 'utf8' });
    expect(image).toMatch(/\bm1\b/);
  });

  it('external disk-only on the running guest: created, listed, revert refused (9.7.0), deleted', async () => {
    const request = { hostId, uuid, name: 'e1', description: 'external', kind: 'external' as const, memory: false, quiesce: false };
    const preview = await previewCreate(libvirt, request);
    const overlay = `${SNAP_DIR}/${RUN}.e1.qcow2`;
    expect(preview.flags).toEqual(['VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY', 'VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC']);
    expect(preview.xml).toContain(`<source file='${overlay}'/>`);
    const s = await createSnapshot(libvirt, request, stat());
    expect(existsSync(overlay)).toBe(true);
    expect(virsh('domblklist', RUN)).toContain(overlay);
    const e1 = s.snapshots.find((e) => e.name === 'e1');
    expect(e1).toMatchObject({ location: 'external', state: 'disk-snapshot', withMemory: false, current: true });
    expect(e1?.disks[0]).toEqual({ target: 'vda', snapshot: 'external', file: overlay });
    expect(e1?.revert).toEqual({ allowed: false, reason: { key: 'externalRevert', values: { version: '9.0.0', needs: '9.7.0' } } });
    expect(e1?.deleteOne).toEqual({ allowed: true });
    expect(e1?.deleteWithChildren).toMatchObject({ allowed: false });
    // Not sent: the service refuses, and libvirt 9.0 itself refuses too (the rule is the host's).
    await expect(revertSnapshot(libvirt, { hostId, uuid, snapshot: 'e1', confirmName: 'e1', after: 'default' })).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(libvirt.snapshot.revert({ uuid }, 'e1', 0)).rejects.toThrow(/revert to external snapshot not supported yet/);
    // The same name again: a clear conflict, nothing made.
    await expect(createSnapshot(libvirt, request, stat())).rejects.toMatchObject({ code: 'conflict' });
    await deleteSnapshot(libvirt, { hostId, uuid, snapshot: 'e1', confirmName: 'e1', mode: 'one' });
    expect(snapshotNames(RUN)).toEqual([]);
    expect(virsh('domblklist', RUN)).toContain(`${SNAP_DIR}/${RUN}.qcow2`);
    expect(virsh('domblklist', RUN)).not.toContain(overlay);
    expect(domState()).toBe('running');
  });

  it('the tree reads while a memory snapshot is being created (libvirt 9.0 fails a TOPOLOGICAL listing then)', async () => {
    await createSnapshot(libvirt, { hostId, uuid, name: 'r1', description: '', kind: 'internal', memory: true, quiesce: false }, stat());
    const { xml } = await previewCreate(libvirt, { hostId, uuid, name: 'r2', description: '', kind: 'internal', memory: true, quiesce: false });
    let creating = true;
    const failures: unknown[] = [];
    const done: Array<{ start: number; end: number; names: string[] }> = [];
    const reads = (async () => {
      while (creating) {
        const start = performance.now();
        try {
          const s = await state();
          done.push({ start, end: performance.now(), names: s.snapshots.map((e) => e.name) });
        } catch (error) {
          failures.push(error);
        }
      }
    })();
    // (A TOPOLOGICAL listing sent meanwhile fails, and libvirtd logs "name in virGetDomainSnapshot must
    // not be NULL": not sent here, to keep the shared lab's log free of it.)
    await new Promise((resolve) => setTimeout(resolve, 50));
    const t0 = performance.now();
    await libvirt.snapshot.create({ uuid }, xml, 0);
    const t1 = performance.now();
    creating = false;
    await reads;
    // Reads sent and answered while libvirt was making the snapshot (QEMU saving the guest).
    const inside = done.filter((read) => read.start >= t0 && read.end <= t1);
    console.log(`during a ${(t1 - t0).toFixed(0)} ms memory snapshot: ${inside.length} tree reads inside it, ${failures.length} reads failed`);
    expect(failures).toEqual([]);
    expect(inside.length).toBeGreaterThanOrEqual(2);
    for (const read of done) expect(read.names[0]).toBe('r1');
    const s = await state();
    expect(s.snapshots.map((e) => [e.name, e.parent, e.current])).toEqual([
      ['r1', null, false],
      ['r2', 'r1', true],
    ]);
    await deleteSnapshot(libvirt, { hostId, uuid, snapshot: 'r1', confirmName: 'r1', mode: 'children' });
    expect(snapshotNames(RUN)).toEqual([]);
    expect(domState()).toBe('running');
  });

  it('snapshot selected VMs: one name, per-VM results (a running, a shut-off and a vanished guest)', async () => {
    const missing = '00000000-0000-4000-8000-00000000beef';
    const result = await bulkSnapshot(
      {
        targets: [
          { hostId, uuid },
          { hostId, uuid: offUuid },
          { hostId, uuid: missing },
          { hostId: 'not-connected', uuid },
        ],
        name: 'bulk1',
        description: 'before maintenance',
      },
      (id) => {
        if (id !== hostId) throw Object.assign(new Error('The host is not connected'), {});
        return { libvirt, stat: stat() };
      },
    );
    expect(result.items.map((i) => [i.vmName, i.ok])).toEqual([
      [RUN, true],
      [OFF, true],
      [missing, false],
      [uuid, false],
    ]);
    expect(result.items[0]).toMatchObject({ ok: true, kind: 'internal', withMemory: true });
    expect(result.items[1]).toMatchObject({ ok: true, kind: 'internal', withMemory: false });
    const failed = result.items[2] as { ok: false; error: { code: string; message: string } };
    expect(failed.error.code).toBe('libvirt');
    expect(failed.error.message).toMatch(/domain/i);
    expect(snapshotNames(RUN)).toEqual(['bulk1']);
    expect(snapshotNames(OFF)).toEqual(['bulk1']);
    const off = await snapshotsState(libvirt, hostId, offUuid);
    expect(off.snapshots[0]).toMatchObject({ name: 'bulk1', state: 'shutoff', withMemory: false, description: 'before maintenance' });
    // Again with the same name: every guest fails with libvirt's reason, nothing changes.
    const again = await bulkSnapshot({ targets: [{ hostId, uuid }, { hostId, uuid: offUuid }], name: 'bulk1', description: '' }, () => ({ libvirt, stat: stat() }));
    expect(again.items.every((i) => !i.ok)).toBe(true);
    await deleteSnapshot(libvirt, { hostId, uuid, snapshot: 'bulk1', confirmName: 'bulk1', mode: 'one' });
    await deleteSnapshot(libvirt, { hostId, uuid: offUuid, snapshot: 'bulk1', confirmName: 'bulk1', mode: 'one' });
    expect(snapshotNames(RUN)).toEqual([]);
    expect(snapshotNames(OFF)).toEqual([]);
  });
});
