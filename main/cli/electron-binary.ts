import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The Electron binary's path, or why there is none. The electron package's main export is the
 * binary's path; it throws when the binary was never downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD).
 */
export function findElectronBinary(): { path: string } | { missing: string } {
  const require = createRequire(import.meta.url);
  try {
    const path: unknown = require('electron');
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { missing: 'the electron package has no binary' };
  } catch (error) {
    return { missing: error instanceof Error ? error.message : String(error) };
  }
}

