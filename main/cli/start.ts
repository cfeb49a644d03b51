import { spawn } from 'node:child_process';
import { PROJECT_ROOT, ensureBuild } from './ensure-build';
import { findElectronBinary } from './electron-binary';
import { runServe } from './serve-command';

/**
 * `npm start`: builds if needed and launches the Electron app. Where the Electron binary is missing
 * (an offline install with ELECTRON_SKIP_BINARY_DOWNLOAD=1), it says so in one line and starts serve
 * mode instead, opening the default browser when there is one.
 */
async function main(): Promise<void> {
  const electron = findElectronBinary();
  if ('missing' in electron) {
    console.log(
      'VirtDeck: the Electron binary is not installed (offline install?), so starting serve mode in your browser instead; ' +
        'for the desktop window run `node node_modules/electron/install.js` with access to GitHub.',
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
