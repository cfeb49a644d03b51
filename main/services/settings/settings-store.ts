import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { AppSettings } from '../../../preload/api-contract';
import { writeFileAtomic } from '../../platform/atomic-file';

export const DEFAULT_SETTINGS: AppSettings = { statsIntervalMs: 2_000, advisor: { vcpuPerThread: 0.8, memoryShare: 0.7 } };

const advisorSchema = z.object({
  vcpuPerThread: z.number().min(0.1).max(16),
  memoryShare: z.number().min(0.01).max(2),
});

/** What settings.set accepts: every setting. */
export const settingsSchema: z.ZodType<AppSettings> = z.object({
  statsIntervalMs: z.number().int().min(1_000).max(60_000),
  advisor: advisorSchema,
});

/** What settings.json may hold: a file from an older version lacks the settings added since (their defaults). */
const storedSettingsSchema: z.ZodType<AppSettings, unknown> = z.object({
  statsIntervalMs: z.number().int().min(1_000).max(60_000),
  advisor: advisorSchema.default(DEFAULT_SETTINGS.advisor),
});

/** App settings in settings.json beside hosts.json; a missing or broken file means the defaults. */
export class SettingsStore {
  private current: AppSettings | null = null;

  constructor(private readonly configDir: string) {}

  async get(): Promise<AppSettings> {
    if (this.current) return this.current;
    try {
      const parsed = storedSettingsSchema.safeParse(JSON.parse(await readFile(join(this.configDir, 'settings.json'), 'utf8')));
      this.current = parsed.success ? parsed.data : DEFAULT_SETTINGS;
    } catch {
      this.current = DEFAULT_SETTINGS;
    }
    return this.current;
  }

  async set(settings: AppSettings): Promise<AppSettings> {
    await writeFileAtomic(join(this.configDir, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
    this.current = settings;
    return settings;
  }
}
