/**
 * Shared by the migration integration test and bench: the app's own SSH connections and libvirt clients
 * to lab hosts A and B (as the host links have them), throwaway guests made from vd-off-1's definition
 * (their own name, RAM, a qcow2 disk with random data in host A's private disk directory — so a
 * migration has to copy it — or in the shared pool vd-shared), clean-up on both hosts, and a real
 * dropped connection (the sshd process serving VirtDeck's SSH connection to a host killed) and a reconnect.
 * Everything is named with the caller's prefix (vd-test-mig-…, vd-bench-mig-…).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LibvirtClient } from '../../main/libvirt/client';
import { createLibvirtDialer } from '../../main/libvirt/transport';
import { connectSsh, type SshConnection } from '../../main/ssh';
import type { MigrationHost } from '../../main/services/migration/migration-job';
import { hostBPath, requireHostB, type LabInfo } from './lab';

export interface LabMigrationHosts {
  a: MigrationHost;
  b: MigrationHost;
  /**
   * Connects to the host again (a new SSH connection and libvirt client, as the app's connection manager
   * does after a drop) and puts it in `a`/`b`; the old connection is closed.
   */
  reconnect(side: 'a' | 'b'): Promise<MigrationHost>;
  /** Reconnects each host whose SSH connection or libvirt client is down (for clean-up after a drop). */
  ensureConnected(): Promise<void>;
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

async function closeHost(h: MigrationHost): Promise<void> {
  await h.libvirt.close().catch(() => undefined);
  await h.ssh?.close().catch(() => undefined);
}

/** Both lab hosts as VirtDeck connects to them (hostIds 'lab-a' and 'lab-b'). */
export async function connectLabHosts(lab: LabInfo): Promise<LabMigrationHosts> {
  const hostB = requireHostB(lab);
  const connect = {
    a: () => connectHost('lab-a', lab.ssh, lab.accounts.root, lab.libvirtUri),
    b: () => connectHost('lab-b', hostB.ssh, hostB.accounts.root, hostB.libvirtUri),
  };
  const hosts: LabMigrationHosts = {
    a: await connect.a(),
    b: await connect.b(),
    reconnect: async (side) => {
      await closeHost(hosts[side]);
      hosts[side] = await connect[side]();
      return hosts[side];
    },
    ensureConnected: async () => {
      for (const side of ['a', 'b'] as const) {
        const h = hosts[side];
        if (h.ssh?.closed || h.libvirt.state !== 'connected') await hosts.reconnect(side);
      }
    },
    close: async () => {
      for (const h of [hosts.a, hosts.b]) await closeHost(h);
    },
  };
  return hosts;
}

/**
 * Drops VirtDeck's SSH connection to a lab host for real, from the host's side: finds this process's TCP
 * connection to the host's sshd (`ss`, in this machine's network namespace) and SIGKILLs the sshd
 * process(es) serving it on the host (host B's in its own network namespace, entered with nsenter). The
 * kernel closes the connection; everything on it (libvirt, the relay's forwards) goes with it.
 * Returns the killed pids.
 */
export function killSshdSession(lab: LabInfo, side: 'a' | 'b'): number[] {
  const hostB = requireHostB(lab);
  const target = side === 'a' ? lab.ssh : hostB.ssh;
  const ss = (args: string[], netnsOf: string | null): string[] => {
    const argv = ['-tnpH', 'state', 'established', ...args];
    const out = netnsOf
      ? execFileSync('nsenter', ['-t', netnsOf, '-n', 'ss', ...argv], { encoding: 'utf8' })
      : execFileSync('ss', argv, { encoding: 'utf8' });
    return out.split('\n').filter((line) => line.trim() !== '');
  };
  const ours = ss(['dst', `${target.host}:${target.port}`], null).filter((line) => line.includes(`pid=${process.pid},`));
  if (ours.length !== 1) throw new Error(`expected one SSH connection from this process to ${target.host}:${target.port}, found ${ours.length}`);
  const local = (ours[0] as string).trim().split(/\s+/)[2] ?? '';
  const localPort = Number(local.slice(local.lastIndexOf(':') + 1));
  if (!Number.isInteger(localPort) || localPort <= 0) throw new Error(`cannot read the local port of ${JSON.stringify(ours[0])}`);
  const holder = side === 'b' ? readFileSync(join(lab.stateDir, 'hostb', 'run', 'holder.pid'), 'utf8').trim() : null;
  const served = ss([`( sport = :${target.port} and dport = :${localPort} )`], holder);
  const pids = [...new Set(served.flatMap((line) => [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]))))];
  if (pids.length === 0) throw new Error(`no sshd process serves port ${localPort} on host ${side.toUpperCase()}`);
  for (const pid of pids) {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (!comm.startsWith('sshd')) throw new Error(`process ${pid} serving the connection is ${comm}, not sshd`);
  }
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids;
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
