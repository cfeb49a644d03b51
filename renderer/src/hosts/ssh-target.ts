import type { HostEntry } from '../../../preload/api-contract';

/** user@host[:port], as one would type it for ssh. */
export function sshTarget(host: Pick<HostEntry, 'ssh'>): string {
  const { user, host: name, port } = host.ssh;
  const shown = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  return `${user}@${shown}${port === 22 ? '' : `:${port}`}`;
}
