import { ActionIcon, Menu, useMantineColorScheme, type MantineColorScheme } from '@mantine/core';
import { IconCheck, IconSettings } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage } from '../i18n';

const SCHEMES: MantineColorScheme[] = ['auto', 'light', 'dark'];

/** Language and colour scheme, from the header. */
export function AppSettingsMenu() {
  const { t, i18n } = useTranslation();
  const { colorScheme, setColorScheme } = useMantineColorScheme();
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
      </Menu.Dropdown>
    </Menu>
  );
}
