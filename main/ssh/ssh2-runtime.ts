/**
 * ssh2 is CommonJS, and Node's ESM loader does not detect all of its named exports (`utils` is missing).
 * Loading it through require() works the same under Node ESM (serve mode, tsx), Vitest and the Electron
 * build, and keeps one module instance (ssh2 checks `instanceof BaseAgent`).
 */
import { createRequire } from 'node:module';
import type * as Ssh2 from 'ssh2';

const require = createRequire(import.meta.url);
const ssh2 = require('ssh2') as typeof Ssh2;

export const Ssh2Client = ssh2.Client;
export const Ssh2BaseAgent = ssh2.BaseAgent;
export const ssh2CreateAgent = ssh2.createAgent;
export const ssh2ParseKey = ssh2.utils.parseKey;
