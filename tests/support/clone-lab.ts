/**
 * Shared by the clone and media tests: the app's own SSH connection and libvirt client to the lab (as
 * the host link has them), throwaway guests made from a lab guest's definition, and clean-up helpers.
 * Everything made here is named `vd-test-clone-…` and lives in TEST_DIR.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { LibvirtClient } from '../../main/libvirt/client';
import { createLibvirtDialer } from '../../main/libvirt/transport';
import { connectSsh, type SshConnection } from '../../main/ssh';
import { virsh, virshOk, type LabInfo } from './lab';

export const TEST_PREFIX = 'vd-test-clone-';
export const TEST_DIR = '/var/lib/virtdeck-lab/vd-test-clone';

export async function connectLabAsApp(
  lab: LabInfo,
  via: { port: number; knownHostsFile: string } = { port: lab.ssh.port, knownHostsFile: lab.ssh.knownHostsFile },
): Promise<{ ssh: SshConnection; libvirt: LibvirtClient }> {
  const ssh = await connectSsh(
    { host: lab.ssh.host, user: lab.accounts.root.user, port: via.port, identityFile: lab.accounts.root.identityFile },
    { knownHostsFiles: [via.knownHostsFile], sshConfigFile: null, agent: null },
  );
  const dialer = createLibvirtDialer(ssh, { uri: lab.libvirtUri, transport: 'auto' });
  const libvirt = new LibvirtClient({ dial: () => dialer(), uri: lab.libvirtUri, reconnect: false });
  await libvirt.connect();
  return { ssh, libvirt };
}

export function ensureTestDir(): void {
  mkdirSync(TEST_DIR, { recursive: true });
}

/** Domains, pools and files of ours left on the lab (by prefix); cleaning up removes them all. */
export function cleanUpTestObjects(extraFiles: string[] = []): void {
  for (const name of virsh('list', '--all', '--name').split('\n').map((s) => s.trim()).filter((s) => s.startsWith(TEST_PREFIX))) {
    virshOk('destroy', name);
    if (!virshOk('undefine', name, '--nvram')) virshOk('undefine', name, '--keep-nvram');
  }
  for (const line of virsh('pool-list', '--all', '--name').split('\n').map((s) => s.trim())) {
    if (line.startsWith(TEST_PREFIX) || line.startsWith('virtdeck-clone-')) {
      virshOk('pool-destroy', line);
      virshOk('pool-undefine', line);
    }
  }
  for (const file of extraFiles) if (existsSync(file)) rmSync(file, { force: true });
  const logs = '/var/lib/virtdeck-lab/logs';
  if (existsSync(logs)) for (const file of readdirSync(logs)) if (file.startsWith(TEST_PREFIX)) rmSync(`${logs}/${file}`, { force: true });
  rmSync(TEST_DIR, { recursive: true, force: true });
}

/** Names of the temporary pools VirtDeck's clones make (none should outlive a clone). */
export function temporaryPools(): string[] {
  return virsh('pool-list', '--all', '--name').split('\n').map((s) => s.trim()).filter((s) => s.startsWith('virtdeck-clone-'));
}

/** A lab guest's definition turned into a throwaway guest's: new name, no UUID, disks replaced. */
export function throwawayXml(sourceXml: string, name: string, disksXml: string, extraOs = ''): string {
  return sourceXml
    .replace(/<name>[^<]*<\/name>/, `<name>${name}</name>`)
    .replace(/\s*<uuid>[^<]*<\/uuid>/, '')
    .replace(/<title>[^<]*<\/title>/, `<title>${name}</title>`)
    .replace(/vd\.name=[^ <]*/, `vd.name=${name}`)
    .replace(/\/logs\/[^/'"]+\.serial\.log/g, `/logs/${name}.serial.log`)
    .replace(/\s*<disk [\s\S]*?<\/disk>/g, '')
    .replace(/(<devices>\s*<emulator>[^<]*<\/emulator>)/, `$1\n${disksXml}`)
    .replace(/(<os>\s*<type [^>]*>[^<]*<\/type>)/, `$1${extraOs}`);
}
