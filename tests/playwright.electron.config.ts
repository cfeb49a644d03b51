import { defineConfig } from '@playwright/test';

/** The Electron smoke test: the real desktop app, where an Electron binary exists. */
export default defineConfig({
  testDir: './electron',
  outputDir: './.output/electron',
  timeout: 90_000,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: './.output/electron-report.json' }]],
});
