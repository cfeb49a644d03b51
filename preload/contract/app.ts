/**
 * The app itself: name, version, how this renderer reaches the services.
 */

import type { AssertNever } from './channel-names';

export type TransportKind = 'electron' | 'serve';

export interface AppInfo {
  name: string;
  version: string;
  /** How this renderer reaches the main services. */
  transport: TransportKind;
  /** Platform of the process running the services (node's process.platform). */
  platform: string;
  /** Directory holding the user's VirtDeck configuration (hosts list, settings). */
  configDir: string;
}

export interface AppCalls {
  'app.getInfo': { request: null; response: AppInfo };
}

export const APP_CALLS = [
  'app.getInfo',
] as const satisfies readonly (keyof AppCalls)[];
export type _AppCallsListed = AssertNever<Exclude<keyof AppCalls, (typeof APP_CALLS)[number]>>;
