import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SettingsStore, settingsSchema } from '../../../main/services/settings/settings-store';

const dir = () => mkdtempSync(join(tmpdir(), 'vd-settings-'));

describe('settings store', () => {
  it('a file from before the advisor thresholds keeps its interval and gets the default thresholds', async () => {
    const configDir = dir();
    writeFileSync(join(configDir, 'settings.json'), JSON.stringify({ statsIntervalMs: 5_000 }));
    expect(await new SettingsStore(configDir).get()).toEqual({ statsIntervalMs: 5_000, advisor: { vcpuPerThread: 0.8, memoryShare: 0.7 } });
  });

  it('saves and reads back the thresholds', async () => {
    const configDir = dir();
    const saved = { statsIntervalMs: 2_000, advisor: { vcpuPerThread: 1.5, memoryShare: 0.9 } };
    await new SettingsStore(configDir).set(saved);
    expect(JSON.parse(readFileSync(join(configDir, 'settings.json'), 'utf8'))).toEqual(saved);
    expect(await new SettingsStore(configDir).get()).toEqual(saved);
  });

  it('settings.set takes every setting: a request without the thresholds, or with absurd ones, is refused', () => {
    expect(settingsSchema.safeParse({ statsIntervalMs: 2_000 }).success).toBe(false);
    expect(settingsSchema.safeParse({ ...DEFAULT_SETTINGS, advisor: { vcpuPerThread: 0, memoryShare: 0.7 } }).success).toBe(false);
    expect(settingsSchema.safeParse({ ...DEFAULT_SETTINGS, advisor: { vcpuPerThread: 0.8, memoryShare: 3 } }).success).toBe(false);
    expect(settingsSchema.safeParse(DEFAULT_SETTINGS).success).toBe(true);
  });
});
