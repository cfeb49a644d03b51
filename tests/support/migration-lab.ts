/**
 * Shared by the migration integration test and bench: the app's own SSH connections and libvirt clients
 * to lab hosts A and B (as the host links have them), throwaway guests made from vd-off-1's definition
 * (their own name, RAM, a qcow2 disk with random data in host A's private disk directory — so a
 * migration has to copy it — or in the shared pool vd-shared), and clean-up on both hosts.
 * Everything is named with the caller's prefix (vd-test-mig-…, vd-bench-mig-…).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LibvirtClient } from '../../main/libvirt/client';
import { createLibvirtDialer } from '../../main/libvirt/transport';
import { connectSsh, type SshConnection } from '../../main/ssh';
import type { MigrationHost } from '../../main/services/migration/migration-job';
import { hostBPath, requireHostB, type LabInfo } from './lab';

export interface LabMigrationHosts {
  a: MigrationHost;
  b: MigrationHost;
  close(): Promise<void>;
}

async function connectHost(
  hostId: string,
  target: { host: string; port: number; knownHostsFile: string },
  account: { user: string; identityFile: string },
  uri: string,
): Promise<MigrationHost> {
  const ssh: SshConnection = await connectSsh(
    { host: target.host, user: account.user, port: target.port, identityFile: account.identityFile },
    { knownHostsFiles: [target.knownHostsFile], sshConfigFile: null, agent: null },
  );
  const dialer = createLibvirtDialer(ssh, { uri, transport: 'auto' });
  const libvirt = new LibvirtClient({ dial: () => dialer(), uri, reconnect: false });
  await libvirt.connect();
  return { hostId, libvirt, ssh };
}

/** Both lab hosts as VirtDeck connects to them (hostIds 'lab-a' and 'lab-b'). */
export async function connectLabHosts(lab: LabInfo): Promise<LabMigrationHosts> {
  const hostB = requireHostB(lab);
  const a = await connectHost('lab-a', lab.ssh, lab.accounts.root, lab.libvirtUri);
  const b = await connectHost('lab-b', hostB.ssh, hostB.accounts.root, hostB.libvirtUri);
  return {
    a,
    b,
    close: async () => {
      for (const h of [a, b]) {
        await h.libvirt.close().catch(() => undefined);
        await h.ssh?.close().catch(() => undefined);
      }
    },
  };
}

/** Where a throwaway guest's disk lives: host A's private disk directory (copied) or the shared pool. */
export function guestDiskPath(lab: LabInfo, name: string, where: 'private' | 'shared'): string {
  return where === 'shared' ? join(requireHostB(lab).sharedPool.path, `${name}.qcow2`) : join(lab.stateDir, 'disks', `${name}.qcow2`);
}

/**
 * Defines and starts a throwaway guest on host A: vd-off-1's kernel and initramfs, `memoryMiB` of RAM,
 * a qcow2 disk of `diskMiB` MiB random data at guestDiskPath(). Resolves with its UUID once it runs.
 */
export async function startThrowawayGuest(
  lab: LabInfo,
  a: MigrationHost,
  name: string,
  options: { memoryMiB: number; diskMiB: number; where: 'private' | 'shared' },
): Promise<string> {
  const disk = guestDiskPath(lab, name, options.where);
  const raw = `${disk}.raw`;
  execFileSync('sh', ['-c', `head -c ${options.diskMiB * 1048576} /dev/urandom > '${raw}' && qemu-img convert -q -f raw -O qcow2 '${raw}' '${disk}' && rm -f '${raw}'`]);
  if (options.where === 'shared') {
    // Both hosts' libvirtd learn of the new file in the shared pool.
    execFileSync('virsh', ['-q', '-c', lab.libvirtUri, 'pool-refresh', requireHostB(lab).sharedPool.name]);
  }
  const base = await a.libvirt.domain.getXml({ name: 'vd-off-1' }, 2 /* INACTIVE */);
  const kib = options.memoryMiB * 1024;
  const xml = base
    .replace(/<name>[^<]*<\/name>/, `<name>${name}</name>`)
    .replace(/\s*<uuid>[^<]*<\/uuid>/, '')
    .replace(/<title>[^<]*<\/title>/, `<title>${name}</title>`)
    .replace(/vd\.name=[^ <]*/, `vd.name=${name}`)
    .replace(/<memory unit='KiB'>\d+<\/memory>/, `<memory unit='KiB'>${kib}</memory>`)
    .replace(/<currentMemory unit='KiB'>\d+<\/currentMemory>/, `<currentMemory unit='KiB'>${kib}</currentMemory>`)
    .replace(/\/logs\/[^/'"]+\.serial\.log/g, `/logs/${name}.serial.log`)
    .replace(/<source file='[^']*'\/>/, `<source file='${disk}'/>`)
    .replace(/\s*<graphics [\s\S]*?<\/graphics>/, '')
    .replace(/\s*<video>[\s\S]*?<\/video>/, '');
  if (!xml.includes(disk)) throw new Error("vd-off-1's definition has no file disk to replace");
  const domain = await a.libvirt.domain.define(xml);
  await a.libvirt.domain.start({ uuid: domain.uuid });
  return domain.uuid;
}

/** Removes every domain named with `prefix` on both hosts, and their disks and logs. */
export async function removeThrowawayGuests(lab: LabInfo, hosts: { a: MigrationHost; b: MigrationHost }, prefix: string): Promise<void> {
  const hostB = requireHostB(lab);
  const names = new Set<string>();
  for (const h of [hosts.a, hosts.b]) {
    for (const d of await h.libvirt.domain.list().catch(() => [])) {
      if (!d.name.startsWith(prefix)) continue;
      names.add(d.name);
      await h.libvirt.domain.destroy({ uuid: d.uuid }).catch(() => undefined);
      await h.libvirt.domain.undefine({ uuid: d.uuid }).catch(() => undefined);
    }
  }
  for (const name of names) {
    for (const where of ['private', 'shared'] as const) {
      const disk = guestDiskPath(lab, name, where);
      for (const path of [disk, hostBPath(hostB, disk)]) if (existsSync(path)) rmSync(path, { force: true });
    }
    const log = join(lab.stateDir, 'logs', `${name}.serial.log`);
    rmSync(log, { force: true });
    rmSync(hostBPath(hostB, log), { force: true });
  }
  // Both libvirtds forget files removed behind their backs (a stale volume makes an incoming copy skip
  // pre-creating its disk).
  for (const [h, pools] of [
    [hosts.a, [hostB.sharedPool.name]],
    [hosts.b, hostB.pools],
  ] as const) {
    for (const pool of pools) await h.libvirt.storagePool.refresh({ name: pool }).catch(() => undefined);
  }
}
