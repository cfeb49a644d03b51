import { access, constants, stat } from 'node:fs/promises';
import type { SshConfigCandidate } from '../../../preload/api-contract';
import { localSocketCandidates, parseLibvirtUri } from '../../libvirt/transport';
import { listConfiguredHosts, resolveSshTarget, sshConfigSources } from '../../ssh';

/**
 * Hosts the user already described elsewhere: the `Host` entries of ~/.ssh/config (resolved as ssh
 * would: HostName, User, Port, ProxyJump), and libvirt on this computer when its socket is usable.
 */
export function sshConfigCandidates(sshConfigFile: string | null | undefined): SshConfigCandidate[] {
  const sources = sshConfigSources(sshConfigFile);
  return listConfiguredHosts({ sources }).map((alias) => {
    const resolved = resolveSshTarget({ host: alias }, { sources });
    return {
      alias,
      hostName: resolved.hostName,
      user: resolved.user,
      port: resolved.port,
      proxyJump: resolved.proxyJumpText,
    };
  });
}

/** The local libvirt socket, when this account may use it ("This computer" without SSH). */
export async function localLibvirtSocket(uri = 'qemu:///system'): Promise<string | null> {
  for (const path of localSocketCandidates(parseLibvirtUri(uri), false)) {
    try {
      if (!(await stat(path)).isSocket()) continue;
      await access(path, constants.R_OK | constants.W_OK);
      return path;
    } catch {
      // missing or not allowed: try the next one
    }
  }
  return null;
}
