import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const RENDERER_OUT_DIR = join(PROJECT_ROOT, 'out', 'renderer');
const BUILD_STAMP = join(PROJECT_ROOT, 'out', 'renderer', 'index.html');
const ELECTRON_MAIN_OUT = join(PROJECT_ROOT, 'out', 'main', 'electron-main.js');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when out/ is missing or older than any source that goes into it. */
export function buildIsStale(): boolean {
  if (!existsSync(BUILD_STAMP) || !existsSync(ELECTRON_MAIN_OUT)) return true;
  const built = Math.min(statSync(BUILD_STAMP).mtimeMs, statSync(ELECTRON_MAIN_OUT).mtimeMs);
  const sources = ['main', 'preload', 'renderer', 'resources', 'electron.vite.config.ts', 'package.json'];
  return sources.some((source) => newestMtime(join(PROJECT_ROOT, source)) > built);
}

/**
 * Runs `electron-vite build` when the build is missing or stale. With `quiet`, the build's output goes
 * to stderr so that stdout stays machine-readable.
 */
export function ensureBuild({ quiet = false }: { quiet?: boolean } = {}): void {
  if (!buildIsStale()) return;
  (quiet ? console.error : console.log)('VirtDeck: building the app (electron-vite build)…');
  const result = spawnSync('npx', ['electron-vite', 'build'], {
    cwd: PROJECT_ROOT,
    stdio: quiet ? ['ignore', 2, 2] : 'inherit',
  });
  if (result.status !== 0) throw new Error(`electron-vite build failed (exit ${result.status ?? result.signal})`);
}
