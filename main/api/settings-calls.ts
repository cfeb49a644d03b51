import type { SettingsCalls } from '../../preload/api-contract';
import { settingsSchema } from '../services/settings/settings-store';
import type { CallHandlerDeps } from './api-deps';
import type { AreaCallHandlers } from './api-router';
import { noRequest } from './request-schemas';

export function createSettingsCalls({ settings, fleet }: CallHandlerDeps): AreaCallHandlers<SettingsCalls> {
  return {
    'settings.get': { request: noRequest, handle: () => settings.get() },
    'settings.set': {
      request: settingsSchema,
      handle: async (value) => {
        const saved = await settings.set(value);
        fleet.setTickMs(saved.statsIntervalMs);
        return saved;
      },
    },
  };
}
