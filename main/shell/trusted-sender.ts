import type { WebContents, WebFrameMain } from 'electron';

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
    try {
      return this.trustedOrigins.includes(new URL(frame.url).origin);
    } catch {
      return false;
    }
  }
}
