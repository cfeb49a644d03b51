// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

/**
 * Layer rules (the architecture, enforced):
 *  - renderer/ talks to main only through the contract (preload/api-contract.ts): no electron, no Node,
 *    no main/, no other preload file.
 *  - preload/ imports electron and the contract only.
 *  - main/ never imports electron outside the thin shell (main/shell/), and never imports renderer/.
 *  - raw ipcMain lives in main/shell/ipc-bridge.ts only; raw ipcRenderer in preload/preload.ts only.
 */
const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'stream'];

export default tseslint.config(
  {
    ignores: ['out/**', 'node_modules/**', 'main/libvirt/protocol/generated/**', 'test-results/**', 'playwright-report/**', 'tests/.output/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
              message: 'Only preload/api-contract may be imported from preload/.',
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
    files: ['preload/api-contract.ts'],
    rules: {
      // The contract is types and constants: it must not pull any runtime code into any layer.
      'no-restricted-imports': ['error', { patterns: [{ group: ['*'], message: 'The API contract imports nothing.' }] }],
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
