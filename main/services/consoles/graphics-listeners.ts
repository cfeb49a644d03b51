import type { GraphicsListen } from '../../../preload/api-contract';

/**
 * Where each running guest's graphics devices listen, as last read from its live XML on this host
 * connection. Only a hint: a console opens a channel to the remembered listener while it reads the live
 * XML, and uses that channel only if the XML still names the same listener (so a click costs one
 * round trip, not two). Nothing is forwarded before the check.
 */
export class GraphicsListenerHints {
  private readonly byDomain = new Map<string, readonly GraphicsListen[]>();

  remember(domainUuid: string, listeners: readonly GraphicsListen[]): void {
    this.byDomain.set(domainUuid.toLowerCase(), listeners);
  }

  get(domainUuid: string, channel: number): GraphicsListen | undefined {
    return this.byDomain.get(domainUuid.toLowerCase())?.[channel];
  }

  forget(domainUuid: string): void {
    this.byDomain.delete(domainUuid.toLowerCase());
  }
}

/** The same listener: same kind and the same address and ports, or the same socket path. */
export function sameListener(a: GraphicsListen, b: GraphicsListen): boolean {
  if (a.type === 'address' && b.type === 'address') {
    return a.address === b.address && a.port === b.port && a.tlsPort === b.tlsPort;
  }
  if (a.type === 'socket' && b.type === 'socket') return a.path === b.path;
  return false;
}
