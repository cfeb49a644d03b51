import { readFileSync } from 'node:fs';
import type { Client } from 'ssh2';
import { LibvirtClient } from '../../main/libvirt/client';
import { connectSsh, virtSshHelperDialer } from '../bench/ssh-transport';
import type { LabInfo } from './lab';

/** A connected libvirt client for the lab as root, over its own SSH connection (virt-ssh-helper). */
export async function connectLabLibvirt(lab: LabInfo): Promise<{ ssh: Client; client: LibvirtClient }> {
  const ssh = await connectSsh({
    host: lab.ssh.host,
    port: lab.ssh.port,
    username: lab.accounts.root.user,
    privateKey: readFileSync(lab.accounts.root.identityFile),
    knownHostsFile: lab.ssh.knownHostsFile,
  });
  const client = new LibvirtClient({ dial: virtSshHelperDialer(ssh, lab.libvirtUri), uri: lab.libvirtUri, callTimeoutMs: 30_000 });
  await client.connect();
  return { ssh, client };
}
