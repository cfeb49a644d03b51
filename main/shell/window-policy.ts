import { originOf } from './trusted-sender';

/** What a page's window.open(url) may do in the Electron shell. */
export type WindowOpenDecision = 'console-window' | 'external' | 'deny';

/**
 * A console popped out of the VM page is VirtDeck's own page at a `#console/…` route: it opens as a new
 * app window (with the same preload, sandbox and sender checks). http(s) links go to the user's
 * browser. Anything else is refused.
 */
export function decideWindowOpen(url: string, rendererOrigin: string | null): WindowOpenDecision {
  if (rendererOrigin !== null && originOf(url) === rendererOrigin) {
    const hash = new URL(url).hash;
    return hash.startsWith('#console/') ? 'console-window' : 'deny';
  }
  return /^https?:\/\//.test(url) ? 'external' : 'deny';
}
