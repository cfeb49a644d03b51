import { useEffect, useState } from 'react';
import { ActionIcon, Menu, useMantineColorScheme, type MantineColorScheme } from '@mantine/core';
import { IconCheck, IconSettings } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppSettings } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { LANGUAGES, setLanguage } from '../i18n';

const SCHEMES: MantineColorScheme[] = ['auto', 'light', 'dark'];
const INTERVALS_MS = [1_000, 2_000, 5_000, 10_000];

/** Language and colour scheme, from the header. */
export function AppSettingsMenu() {
  const { t, i18n } = useTranslation();
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const api = useApi();
  const [settings, setSettings] = useState<AppSettings | null>(null);
  useEffect(() => {
    api.call('settings.get', null).then(setSettings, () => undefined);
  }, [api]);
  const check = (on: boolean) => (on ? <IconCheck size={16} aria-hidden /> : <span style={{ width: 16 }} />);

  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <ActionIcon variant="subtle" size="lg" aria-label={`${t('app.language')} / ${t('app.colorScheme.label')}`}>
          <IconSettings size={20} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('app.language')}</Menu.Label>
        {LANGUAGES.map((language) => (
          <Menu.Item
            key={language.code}
            lang={language.code}
            leftSection={check(i18n.language === language.code)}
            onClick={() => void setLanguage(language.code)}
          >
            {language.label}
          </Menu.Item>
        ))}
        <Menu.Divider />
        <Menu.Label>{t('app.colorScheme.label')}</Menu.Label>
        {SCHEMES.map((scheme) => (
          <Menu.Item key={scheme} leftSection={check(colorScheme === scheme)} onClick={() => setColorScheme(scheme)}>
            {t(`app.colorScheme.${scheme}`)}
          </Menu.Item>
        ))}
        <Menu.Divider />
        <Menu.Label>{t('app.statsInterval.label')}</Menu.Label>
        {INTERVALS_MS.map((ms) => (
          <Menu.Item
            key={ms}
            leftSection={check(settings?.statsIntervalMs === ms)}
            onClick={() => api.call('settings.set', { statsIntervalMs: ms }).then(setSettings, () => undefined)}
          >
            {t('app.statsInterval.value', { seconds: ms / 1000 })}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
