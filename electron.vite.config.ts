import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

/**
 * electron-vite builds the three top-level folders (not src/):
 *  main/     → out/main      (Electron main process: the thin shell + the services)
 *  preload/  → out/preload   (sandboxed preload, bundled to one CommonJS file)
 *  renderer/ → out/renderer  (the React UI; also what serve mode serves)
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: { 'electron-main': resolve('main/shell/electron-main.ts') },
        output: { entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require() anything but electron: bundle everything into it.
      externalizeDeps: false,
      rollupOptions: {
        input: { preload: resolve('preload/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('renderer'),
    // App icons and other static files live in resources/ and are served beside the renderer.
    publicDir: resolve('resources'),
    plugins: [react()],
    build: {
      outDir: resolve('out/renderer'),
      emptyOutDir: true,
      target: 'es2022',
      rollupOptions: { input: resolve('renderer/index.html') },
    },
  },
});
