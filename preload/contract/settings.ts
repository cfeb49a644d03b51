/**
 * User settings (gear menu).
 */

import type { AssertNever } from './channel-names';

/** The sizing advisor's thresholds: each rule counts the running guests plus the one it looks at. */
export interface AdvisorThresholds {
  /** vCPU overcommit when running guests' vCPUs exceed this × the host's CPU threads (default 0.8). */
  vcpuPerThread: number;
  /** Memory overcommit when running guests' memory exceeds this × the host's RAM (default 0.7). */
  memoryShare: number;
}

export interface AppSettings {
  /** How often every connected host's guests are sampled. */
  statsIntervalMs: number;
  advisor: AdvisorThresholds;
}

export interface SettingsCalls {
  'settings.get': { request: null; response: AppSettings };
  /** Replaces the settings (send all of them: what the client last read, changed). */
  'settings.set': { request: AppSettings; response: AppSettings };
}

export const SETTINGS_CALLS = [
  'settings.get',
  'settings.set',
] as const satisfies readonly (keyof SettingsCalls)[];
export type _SettingsCallsListed = AssertNever<Exclude<keyof SettingsCalls, (typeof SETTINGS_CALLS)[number]>>;
