import { useEffect, useState } from 'react';
import { ActionIcon, Menu, useMantineColorScheme, type MantineColorScheme } from '@mantine/core';
import { IconCheck, IconSettings } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AdvisorThresholds, AppSettings } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { LANGUAGES, setLanguage } from '../i18n';
import { AdvisorThresholdsDialog } from './AdvisorThresholdsDialog';
import { MetricsExportDialog } from '../metrics-export/MetricsExportDialog';

const SCHEMES: MantineColorScheme[] = ['auto', 'light', 'dark'];
const INTERVALS_MS = [1_000, 2_000, 5_000, 10_000];

/** Language, colour scheme, stats interval and the advisor's thresholds, from the header. */
export function AppSettingsMenu() {
  const { t, i18n } = useTranslation();
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const api = useApi();
  const [settings, setSettings] = useState<AppSettings | null>(null);
  useEffect(() => {
    api.call('settings.get', null).then(setSettings, () => undefined);
  }, [api]);
  const [editingAdvisor, setEditingAdvisor] = useState(false);
  const [exportOpen, setExportOpen] = useState(false);
  const check = (on: boolean) => (on ? <IconCheck size={16} aria-hidden /> : <span style={{ width: 16 }} />);
  const save = (change: Partial<AppSettings>) => {
    if (settings) api.call('settings.set', { ...settings, ...change }).then(setSettings, () => undefined);
  };
  const saveAdvisor = (advisor: AdvisorThresholds) => {
    setEditingAdvisor(false);
    save({ advisor });
  };

  return (
    <>
      {editingAdvisor && settings && (
        <AdvisorThresholdsDialog
          value={settings.advisor}
          onCancel={() => setEditingAdvisor(false)}
          onSave={saveAdvisor}
        />
      )}
      <MetricsExportDialog opened={exportOpen} onClose={() => setExportOpen(false)} />
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <ActionIcon
            variant="subtle"
            size="lg"
            aria-label={`${t('app.language')} / ${t('app.colorScheme.label')}`}
          >
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
            <Menu.Item
              key={scheme}
              leftSection={check(colorScheme === scheme)}
              onClick={() => setColorScheme(scheme)}
            >
              {t(`app.colorScheme.${scheme}`)}
            </Menu.Item>
          ))}
          <Menu.Divider />
          <Menu.Label>{t('app.statsInterval.label')}</Menu.Label>
          {INTERVALS_MS.map((ms) => (
            <Menu.Item
              key={ms}
              leftSection={check(settings?.statsIntervalMs === ms)}
              onClick={() => save({ statsIntervalMs: ms })}
            >
              {t('app.statsInterval.value', { seconds: ms / 1000 })}
            </Menu.Item>
          ))}
          <Menu.Divider />
          <Menu.Label>{t('app.advisor.label')}</Menu.Label>
          {settings && (
            <>
              <Menu.Item disabled data-testid="advisor-vcpu-threshold">
                {t('app.advisor.vcpu', { ratio: settings.advisor.vcpuPerThread })}
              </Menu.Item>
              <Menu.Item disabled data-testid="advisor-memory-threshold">
                {t('app.advisor.memory', { percent: Math.round(settings.advisor.memoryShare * 100) })}
              </Menu.Item>
            </>
          )}
          <Menu.Item onClick={() => setEditingAdvisor(true)} disabled={!settings}>
            {t('app.advisor.edit')}
          </Menu.Item>
          <Menu.Divider />
          <Menu.Item onClick={() => setExportOpen(true)}>{t('metricsExport.menu')}</Menu.Item>
        </Menu.Dropdown>
      </Menu>
    </>
  );
}
