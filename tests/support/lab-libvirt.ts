import { readFileSync } from 'node:fs';
import type { Client } from 'ssh2';
import { LibvirtClient } from '../../main/libvirt/client';
import { connectSsh, virtSshHelperDialer } from '../bench/ssh-transport';
import { requireHostB, type LabInfo } from './lab';

/**
 * A connected libvirt client for a lab host as root, over its own SSH connection (virt-ssh-helper):
 * host A (default) or host B (lab.json's hostB; an error when the lab has none).
 */
export async function connectLabLibvirt(
  lab: LabInfo,
  host: 'a' | 'b' = 'a',
): Promise<{ ssh: Client; client: LibvirtClient }> {
  const target = host === 'a' ? lab : requireHostB(lab);
  const ssh = await connectSsh({
    host: target.ssh.host,
    port: target.ssh.port,
    username: target.accounts.root.user,
    privateKey: readFileSync(target.accounts.root.identityFile),
    knownHostsFile: target.ssh.knownHostsFile,
  });
  const uri = target.libvirtUri;
  const client = new LibvirtClient({ dial: virtSshHelperDialer(ssh, uri), uri, callTimeoutMs: 30_000 });
  await client.connect();
  return { ssh, client };
}
