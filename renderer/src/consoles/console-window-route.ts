/**
 * A console in a window of its own: the same app, opened at a hash route that names one console.
 * `#console/<kind>/<hostId>/<domainUuid>[/<device>]` — kind "serial" (device = console alias) or
 * "graphics" (device = graphics device index).
 */
export type ConsoleWindowRoute =
  | { kind: 'serial'; hostId: string; domainUuid: string; device: string | null }
  | { kind: 'graphics'; hostId: string; domainUuid: string; channel: number };

const PREFIX = '#console/';

export function consoleWindowHash(route: ConsoleWindowRoute): string {
  const parts = [route.kind, route.hostId, route.domainUuid];
  if (route.kind === 'serial' && route.device) parts.push(route.device);
  if (route.kind === 'graphics') parts.push(String(route.channel));
  return PREFIX + parts.map(encodeURIComponent).join('/');
}

export function parseConsoleWindowHash(hash: string): ConsoleWindowRoute | null {
  if (!hash.startsWith(PREFIX)) return null;
  let parts: string[];
  try {
    parts = hash.slice(PREFIX.length).split('/').map(decodeURIComponent);
  } catch {
    return null;
  }
  const [kind, hostId, domainUuid, device] = parts;
  if (!hostId || !domainUuid || !/^[0-9a-f-]{36}$/i.test(domainUuid) || parts.length > 4) return null;
  if (kind === 'serial') return { kind, hostId, domainUuid, device: device || null };
  if (kind === 'graphics') {
    const channel = Number(device ?? '0');
    return Number.isInteger(channel) && channel >= 0 && channel <= 16 ? { kind, hostId, domainUuid, channel } : null;
  }
  return null;
}

/** Opens the console in a new window (Electron: a new app window; serve mode: a browser popup). */
export function openConsoleWindow(route: ConsoleWindowRoute): void {
  const target = new URL(location.href);
  target.search = ''; // never pass a serve-mode token on; the session cookie is enough
  target.hash = consoleWindowHash(route);
  window.open(target.href, '_blank', 'popup,width=1100,height=820');
}
