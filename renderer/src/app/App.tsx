import { AppShell, Badge, Group, NavLink, Text, Title, Tooltip } from '@mantine/core';
import { IconServer2 } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useApi, useConnectionState } from '../api/api-context';
import { HostsPage } from '../hosts/HostsPage';
import { AppSettingsMenu } from './AppSettingsMenu';

const CONNECTION_COLORS = { connected: 'teal', connecting: 'yellow', disconnected: 'red' } as const;

export function App() {
  const { t } = useTranslation();
  const api = useApi();
  const connection = useConnectionState();

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm' }} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <img src="./virtdeck.svg" width={28} height={28} alt="" />
            <Title order={1} size="h3">
              {t('app.name')}
            </Title>
            <Text size="sm" c="dimmed" visibleFrom="md">
              {t('app.tagline')}
            </Text>
          </Group>
          <Group gap="sm">
            <Tooltip label={api.transport === 'serve' ? t('app.connection.serveMode') : t('app.connection.desktop')}>
              <Badge
                variant="dot"
                color={CONNECTION_COLORS[connection]}
                role="status"
                aria-live="polite"
                data-testid="connection-state"
              >
                {t(`app.connection.${connection}`)}
              </Badge>
            </Tooltip>
            <AppSettingsMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={t('app.nav.label')}>
        <nav aria-label={t('app.nav.label')}>
          <NavLink label={t('app.nav.hosts')} leftSection={<IconServer2 size={18} />} active aria-current="page" />
        </nav>
      </AppShell.Navbar>
      <AppShell.Main>
        <HostsPage />
      </AppShell.Main>
    </AppShell>
  );
}
