/**
 * Throwaway guests for the snapshot tests: a lab guest's definition (vd-off-1: direct kernel boot, the
 * busybox shell on the serial console) with a fresh 64 MiB qcow2 disk of its own, named `vd-test-snap-…`
 * in SNAP_DIR. Clean-up removes every such guest with its snapshot metadata, disks, overlays and logs.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { throwawayXml } from './clone-lab';
import { virsh, virshOk } from './lab';

export const SNAP_PREFIX = 'vd-test-snap-';
export const SNAP_DIR = '/var/lib/virtdeck-lab/vd-test-snap';
const LOGS = '/var/lib/virtdeck-lab/logs';
const LIBVIRTD_LOG = `${LOGS}/libvirtd.log`;

export const serialLogOf = (name: string) => `${LOGS}/${name}.serial.log`;

/** Defines (and optionally starts) a throwaway guest with its own qcow2 disk; returns its UUID. */
export function defineSnapshotGuest(name: string, options: { start: boolean }): string {
  if (!name.startsWith(SNAP_PREFIX)) throw new Error(`${name} lacks the ${SNAP_PREFIX} prefix`);
  mkdirSync(SNAP_DIR, { recursive: true });
  const disk = `${SNAP_DIR}/${name}.qcow2`;
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
  const xml = throwawayXml(
    virsh('dumpxml', '--inactive', 'vd-off-1'),
    name,
    `    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n      <source file='${disk}'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>`,
  );
  writeFileSync(`${SNAP_DIR}/${name}.xml`, xml);
  virsh('define', `${SNAP_DIR}/${name}.xml`);
  if (options.start) virsh('start', name);
  return virsh('domuuid', name).trim();
}

/** Waits until the guest printed its shell prompt on the serial console (its log). */
export async function waitForPrompt(name: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const log = existsSync(serialLogOf(name)) ? readFileSync(serialLogOf(name), 'utf8') : '';
    if (log.includes('vd# ')) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${name} printed no prompt within ${timeoutMs} ms`);
}

export function snapshotNames(name: string): string[] {
  return virsh('snapshot-list', '--name', name)
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Every vd-test-snap-… guest (destroyed, undefined with its snapshot metadata), its files and logs. */
export function cleanUpSnapshotGuests(): void {
  for (const name of virsh('list', '--all', '--name').split('\n').map((s) => s.trim()).filter((s) => s.startsWith(SNAP_PREFIX))) {
    virshOk('destroy', name);
    if (!virshOk('undefine', name, '--snapshots-metadata', '--managed-save')) virshOk('undefine', name);
  }
  if (existsSync(LOGS)) for (const file of readdirSync(LOGS)) if (file.startsWith(SNAP_PREFIX)) rmSync(`${LOGS}/${file}`, { force: true });
  rmSync(SNAP_DIR, { recursive: true, force: true });
}

/** Where the lab's libvirtd log ends now (null when this lab keeps none there). */
export function libvirtdLogEnd(): number | null {
  return existsSync(LIBVIRTD_LOG) ? statSync(LIBVIRTD_LOG).size : null;
}

/** The lines libvirtd logged after `from` (libvirtdLogEnd) that match `pattern`. */
export function libvirtdLogSince(from: number, pattern: RegExp): string[] {
  const length = statSync(LIBVIRTD_LOG).size - from;
  if (length <= 0) return [];
  const buffer = Buffer.alloc(length);
  const fd = openSync(LIBVIRTD_LOG, 'r');
  try {
    readSync(fd, buffer, 0, length, from);
  } finally {
    closeSync(fd);
  }
  return buffer
    .toString('utf8')
    .split('\n')
    .filter((line) => pattern.test(line));
}
