import { defineConfig } from 'vitest/config';

/**
 * Conformance: the domain XML validator against libxml2 (xmllint) on libvirt's own schema-test corpus,
 * fetched from Debian's libvirt source package (tests/conformance/fetch-libvirt-corpus.sh). No lab.
 */
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['tests/conformance/**/*.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
