// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

/**
 * Layer rules (the architecture, enforced; README "Architecture"):
 *  - renderer/ talks to main only through the contract's index (preload/api-contract.ts): no electron,
 *    no Node, no main/, no other preload file.
 *  - preload/ imports electron and the contract only; the contract (api-contract.ts + contract/) imports
 *    nothing but itself.
 *  - main/, top to bottom: cli/, shell/ → serve/, app-services → api/ → services/ → libvirt/ → ssh/.
 *    A layer never imports one above it (import-x/no-restricted-paths, which resolves real paths).
 *  - no import cycles anywhere (import-x/no-cycle).
 *  - main/ never imports electron outside the thin shell (main/shell/), and never imports renderer/.
 *  - raw ipcMain lives in main/shell/ipc-bridge.ts only; raw ipcRenderer in preload/preload.ts only.
 */
const layerAbove = {
  api: ['./main/serve', './main/shell', './main/cli', './main/app-services.ts'],
  get services() {
    return [...this.api, './main/api'];
  },
  get libvirt() {
    return [...this.services, './main/services'];
  },
  get ssh() {
    return [...this.libvirt, './main/libvirt'];
  },
};
const layerZone = (layer, why) => ({
  target: `./main/${layer}`,
  from: layerAbove[layer],
  message: `main/${layer}/ ${why}`,
});

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'stream'];

export default tseslint.config(
  {
    ignores: ['out/**', 'node_modules/**', 'main/libvirt/protocol/generated/**', 'test-results/**', 'playwright-report/**', 'tests/.output/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['main/**/*.ts', 'preload/**/*.ts', 'renderer/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      // The dependencies of a file are parsed too (for cycles): as TypeScript.
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.json'] })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            layerZone('api', 'serves the contract for both transports: it never imports a transport, the shell or the CLI.'),
            layerZone('services', 'runs in plain Node below the API: it never imports main/api/ (errors it throws live in main/services/api-failure.ts).'),
            layerZone('libvirt', 'is the protocol and its client: it never imports the services that use it.'),
            layerZone('ssh', 'carries bytes: it never imports libvirt/ or the services.'),
            {
              target: './main/serve',
              from: ['./main/shell', './main/cli'],
              message: 'serve mode never imports the Electron shell or the CLI.',
            },
          ],
        },
      ],
    },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer reaches main only through the API contract.' }],
          patterns: [
            { group: nodeBuiltins, message: 'The renderer runs in a browser sandbox: no Node modules.' },
            { group: ['**/main/**', '**/main'], message: 'Import the contract (preload/api-contract), never main code.' },
            {
              group: ['**/preload/**', '!**/preload/api-contract'],
              message: 'Only preload/api-contract (the index of the contract) may be imported from preload/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['preload/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/main/**', '**/renderer/**'], message: 'preload/ imports electron and the contract only.' },
            { group: nodeBuiltins, message: 'A sandboxed preload has no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['preload/api-contract.ts', 'preload/contract/**/*.ts'],
    rules: {
      // The contract is types and constants: it must not pull any runtime code into any layer.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./contract/[a-z-]+$|\\./[a-z-]+$)',
              message: 'The API contract imports nothing but its own area files (preload/contract/).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/shell/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'Only main/shell/ may import electron; services run in plain Node.' }],
          patterns: [{ group: ['**/renderer/**'], message: 'main/ never imports renderer code.' }],
        },
      ],
    },
  },
  {
    files: ['main/shell/**/*.ts'],
    ignores: ['main/shell/ipc-bridge.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', importNames: ['ipcMain'], message: 'Raw ipcMain belongs in main/shell/ipc-bridge.ts.' }],
          patterns: [{ group: ['**/renderer/**'], message: 'main/ never imports renderer code.' }],
        },
      ],
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
    },
  },
);
