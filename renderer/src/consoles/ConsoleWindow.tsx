import { useEffect, useState } from 'react';
import { Alert, Badge, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { DomainDetails } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi, useConnectionState } from '../api/api-context';
import { useFleet } from '../fleet/use-fleet';
import { useHosts } from '../hosts/use-hosts';
import { DomainStateBadge } from '../fleet/DomainStateBadge';
import type { ConsoleWindowRoute } from './console-window-route';
import { GraphicsConsole } from './GraphicsConsole';
import { SerialConsole, serialDeviceOptions } from './SerialConsole';
import { SpiceConsole } from './spice/SpiceConsole';

/**
 * One console in a window of its own (opened from the VM page). It talks to main like the main window
 * does, with its own streams: closing this window closes only its console.
 */
export function ConsoleWindow({ route }: { route: ConsoleWindowRoute }) {
  const { t } = useTranslation();
  const api = useApi();
  const connection = useConnectionState();
  const hostsState = useHosts();
  const fleet = useFleet();
  const host = hostsState.status === 'ready' ? hostsState.hosts.find((h) => h.id === route.hostId) : undefined;
  const domain = fleet.domains.find((d) => d.hostId === route.hostId && d.uuid === route.domainUuid);
  const [details, setDetails] = useState<DomainDetails | null>(null);
  const [detailsError, setDetailsError] = useState<string | null>(null);
  const name = domain?.name ?? route.domainUuid;

  useEffect(() => {
    document.title = t('domain.console.windowTitle', { name, host: host?.displayName ?? route.hostId });
  }, [t, name, host?.displayName, route.hostId]);

  useEffect(() => {
    let live = true;
    api.call('domain.details', { hostId: route.hostId, uuid: route.domainUuid, inactive: false }).then(
      (value) => live && setDetails(value),
      (error: unknown) => live && setDetailsError(errorMessage(error)),
    );
    return () => {
      live = false;
    };
  }, [api, route]);

  return (
    <Stack gap="sm" p="md">
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={2} size="h4">
            {name}
          </Title>
          {domain && <DomainStateBadge state={domain.state} />}
          <Text size="sm" c="dimmed">
            {host?.displayName ?? route.hostId}
          </Text>
        </Group>
        <Badge variant="dot" color={connection === 'connected' ? 'teal' : 'red'} data-testid="connection-state">
          {t(`app.connection.${connection}`)}
        </Badge>
      </Group>
      {!details && !detailsError ? (
        <Loader size="sm" />
      ) : route.kind === 'graphics' && details?.graphics[route.channel]?.type === 'spice' ? (
        <SpiceConsole hostId={route.hostId} domainUuid={route.domainUuid} channel={route.channel} detached />
      ) : route.kind === 'graphics' ? (
        <GraphicsConsole hostId={route.hostId} domainUuid={route.domainUuid} channel={route.channel} detached />
      ) : (
        <SerialConsole
          hostId={route.hostId}
          domainUuid={route.domainUuid}
          devices={serialDeviceOptions(details?.consoles ?? [], t)}
          initialDevice={route.device}
          detached
        />
      )}
      {detailsError && <Alert color="gray">{detailsError}</Alert>}
    </Stack>
  );
}
