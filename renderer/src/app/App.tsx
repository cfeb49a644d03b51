import { useEffect, useMemo, useState, type ComponentProps } from 'react';
import { AppShell, Badge, Group, Loader, NavLink, Text, Title, Tooltip } from '@mantine/core';
import { IconLayoutList, IconServer2 } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useApi, useConnectionState } from '../api/api-context';
import type { FleetDomain, HostEntry } from '../../../preload/api-contract';
import { DomainCloneDialogs } from '../domain-clone/DomainCloneDialogs';
import { MigrationDialogs } from '../migration/MigrationDialogs';
import { DomainPage } from '../domains/DomainPage';
import { FleetPage } from '../fleet/FleetPage';
import { useFleet } from '../fleet/use-fleet';
import { HostPage } from '../hosts/HostPage';
import { HostPromptDialog } from '../hosts/HostPromptDialog';
import { useHostStatuses } from '../hosts/use-host-statuses';
import { HostsPage } from '../hosts/HostsPage';
import { useHosts } from '../hosts/use-hosts';
import { AppSettingsMenu } from './AppSettingsMenu';
import { AlertCentre } from '../alerts/AlertCentre';
import { AlertNotifier } from '../alerts/AlertNotifier';
import { AlertsNavLink } from '../alerts/AlertsNavLink';
import { HostAlertBadge } from '../alerts/TargetAlertBadge';

type Page =
  | { kind: 'fleet' }
  | { kind: 'hosts' }
  | { kind: 'alerts' }
  | { kind: 'host'; hostId: string }
  | { kind: 'domain'; hostId: string; uuid: string; tab?: 'serial' | 'graphics' };

const CONNECTION_COLORS = { connected: 'teal', connecting: 'yellow', disconnected: 'red' } as const;

export function App() {
  const { t } = useTranslation();
  const api = useApi();
  const connection = useConnectionState();
  const hostsState = useHosts();
  const hosts = useMemo(() => (hostsState.status === 'ready' ? hostsState.hosts : []), [hostsState]);
  const hostMap = useMemo(() => new Map(hosts.map((host) => [host.id, host])), [hosts]);
  const statuses = useHostStatuses();
  const [chosenPage, setPage] = useState<Page | null>(null);
  // The first page, decided once when the hosts have loaded: the fleet when there are hosts, the
  // "add a host" state when there are none. After that only the user navigates.
  useEffect(() => {
    if (chosenPage === null && hostsState.status === 'ready') {
      setPage({ kind: hostsState.hosts.length > 0 ? 'fleet' : 'hosts' });
    }
  }, [chosenPage, hostsState]);
  const page: Page = chosenPage ?? { kind: hosts.length > 0 ? 'fleet' : 'hosts' };
  const openHost = (hostId: string) => setPage({ kind: 'host', hostId });
  const openDomain = (domain: FleetDomain, tab?: 'serial' | 'graphics') =>
    setPage({ kind: 'domain', hostId: domain.hostId, uuid: domain.uuid, ...(tab ? { tab } : {}) });
  const pageHost = page.kind === 'host' || page.kind === 'domain' ? hostMap.get(page.hostId) : undefined;

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
          <NavLink
            label={t('app.nav.fleet')}
            leftSection={<IconLayoutList size={18} />}
            active={page.kind === 'fleet'}
            aria-current={page.kind === 'fleet' ? 'page' : undefined}
            onClick={() => setPage({ kind: 'fleet' })}
          />
          <NavLink
            label={t('app.nav.hosts')}
            leftSection={<IconServer2 size={18} />}
            active={page.kind === 'hosts'}
            aria-current={page.kind === 'hosts' ? 'page' : undefined}
            onClick={() => setPage({ kind: 'hosts' })}
          />
          <AlertsNavLink active={page.kind === 'alerts'} onClick={() => setPage({ kind: 'alerts' })} />
          {hosts.map((host) => (
            <NavLink
              key={host.id}
              pl="xl"
              rightSection={<HostAlertBadge hostId={host.id} />}
              label={host.displayName}
              active={page.kind === 'host' && page.hostId === host.id}
              aria-current={page.kind === 'host' && page.hostId === host.id ? 'page' : undefined}
              onClick={() => openHost(host.id)}
            />
          ))}
        </nav>
      </AppShell.Navbar>
      <AppShell.Main>
        {/* Until the hosts have loaded it is not known which first page fits: show none rather than flash one. */}
        {chosenPage === null && hostsState.status === 'loading' && <Loader size="sm" aria-label={t('app.loading')} />}
        {page.kind === 'alerts' && (
          <AlertsRoute hosts={hosts} onOpen={(target) => (target.kind === 'host' ? openHost(target.hostId) : setPage({ kind: 'domain', hostId: target.hostId, uuid: target.uuid }))} />
        )}
        {page.kind === 'fleet' && <FleetPage hosts={hosts} onOpenDomain={openDomain} />}
        {page.kind === 'hosts' && (chosenPage !== null || hostsState.status !== 'loading') && (
          <HostsPage onOpenHost={openHost} />
        )}
        {page.kind === 'host' && pageHost && (
          <HostPage host={pageHost} status={statuses.get(pageHost.id)} onOpenDomain={openDomain} />
        )}
        {page.kind === 'domain' && (
          <DomainRoute key={`${page.hostId}/${page.uuid}/${page.tab ?? ''}`} host={pageHost} hostId={page.hostId} uuid={page.uuid} tab={page.tab} />
        )}
      </AppShell.Main>
      <HostPromptDialog hosts={hostMap} />
      <DomainCloneDialogs />
      <AlertNotifier onOpen={(target) => (target.kind === 'host' ? openHost(target.hostId) : setPage({ kind: 'domain', hostId: target.hostId, uuid: target.uuid }))} />
      <MigrationDialogs />
    </AppShell>
  );
}

/**
 * A VM's page, with the guest's live row. The fleet is read here and on the pages that show it, not in
 * App: App's subscription rendered the whole shell (a link per host) on every stats tick, and made the
 * fleet page's update work twice.
 */
function DomainRoute({
  host,
  hostId,
  uuid,
  tab,
}: {
  host: HostEntry | undefined;
  hostId: string;
  uuid: string;
  tab: 'serial' | 'graphics' | undefined;
}) {
  const { t } = useTranslation();
  const fleet = useFleet();
  const domain = fleet.domains.find((d) => d.hostId === hostId && d.uuid === uuid);
  if (host && domain) return <DomainPage host={host} domain={domain} initialTab={tab} />;
  return fleet.loaded && !domain ? <Text>{t('domain.gone')}</Text> : null;
}

/** The alert centre, with the fleet's guests (see DomainRoute). */
function AlertsRoute({ hosts, onOpen }: { hosts: HostEntry[]; onOpen: ComponentProps<typeof AlertCentre>['onOpen'] }) {
  const fleet = useFleet();
  return <AlertCentre hosts={hosts} domains={fleet.domains} onOpen={onOpen} />;
}
