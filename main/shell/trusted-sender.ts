import type { WebContents, WebFrameMain } from 'electron';

/**
 * scheme://host[:port] of a URL, or null. Not URL.origin: Node (and so Electron's main process) gives
 * the opaque origin "null" for custom schemes such as app://, which would make every app:// page look
 * alike.
 */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.host ? `${parsed.protocol}//${parsed.host}` : null;
  } catch {
    return null;
  }
}

/**
 * Decides whether an IPC message comes from VirtDeck's own page: a main frame (no iframes) of a window
 * VirtDeck created, currently showing VirtDeck's own origin. Everything else is dropped.
 */
export class TrustedSenders {
  private readonly ids = new Set<number>();

  constructor(private readonly trustedOrigins: readonly string[]) {}

  add(contents: WebContents): void {
    const id = contents.id;
    this.ids.add(id);
    contents.once('destroyed', () => this.ids.delete(id));
  }

  isTrusted(sender: WebContents, frame: WebFrameMain | null): boolean {
    if (!this.ids.has(sender.id) || !frame || frame !== sender.mainFrame) return false;
    const origin = originOf(frame.url);
    return origin !== null && this.trustedOrigins.includes(origin);
  }
}
