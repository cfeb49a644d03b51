import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebContents, WebFrameMain } from 'electron';
import { TrustedSenders, originOf } from '../../../main/shell/trusted-sender';
import { CONTENT_SECURITY_POLICY } from '../../../main/content-security-policy';

/** Stand-ins with just what TrustedSenders reads: an id, a main frame and a URL, and 'destroyed'. */
function contents(id: number, url: string): { contents: WebContents; main: WebFrameMain; child: WebFrameMain } {
  const emitter = new EventEmitter();
  const main = { url } as WebFrameMain;
  const child = { url } as WebFrameMain;
  const fake = Object.assign(emitter, { id, mainFrame: main }) as unknown as WebContents;
  return { contents: fake, main, child };
}

describe('TrustedSenders (IPC sender validation)', () => {
  const origin = 'app://virtdeck';

  it("accepts only the main frame of VirtDeck's own window on VirtDeck's own origin", () => {
    const senders = new TrustedSenders([origin]);
    const ours = contents(1, `${origin}/index.html`);
    senders.add(ours.contents);
    expect(senders.isTrusted(ours.contents, ours.main)).toBe(true);
    expect(senders.isTrusted(ours.contents, ours.child), 'an iframe').toBe(false);
    expect(senders.isTrusted(ours.contents, null), 'no frame').toBe(false);
  });

  it('refuses windows it did not create and pages that navigated elsewhere', () => {
    const senders = new TrustedSenders([origin]);
    const stranger = contents(2, `${origin}/index.html`);
    expect(senders.isTrusted(stranger.contents, stranger.main)).toBe(false);
    const navigated = contents(3, 'https://evil.example/');
    senders.add(navigated.contents);
    expect(senders.isTrusted(navigated.contents, navigated.main)).toBe(false);
    const garbage = contents(4, 'not a url');
    senders.add(garbage.contents);
    expect(senders.isTrusted(garbage.contents, garbage.main)).toBe(false);
  });

  it('forgets a window once it is destroyed (ids are reused)', () => {
    const senders = new TrustedSenders([origin]);
    const ours = contents(5, `${origin}/`);
    senders.add(ours.contents);
    (ours.contents as unknown as EventEmitter).emit('destroyed');
    expect(senders.isTrusted(ours.contents, ours.main)).toBe(false);
  });
});

describe('originOf', () => {
  it('tells custom-scheme origins apart, where URL.origin says "null" for all of them', () => {
    expect(new URL('app://virtdeck/index.html').origin).toBe('null');
    expect(originOf('app://virtdeck/index.html')).toBe('app://virtdeck');
    expect(originOf('app://other/index.html')).toBe('app://other');
    expect(originOf('http://localhost:5173/x')).toBe('http://localhost:5173');
    expect(originOf('file:///etc/passwd')).toBeNull();
    expect(originOf('nonsense')).toBeNull();
  });
});

describe('Content Security Policy', () => {
  it('allows no remote content, no eval and no inline scripts', () => {
    const directives = new Map(
      CONTENT_SECURITY_POLICY.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name ?? '', values];
      }),
    );
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });
});
