import { defineConfig } from 'vitest/config';

/** Integration tests against the real lab (libvirtd over real SSH); global-setup starts it. */
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['tests/integration/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['tests/integration/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // One lab, shared: files run one after another so they do not fight over guests.
    fileParallelism: false,
  },
});
