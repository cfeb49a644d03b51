/**
 * CD-ROM media against the lab: a throwaway guest made from vd-off-1's definition with an empty IDE
 * CD-ROM (and no disk: the lab guests boot from kernel and initramfs), two small ISO images built here
 * with genisoimage. Media inserted, changed and ejected on the running guest (checked in the live XML and
 * in QEMU's own block list through the monitor), for the next boot on a shut-off guest, "eject install
 * media" (media gone and the CD-ROM out of the boot order), and refusals that change nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MediaRequest } from '../../preload/api-contract';
import type { LibvirtClient } from '../../main/libvirt/client';
import type { SshConnection } from '../../main/ssh';
import { fileStatFor } from '../../main/services/domain-clone/clone-storage';
import { mediaApply, mediaPreview, mediaState } from '../../main/services/domain-media/media-service';
import { TEST_DIR, cleanUpTestObjects, connectLabAsApp, ensureTestDir, throwawayXml } from '../support/clone-lab';
import { virsh } from '../support/lab';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const NAME = 'vd-test-clone-media';
const ISO_DIR = `${TEST_DIR}/iso`;
const ISO_A = `${ISO_DIR}/vd-test-clone-a.iso`;
const ISO_B = `${ISO_DIR}/vd-test-clone-b.iso`;

function buildIso(path: string, label: string): void {
  const content = `${ISO_DIR}/${label}`;
  mkdirSync(content, { recursive: true });
  writeFileSync(`${content}/hello.txt`, `${label}\n`);
  execFileSync('genisoimage', ['-quiet', '-V', label, '-o', path, content]);
}

/** What QEMU itself has in the drive (HMP `info block`), not what libvirt says. */
function qemuBlock(): string {
  return virsh('qemu-monitor-command', NAME, '--hmp', 'info block');
}

describe.skipIf(SKIP)(`CD-ROM media against the lab${SKIP_REASON}`, () => {
  let ssh: SshConnection;
  let libvirt: LibvirtClient;
  let uuid = '';
  const hostId = 'lab';
  const stat = () => fileStatFor(ssh);
  const request = async (change: MediaRequest['change'], force = false): Promise<MediaRequest> => ({
    hostId,
    uuid,
    change,
    force,
    basedOn: (await mediaState(libvirt, hostId, uuid)).basedOn,
  });

  beforeAll(async () => {
    if (!availability.available) return;
    cleanUpTestObjects();
    ensureTestDir();
    mkdirSync(ISO_DIR, { recursive: true });
    buildIso(ISO_A, 'VDMEDIAA');
    buildIso(ISO_B, 'VDMEDIAB');
    ({ ssh, libvirt } = await connectLabAsApp(availability.lab));
    const xml = throwawayXml(
      virsh('dumpxml', '--inactive', 'vd-off-1'),
      NAME,
      "    <disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n      <target dev='hdc' bus='ide'/>\n      <readonly/>\n    </disk>",
    ).replace("<boot dev='hd'/>", "<boot dev='cdrom'/>\n    <boot dev='hd'/>");
    writeFileSync(`${TEST_DIR}/media.xml`, xml);
    virsh('define', `${TEST_DIR}/media.xml`);
    uuid = virsh('domuuid', NAME).trim();
  }, 120_000);

  afterAll(async () => {
    if (!availability.available) return;
    await libvirt?.close().catch(() => undefined);
    ssh?.close();
    cleanUpTestObjects();
  });

  it('a shut-off guest: media inserted for the next boot, shown as a diff first', async () => {
    const state = await mediaState(libvirt, hostId, uuid);
    expect(state).toMatchObject({ running: false, persistent: true, installMedia: true });
    expect(state.drives).toEqual([{ target: 'hdc', device: 'cdrom', bus: 'ide', persistent: null, tray: null, boots: true }]);
    const insert = await request({ kind: 'insert', target: 'hdc', source: { type: 'file', path: ISO_A } });
    const preview = await mediaPreview(libvirt, insert, stat());
    expect(preview).toMatchObject({ applies: 'next-boot', liveDiff: null, warnings: [] });
    expect(preview.diff).toContain(`+      <source file='${ISO_A}'/>`);
    expect(virsh('dumpxml', '--inactive', NAME)).not.toContain(ISO_A);
    const { state: after } = await mediaApply(libvirt, insert, stat());
    expect(after.drives[0]?.persistent).toEqual({ type: 'file', path: ISO_A });
    expect(virsh('dumpxml', '--inactive', NAME)).toContain(`<source file='${ISO_A}'/>`);
  });

  it('refuses a missing file, a missing drive and a stale definition, changing nothing', async () => {
    const before = virsh('dumpxml', '--inactive', NAME);
    await expect(mediaPreview(libvirt, await request({ kind: 'insert', target: 'hdc', source: { type: 'file', path: `${ISO_DIR}/nope.iso` } }), stat())).rejects.toMatchObject({ code: 'invalid-request', field: 'source' });
    await expect(mediaApply(libvirt, await request({ kind: 'eject', target: 'hdz' }), stat())).rejects.toMatchObject({ code: 'invalid-request' });
    const stale = await request({ kind: 'eject', target: 'hdc' });
    await expect(mediaApply(libvirt, { ...stale, basedOn: `${stale.basedOn}<!-- -->` }, stat())).rejects.toMatchObject({ code: 'conflict' });
    expect(virsh('dumpxml', '--inactive', NAME)).toBe(before);
  });

  it('a running guest: media changed and ejected live and for the next boot; QEMU sees each change', async () => {
    virsh('start', NAME);
    expect(qemuBlock()).toContain(ISO_A);
    const running = await mediaState(libvirt, hostId, uuid);
    expect(running.drives[0]).toMatchObject({ live: { type: 'file', path: ISO_A }, persistent: { type: 'file', path: ISO_A }, tray: 'closed' });

    const change = await request({ kind: 'insert', target: 'hdc', source: { type: 'file', path: ISO_B } });
    const preview = await mediaPreview(libvirt, change, stat());
    expect(preview.applies).toBe('now-and-next-boot');
    expect(preview.liveDiff).toContain(`+      <source file='${ISO_B}'/>`);
    const t0 = performance.now();
    await mediaApply(libvirt, change, stat());
    console.log(`media change on the running guest: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(qemuBlock()).toContain(ISO_B);
    expect(virsh('dumpxml', NAME)).toContain(`<source file='${ISO_B}'`);
    expect(virsh('dumpxml', '--inactive', NAME)).toContain(`<source file='${ISO_B}'/>`);

    await mediaApply(libvirt, await request({ kind: 'eject', target: 'hdc' }), stat());
    expect(qemuBlock()).not.toContain(ISO_B);
    expect(qemuBlock()).toMatch(/hdc|ide1-cd0|[Rr]emovable/);
    expect(virsh('dumpxml', NAME)).not.toContain(ISO_B);
    expect(virsh('dumpxml', '--inactive', NAME)).not.toContain(ISO_B);
    const ejected = await mediaState(libvirt, hostId, uuid);
    expect(ejected.drives[0]).toMatchObject({ live: null, persistent: null });
  });

  it('eject install media: the CD-ROM is emptied live and taken out of the next boot order', async () => {
    await mediaApply(libvirt, await request({ kind: 'insert', target: 'hdc', source: { type: 'file', path: ISO_A } }), stat());
    expect(qemuBlock()).toContain(ISO_A);
    const eject = await request({ kind: 'ejectInstallMedia' });
    const preview = await mediaPreview(libvirt, eject, stat());
    expect(preview.applies).toBe('now-and-next-boot');
    expect(preview.diff).toContain("-    <boot dev='cdrom'/>");
    expect(preview.diff).toContain(`-      <source file='${ISO_A}'/>`);
    const { state } = await mediaApply(libvirt, eject, stat());
    expect(state.installMedia).toBe(false);
    expect(state.drives[0]).toMatchObject({ live: null, persistent: null, boots: false });
    expect(qemuBlock()).not.toContain(ISO_A);
    const inactive = virsh('dumpxml', '--inactive', NAME);
    expect(inactive).not.toContain("<boot dev='cdrom'/>");
    expect(inactive).toContain("<boot dev='hd'/>");
    virsh('destroy', NAME);
  });
});
