/**
 * The renderer's Content Security Policy, the same in Electron (meta tag + response header) and in
 * serve mode (response header). No remote content at all: scripts, styles, fonts and workers come from
 * the app itself. 'unsafe-inline' for styles only (Mantine and Monaco inject style elements);
 * blob: workers and data: fonts/images for Monaco and noVNC. connect-src 'self' also covers the
 * serve-mode WebSocket of the same origin.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
