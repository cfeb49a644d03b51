/**
 * libvirt connection URIs (`driver[+transport]://[user@][host][:port]/path[?params]`), as far as the
 * transports need them: which driver (for the modular daemon's socket), system or session, read-only
 * socket names, and the URI the daemon side is asked for (`qemu:///system`: no transport, no host, no
 * client-only parameters) — what libvirt's remote driver passes to virt-ssh-helper.
 */

export class LibvirtUriError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LibvirtUriError';
  }
}

export interface LibvirtUri {
  raw: string;
  /** `qemu`, `lxc`, `test`, … */
  driver: string;
  /** `ssh`, `libssh`, `libssh2`, `unix`, `tls`, `tcp`, `ext`, or null. */
  transport: string | null;
  host: string | null;
  /** `/system`, `/session`, `/embed`, `/default`, … */
  path: string;
  params: Array<[string, string]>;
  /** The URI for the daemon on the host, e.g. `qemu:///system`. */
  driverUri: string;
  /** Per-user daemon (`/session`): its socket lives under the remote user's runtime dir. */
  session: boolean;
}

/** Parameters the libvirt client consumes itself (remote_driver.c); they are not forwarded. */
const CLIENT_PARAMS = new Set([
  'name',
  'command',
  'socket',
  'auth',
  'authfile',
  'sshauth',
  'netcat',
  'keyfile',
  'no_verify',
  'no_tty',
  'pkipath',
  'known_hosts',
  'known_hosts_verify',
  'tls_priority',
  'mode',
  'proxy',
]);

const URI_RE =
  /^([a-z][a-z0-9]*)(?:\+([a-z0-9]+))?:\/\/(?:([^@/?]*)@)?(\[[^\]]*\]|[^/?:]*)(?::(\d+))?(\/[^?#]*)?(?:\?([^#]*))?$/i;

export function parseLibvirtUri(uri: string): LibvirtUri {
  const m = URI_RE.exec(uri.trim());
  if (!m?.[1]) throw new LibvirtUriError(`"${uri}" is not a libvirt URI (like qemu:///system)`);
  const driver = m[1].toLowerCase();
  const transport = m[2]?.toLowerCase() ?? null;
  const host = m[4] ? m[4].replace(/^\[|\]$/g, '') : null;
  const path = m[6] ?? '/';
  const params: Array<[string, string]> = [];
  for (const part of (m[7] ?? '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    params.push([key, value]);
  }
  const name = params.find(([k]) => k === 'name')?.[1];
  const forwarded = params.filter(([k]) => !CLIENT_PARAMS.has(k));
  const query = forwarded.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const driverUri = name ?? `${driver}://${path}${query ? `?${query}` : ''}`;
  return { raw: uri, driver, transport, host, path, params, driverUri, session: path === '/session' };
}

export function uriParam(uri: LibvirtUri, key: string): string | undefined {
  return uri.params.find(([k]) => k === key)?.[1];
}

/** The modular daemon serving a driver (libvirt's remote_sockets.c), e.g. qemu → virtqemud. */
export function modularDaemonFor(driver: string): string | null {
  const map: Readonly<Record<string, string>> = {
    qemu: 'virtqemud',
    lxc: 'virtlxcd',
    xen: 'virtxend',
    libxl: 'virtxend',
    vbox: 'virtvboxd',
    ch: 'virtchd',
    bhyve: 'virtbhyved',
    vz: 'virtvzd',
    network: 'virtnetworkd',
    nodedev: 'virtnodedevd',
    nwfilter: 'virtnwfilterd',
    secret: 'virtsecretd',
    storage: 'virtstoraged',
    interface: 'virtinterfaced',
  };
  return map[driver] ?? null;
}

/**
 * System-daemon socket candidates, in libvirt's order of preference (remoteGetUNIXSocket, mode=auto):
 * the driver's modular daemon first, then the monolithic libvirtd (or virtproxyd) socket. `?mode=direct`
 * or `?mode=legacy` restricts to one kind. Both /run and /var/run are listed (older libvirt builds).
 */
export function systemSocketCandidates(uri: LibvirtUri, readOnly: boolean): string[] {
  const suffix = readOnly ? 'sock-ro' : 'sock';
  const mode = uriParam(uri, 'mode');
  const daemon = modularDaemonFor(uri.driver);
  const names: string[] = [];
  if (daemon && mode !== 'legacy') names.push(`${daemon}-${suffix}`);
  if (mode !== 'direct') names.push(`libvirt-${suffix}`);
  const out: string[] = [];
  for (const name of names) out.push(`/run/libvirt/${name}`, `/var/run/libvirt/${name}`);
  return out;
}

/** The legacy socket libvirt's netcat fallback uses (`/var/run/libvirt/libvirt-sock[-ro]`). */
export function legacySocketPath(uri: LibvirtUri, readOnly: boolean): string {
  const explicit = uriParam(uri, 'socket');
  if (explicit) return explicit;
  const suffix = readOnly ? 'sock-ro' : 'sock';
  if (uriParam(uri, 'mode') === 'direct') {
    const daemon = modularDaemonFor(uri.driver);
    if (daemon) return `/var/run/libvirt/${daemon}-${suffix}`;
  }
  return `/var/run/libvirt/libvirt-${suffix}`;
}
