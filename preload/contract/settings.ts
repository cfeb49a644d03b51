/**
 * User settings (gear menu).
 */

import type { AssertNever } from './channel-names';

export interface AppSettings {
  /** How often every connected host's guests are sampled. */
  statsIntervalMs: number;
}

export interface SettingsCalls {
  'settings.get': { request: null; response: AppSettings };
  'settings.set': { request: AppSettings; response: AppSettings };
}

export const SETTINGS_CALLS = [
  'settings.get',
  'settings.set',
] as const satisfies readonly (keyof SettingsCalls)[];
export type _SettingsCallsListed = AssertNever<Exclude<keyof SettingsCalls, (typeof SETTINGS_CALLS)[number]>>;
