import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SERVE_SESSION_COOKIE, SERVE_TOKEN_PARAM } from '../../preload/api-contract';

/** Loopback names a browser may use to reach a server bound to a loopback address. */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackAddress(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export type AuthVerdict =
  | { ok: true; viaToken: boolean }
  | { ok: false; status: 401 | 403 | 421; reason: string };

/**
 * Decides who may use a serve-mode server. A random token printed once at start-up is exchanged for
 * an HttpOnly, SameSite=Strict session cookie; every HTTP request and WebSocket must carry one of the
 * two. The Host header must name this server (defeats DNS rebinding) and a WebSocket's Origin must be
 * this server's own origin (defeats cross-site WebSocket hijacking).
 */
export class ServeAuth {
  readonly token: string;
  private readonly sessions = new Set<string>();

  constructor(
    private readonly port: () => number,
    private readonly boundHost: string,
    token?: string,
  ) {
    this.token = token ?? randomBytes(24).toString('base64url');
  }

  /** Host names (with port) this server answers to. */
  private allowedHosts(): Set<string> {
    const port = this.port();
    const names = isLoopbackAddress(this.boundHost) ? [...LOOPBACK_NAMES] : [this.boundHost];
    return new Set(names.map((name) => `${name.includes(':') && !name.startsWith('[') ? `[${name}]` : name}:${port}`));
  }

  checkHost(request: IncomingMessage): AuthVerdict | null {
    const host = (request.headers.host ?? '').toLowerCase();
    if (!this.allowedHosts().has(host)) {
      return { ok: false, status: 421, reason: `This VirtDeck server does not answer to host "${host}".` };
    }
    return null;
  }

  checkOrigin(request: IncomingMessage): AuthVerdict | null {
    const origin = request.headers.origin;
    const expected = `http://${(request.headers.host ?? '').toLowerCase()}`;
    if (origin !== expected) {
      return {
        ok: false,
        status: 403,
        reason: origin ? `Origin ${origin} may not use this VirtDeck server.` : 'A WebSocket without an Origin is refused.',
      };
    }
    return null;
  }

  /** Token from the query string, or session from the cookie. */
  checkCredentials(request: IncomingMessage, url: URL): AuthVerdict {
    const token = url.searchParams.get(SERVE_TOKEN_PARAM);
    if (token !== null) {
      return sameSecret(token, this.token)
        ? { ok: true, viaToken: true }
        : { ok: false, status: 401, reason: 'The access token is wrong.' };
    }
    const session = readCookie(request.headers.cookie, SERVE_SESSION_COOKIE);
    if (session && [...this.sessions].some((known) => sameSecret(known, session))) return { ok: true, viaToken: false };
    return {
      ok: false,
      status: 401,
      reason: 'VirtDeck serve mode needs the access token: open the URL printed in the terminal that started it.',
    };
  }

  /** Creates a session for a browser that presented the token; returns the Set-Cookie header value. */
  newSessionCookie(): string {
    const session = randomBytes(24).toString('base64url');
    this.sessions.add(session);
    return `${SERVE_SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
