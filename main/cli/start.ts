import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { PROJECT_ROOT, ensureBuild } from './ensure-build';
import { runServe } from './serve-command';

/**
 * `npm start`: builds if needed and launches the Electron app. Where the Electron binary is missing
 * (an offline install with ELECTRON_SKIP_BINARY_DOWNLOAD=1), it says so in one line and starts serve
 * mode instead, opening the default browser when there is one.
 */
export function findElectronBinary(): { path: string } | { missing: string } {
  const require = createRequire(import.meta.url);
  try {
    // The electron package's main export is the binary's path; it throws when the binary is absent.
    const path: unknown = require('electron');
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { missing: 'the electron package has no binary' };
  } catch (error) {
    return { missing: error instanceof Error ? error.message : String(error) };
  }
}

async function main(): Promise<void> {
  const electron = findElectronBinary();
  if ('missing' in electron) {
    console.log(
      `VirtDeck: the Electron binary is not installed (${electron.missing}); starting serve mode in your browser instead ` +
        '(run `npx electron install` or reinstall without ELECTRON_SKIP_BINARY_DOWNLOAD to get the desktop window).',
    );
    await runServe(['--open', ...process.argv.slice(2)]);
    return;
  }
  ensureBuild();
  const child = spawn(electron.path, ['.', ...process.argv.slice(2)], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((error: unknown) => {
  console.error(`VirtDeck: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
