/**
 * The backup tests' own guests: the lab guest (same kernel) with a qcow2 v3 data disk the guest can
 * write to — the lab's initramfs has no virtio_blk, so TEST_DIR gets `initramfs-blk.gz`: the lab's
 * image followed by a small cpio archive adding virtio_blk.ko and its line in /etc/vd-modules.list (the
 * kernel unpacks concatenated archives in order; later files win). The lab's own images are untouched.
 * Everything is named vd-test-bak-… and lives in TEST_DIR (plus volumes of that name in the lab pool).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { LibvirtClient } from '../../main/libvirt/client';
import type { RpcStream } from '../../main/libvirt/rpc';
import { virDomainConsoleFlags } from '../../main/libvirt/protocol';
import { virsh, virshOk } from './lab';

export const BAK_PREFIX = 'vd-test-bak-';
export const BAK_DIR = '/var/lib/virtdeck-lab/vd-test-bak';
const STATE = '/var/lib/virtdeck-lab';

/** Builds TEST_DIR/initramfs-blk.gz (see the module comment); returns its path. */
export function blockInitramfs(): string {
  mkdirSync(BAK_DIR, { recursive: true });
  const out = `${BAK_DIR}/initramfs-blk.gz`;
  const script = `set -eu
guest=${STATE}/guest
kver=$(cat $guest/kernel.version)
moddir=$guest/kernel-tree/lib/modules/$kver
work=$(mktemp -d ${BAK_DIR}/blk.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/etc" "$work/root/lib/modules/kernel/drivers/block"
gzip -dc $guest/initramfs.gz | (cd "$work" && cpio -i --quiet --to-stdout etc/vd-modules.list) > "$work/root/etc/vd-modules.list"
rel=$(grep -m1 -oE '^[^:]*/virtio_blk\\.ko(\\.(xz|zst|gz))?:' "$moddir/modules.dep" | tr -d :)
case "$rel" in
  *.ko) cp "$moddir/$rel" "$work/root/lib/modules/kernel/drivers/block/virtio_blk.ko" ;;
  *.xz) xz -dc "$moddir/$rel" > "$work/root/lib/modules/kernel/drivers/block/virtio_blk.ko" ;;
  *.zst) zstd -qdc "$moddir/$rel" > "$work/root/lib/modules/kernel/drivers/block/virtio_blk.ko" ;;
  *.gz) gzip -dc "$moddir/$rel" > "$work/root/lib/modules/kernel/drivers/block/virtio_blk.ko" ;;
esac
echo kernel/drivers/block/virtio_blk.ko >> "$work/root/etc/vd-modules.list"
{ cat $guest/initramfs.gz; (cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6); } > ${out}.new
mv -f ${out}.new ${out}
`;
  execFileSync('bash', ['-c', script]);
  return out;
}

/** The lab guest vd-off-1's definition as a test guest: its own name, serial log, initramfs and data disk. */
export function backupGuestXml(name: string, disk: string, initrd: string): string {
  const source = virsh('dumpxml', '--inactive', 'vd-off-1');
  return source
    .replace(/<name>[^<]*<\/name>/, `<name>${name}</name>`)
    .replace(/\s*<uuid>[^<]*<\/uuid>/, '')
    .replace(/<title>[^<]*<\/title>/, `<title>${name}</title>`)
    .replace(/vd\.name=[^ <]*/, `vd.name=${name}`)
    .replace(/\/logs\/[^/'"]+\.serial\.log/g, `/logs/${name}.serial.log`)
    .replace(/<initrd>[^<]*<\/initrd>/, `<initrd>${initrd}</initrd>`)
    .replace(/\s*<disk [\s\S]*?<\/disk>/g, '')
    .replace(
      /(<devices>\s*<emulator>[^<]*<\/emulator>)/,
      `$1\n    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n      <source file='${disk}'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>`,
    );
}

/** Removes every domain, file and volume of ours. */
export function cleanUpBackupObjects(): void {
  for (const name of virsh('list', '--all', '--name').split('\n').map((s) => s.trim()).filter((s) => s.startsWith(BAK_PREFIX))) {
    virshOk('destroy', name);
    if (!virshOk('undefine', name, '--checkpoints-metadata', '--nvram')) virshOk('undefine', name, '--checkpoints-metadata');
  }
  for (const line of virsh('pool-list', '--all', '--name').split('\n').map((s) => s.trim())) {
    if (line.startsWith('virtdeck-clone-')) {
      const xml = virsh('pool-dumpxml', line);
      if (xml.includes(BAK_DIR)) {
        virshOk('pool-destroy', line);
        virshOk('pool-undefine', line);
      }
    }
  }
  for (const pool of ['vd-lab-pool']) {
    if (!virshOk('pool-info', pool)) continue;
    virshOk('pool-refresh', pool);
    for (const vol of virsh('vol-list', pool).split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((v) => v.startsWith(BAK_PREFIX))) {
      virshOk('vol-delete', '--pool', pool, vol);
    }
  }
  const logs = `${STATE}/logs`;
  if (existsSync(logs)) for (const file of readdirSync(logs)) if (file.startsWith(BAK_PREFIX)) rmSync(`${logs}/${file}`, { force: true });
  rmSync(BAK_DIR, { recursive: true, force: true });
}

export function defineAndStart(name: string, xml: string, start = true): void {
  mkdirSync(BAK_DIR, { recursive: true });
  writeFileSync(`${BAK_DIR}/${name}.xml`, xml);
  virsh('define', `${BAK_DIR}/${name}.xml`);
  if (start) virsh('start', name);
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The guest's serial console over the app's libvirt client: type commands, wait for their output. */
export class SerialShell {
  text = '';
  private constructor(readonly stream: RpcStream) {
    stream.on('data', (b: Buffer) => {
      this.text += b.toString('latin1');
    });
  }

  static async open(libvirt: LibvirtClient, name: string): Promise<SerialShell> {
    const stream = await libvirt.streams.console({ name }, null, virDomainConsoleFlags.VIR_DOMAIN_CONSOLE_FORCE);
    const shell = new SerialShell(stream);
    await shell.expect(/vd# /, 90_000, () => stream.write('\r'));
    return shell;
  }

  async expect(re: RegExp, timeoutMs: number, poke?: () => void): Promise<RegExpMatchArray> {
    const end = Date.now() + timeoutMs;
    let nextPoke = 0;
    for (;;) {
      const m = this.text.match(re);
      if (m) return m;
      if (Date.now() > end) throw new Error(`console: no ${re} within ${timeoutMs} ms; got ${JSON.stringify(this.text.slice(-400))}`);
      if (poke && Date.now() >= nextPoke) {
        poke();
        nextPoke = Date.now() + 1000;
      }
      await tick(50);
    }
  }

  /** Runs a command; resolves with what it printed between two markers. */
  async run(command: string, timeoutMs = 60_000): Promise<string> {
    const marker = `M${Math.random().toString(36).slice(2, 8)}`;
    this.text = '';
    this.stream.write(`echo ${marker}A; ${command}; echo ${marker}Z\r`);
    const m = await this.expect(new RegExp(`\\n${marker}A\\r?\\n([\\s\\S]*?)${marker}Z\\r?\\n`), timeoutMs);
    return (m[1] ?? '').replace(/\r/g, '');
  }

  close(): void {
    this.stream.end();
  }
}
