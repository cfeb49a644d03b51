/**
 * What the new-VM tests put on the lab: a bootable ISO made from the lab's own guest (its kernel and
 * busybox initramfs, GRUB from grub-mkrescue, serial console on ttyS0) in a transient `dir` pool of the
 * test's own (`vd-test-newvm-…`), and the removal of everything named with that prefix afterwards.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabInfo } from './lab';

export const TEST_ISO_LABEL = 'VD_TEST_BOOT';
export const TEST_ISO_GUEST = 'vd-iso-guest';

/** Builds the test ISO into `file`: GRUB boots the lab guest's kernel and initramfs with the shell on ttyS0. */
export function buildBootIso(lab: LabInfo, file: string): void {
  const root = mkdtempSync(join(tmpdir(), 'vd-test-newvm-iso-'));
  try {
    mkdirSync(join(root, 'boot', 'grub'), { recursive: true });
    copyFileSync(join(lab.stateDir, 'guest', 'vmlinuz'), join(root, 'boot', 'vmlinuz'));
    copyFileSync(join(lab.stateDir, 'guest', 'initramfs.gz'), join(root, 'boot', 'initramfs.gz'));
    writeFileSync(
      join(root, 'boot', 'grub', 'grub.cfg'),
      [
        'serial --unit=0 --speed=115200',
        'terminal_input serial console',
        'terminal_output serial console',
        'set timeout=0',
        "menuentry 'VirtDeck test guest' {",
        `  linux /boot/vmlinuz console=tty1 console=ttyS0 vd.name=${TEST_ISO_GUEST}`,
        '  initrd /boot/initramfs.gz',
        '}',
        '',
      ].join('\n'),
    );
    execFileSync('grub-mkrescue', ['-o', file, root, '--', '-volid', TEST_ISO_LABEL], { stdio: 'pipe', timeout: 120_000 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Why the ISO cannot be built here, or null. */
export function bootIsoUnavailable(): string | null {
  for (const tool of ['grub-mkrescue', 'xorriso', 'mformat']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    } catch {
      return `${tool} is missing (Debian: grub-pc-bin grub-common xorriso mtools)`;
    }
  }
  return null;
}

/** The pool's directory on the lab host (the lab runs on this machine): the ISO is put there before the pool starts. */
export function testPoolDir(tag: string): string {
  return `/var/tmp/vd-test-newvm-${tag}`;
}

export function testPoolXml(tag: string): string {
  return `<pool type='dir'><name>vd-test-newvm-${tag}</name><target><path>${testPoolDir(tag)}</path></target></pool>`;
}
