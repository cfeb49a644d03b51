import { useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Loader,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { IconPlayerPause, IconPlayerPlay, IconPower, IconRefresh } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { DomainDetails, FleetDomain, HostEntry } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { ConfirmActionDialog } from '../fleet/ConfirmActionDialog';
import { DomainStateBadge } from '../fleet/DomainStateBadge';
import { actionApplies } from '../fleet/domain-actions';
import { formatMemory } from '../format';
import { useDomainActions } from '../fleet/use-domain-actions';
import { GraphicsConsole } from '../consoles/GraphicsConsole';
import { LazyDomainXmlTab } from '../domain-xml/LazyDomainXmlTab';
import { MetricsHistoryPanel } from '../metrics-history/MetricsHistoryPanel';
import { SpiceConsole } from '../consoles/spice/SpiceConsole';
import { SerialConsole, serialDeviceOptions } from '../consoles/SerialConsole';
import { AdvisorPanel } from '../domain-tuning/AdvisorPanel';
import { TuningPanel } from '../domain-tuning/TuningPanel';
import { DomainCloneButtons } from '../domain-clone/DomainCloneEntries';
import { MigrateButton } from '../migration/MigrationEntries';
import { DomainMediaCard } from '../domain-media/DomainMediaCard';
import { SnapshotsPanel } from '../domain-snapshots/SnapshotsPanel';
import { HardwarePanel } from '../domain-hardware/HardwarePanel';
import { GuestAgentPanel } from '../guest-agent/GuestAgentPanel';
import { BackupsPanel } from '../domain-backups/BackupsPanel';


/**
 * One guest: its state and quick actions, live charts and the devices from its domain XML. The page is
 * organised in tabs; consoles and the XML editor join the overview as they are built.
 */
export function DomainPage({ host, domain, initialTab }: { host: HostEntry; domain: FleetDomain; initialTab?: 'serial' | 'graphics' }) {
  const { t } = useTranslation();
  const api = useApi();
  const actions = useDomainActions();
  const [details, setDetails] = useState<DomainDetails | null>(null);
  const [detailsError, setDetailsError] = useState<string | null>(null);
  const running = domain.state !== 'shutoff' && domain.state !== 'crashed';

  useEffect(() => {
    let live = true;
    // A running guest shows what it runs with (live XML); a stopped one its definition.
    api.call('domain.details', { hostId: host.id, uuid: domain.uuid, inactive: !running }).then(
      (value) => live && (setDetails(value), setDetailsError(null)),
      (error: unknown) =>
        live && setDetailsError(errorMessage(error)),
    );
    return () => {
      live = false;
    };
  }, [api, host.id, domain.uuid, running]);

  const quick = useMemo(
    () =>
      (
        [
          ['start', IconPlayerPlay],
          ['shutdown', IconPower],
          ['reboot', IconRefresh],
          ['suspend', IconPlayerPause],
          ['resume', IconPlayerPlay],
        ] as const
      ).filter(([action]) => actionApplies(action, domain)),
    [domain],
  );

  const vncChannel = details?.graphics.findIndex((graphics) => graphics.type === 'vnc') ?? -1;
  const spiceChannel = details?.graphics.findIndex((graphics) => graphics.type === 'spice') ?? -1;
  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Group gap="sm">
            <Title order={2}>{domain.name}</Title>
            <DomainStateBadge state={domain.state} />
          </Group>
          <Text size="sm" c="dimmed">
            {t('domain.onHost', { host: host.displayName })}
            {details?.title ? ` · ${details.title}` : ''}
          </Text>
        </Stack>
        <Group gap="xs">
          {quick.map(([action, Icon]) => (
            <Button
              key={action}
              size="xs"
              variant="light"
              leftSection={<Icon size={14} />}
              onClick={() => actions.request(action, [domain])}
            >
              {t(`actions.names.${action}`)}
            </Button>
          ))}
          <DomainCloneButtons domain={domain} />
          <MigrateButton domain={domain} />
        </Group>
      </Group>
      <ConfirmActionDialog
        pending={actions.confirming}
        onCancel={actions.cancel}
        onConfirm={actions.confirm}
      />
      <Tabs defaultValue={initialTab ?? 'overview'} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="overview">{t('domain.tabs.overview')}</Tabs.Tab>
          <Tabs.Tab value="serial">{t('domain.tabs.serial')}</Tabs.Tab>
          <Tabs.Tab value="graphics">{t('domain.tabs.graphics')}</Tabs.Tab>
          <Tabs.Tab value="xml">{t('domainXml.tab')}</Tabs.Tab>
          <Tabs.Tab value="tuning">{t('domainTuning.tabs.tuning')}</Tabs.Tab>
          <Tabs.Tab value="advisor">{t('domainTuning.tabs.advisor')}</Tabs.Tab>
          <Tabs.Tab value="snapshots">{t('domainSnapshots.tab')}</Tabs.Tab>
          <Tabs.Tab value="hardware">{t('domainHardware.tab')}</Tabs.Tab>
          <Tabs.Tab value="guest-agent">{t('guestAgent.tab')}</Tabs.Tab>
          <Tabs.Tab value="backups">{t('domainBackups.tab')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="backups" pt="md">
          <BackupsPanel key={`${host.id}/${domain.uuid}`} hostId={host.id} uuid={domain.uuid} state={domain.state} />
        </Tabs.Panel>
        <Tabs.Panel value="tuning" pt="md">
          <TuningPanel key={`${host.id}/${domain.uuid}`} hostId={host.id} uuid={domain.uuid} running={running} />
        </Tabs.Panel>
        <Tabs.Panel value="hardware" pt="md">
          <HardwarePanel key={`${host.id}/${domain.uuid}`} hostId={host.id} uuid={domain.uuid} running={running} />
        </Tabs.Panel>
        <Tabs.Panel value="advisor" pt="md">
          <AdvisorPanel key={`${host.id}/${domain.uuid}`} hostId={host.id} uuid={domain.uuid} running={running} />
        </Tabs.Panel>
        <Tabs.Panel value="snapshots" pt="md">
          <SnapshotsPanel key={`${host.id}/${domain.uuid}`} hostId={host.id} uuid={domain.uuid} domainState={domain.state} />
        </Tabs.Panel>
        <Tabs.Panel value="guest-agent" pt="md">
          <GuestAgentPanel key={`${host.id}/${domain.uuid}`} hostId={host.id} uuid={domain.uuid} name={domain.name} running={running} />
        </Tabs.Panel>
        <Tabs.Panel value="xml" pt="md">
          <LazyDomainXmlTab key={`${host.id}/${domain.uuid}`} hostId={host.id} uuid={domain.uuid} running={running} />
        </Tabs.Panel>
        <Tabs.Panel value="graphics" pt="md">
          {!running ? (
            <Alert color="gray">{t('domain.serial.notRunning')}</Alert>
          ) : !details ? (
            <Loader size="sm" />
          ) : vncChannel < 0 && spiceChannel >= 0 ? (
            <SpiceConsole
              key={`${host.id}/${domain.uuid}/${spiceChannel}`}
              hostId={host.id}
              domainUuid={domain.uuid}
              channel={spiceChannel}
            />
          ) : vncChannel < 0 ? (
            <Alert color="gray">{t('domain.graphicsConsole.noVnc')}</Alert>
          ) : (
            <GraphicsConsole
              key={`${host.id}/${domain.uuid}/${vncChannel}`}
              hostId={host.id}
              domainUuid={domain.uuid}
              channel={vncChannel}
            />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="serial" pt="md">
          {running && !details && !detailsError ? (
            <Loader size="sm" />
          ) : running ? (
            <SerialConsole
              key={`${host.id}/${domain.uuid}`}
              hostId={host.id}
              domainUuid={domain.uuid}
              devices={serialDeviceOptions(details?.consoles ?? [], t)}
            />
          ) : (
            <Alert color="gray">{t('domain.serial.notRunning')}</Alert>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="overview" pt="md">
          <Stack gap="md">
            <MetricsHistoryPanel entity={{ kind: 'vm', hostId: host.id, uuid: domain.uuid }} memoryMaxKiB={domain.maxMemoryKiB || undefined} />
            {detailsError && <Alert color="red">{detailsError}</Alert>}
            {!details && !detailsError && <Loader size="sm" />}
            {details && <DomainDevices details={details} />}
            <DomainMediaCard key={`${host.id}/${domain.uuid}`} hostId={host.id} uuid={domain.uuid} running={running} />
          </Stack>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function DomainDevices({ details }: { details: DomainDetails }) {
  const { t } = useTranslation();
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <Card withBorder data-testid="domain-summary">
        <Title order={3} size="h5" mb="xs">
          {t('domain.summary.title')}
        </Title>
        <Table variant="vertical" withRowBorders={false} verticalSpacing={4}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={160}>{t('domain.summary.vcpus')}</Table.Th>
              <Table.Td>
                {t('domain.summary.vcpusValue', { current: details.vcpus.current, max: details.vcpus.max })}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>{t('domain.summary.memory')}</Table.Th>
              <Table.Td>
                {formatMemory(details.memoryKiB.current)} / {formatMemory(details.memoryKiB.max)}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>{t('domain.summary.machine')}</Table.Th>
              <Table.Td>
                {details.virtType} · {details.arch ?? '–'} · {details.machine ?? '–'}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>{t('domain.summary.cpuMode')}</Table.Th>
              <Table.Td>{details.cpuMode ?? '–'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>{t('domain.summary.firmware')}</Table.Th>
              <Table.Td>{details.firmware ?? 'BIOS'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>{t('domain.summary.uuid')}</Table.Th>
              <Table.Td ff="monospace">{details.uuid}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
        {details.description && (
          <Text size="sm" c="dimmed" mt="xs">
            {details.description}
          </Text>
        )}
      </Card>
      <Card withBorder data-testid="domain-graphics">
        <Title order={3} size="h5" mb="xs">
          {t('domain.graphics.title')}
        </Title>
        {details.graphics.length === 0 && <Text size="sm">{t('domain.graphics.none')}</Text>}
        {details.graphics.map((graphics, index) => (
          <Group key={index} gap="xs">
            <Badge variant="light">{graphics.type.toUpperCase()}</Badge>
            <Text size="sm" ff="monospace">
              {graphics.listen.type === 'address'
                ? `${graphics.listen.address}:${graphics.listen.port ?? t('domain.graphics.autoport')}`
                : graphics.listen.type === 'socket'
                  ? graphics.listen.path
                  : t('domain.graphics.noListen')}
            </Text>
            {graphics.hasPassword && <Badge color="gray">{t('domain.graphics.password')}</Badge>}
          </Group>
        ))}
        <Text size="sm" mt="sm" c="dimmed">
          {t('domain.consoles', { count: details.consoles.length })}
          {details.guestAgentChannel ? ` · ${t('domain.agent')}` : ''}
        </Text>
      </Card>
      <Card withBorder data-testid="domain-disks">
        <Title order={3} size="h5" mb="xs">
          {t('domain.disks.title')}
        </Title>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('domain.disks.target')}</Table.Th>
              <Table.Th>{t('domain.disks.source')}</Table.Th>
              <Table.Th>{t('domain.disks.driver')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {details.disks.map((disk) => (
              <Table.Tr key={disk.target}>
                <Table.Td>
                  {disk.target}{' '}
                  <Text span c="dimmed" size="xs">
                    {disk.device}/{disk.bus ?? '–'}
                  </Text>
                </Table.Td>
                <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {disk.source ?? '–'}
                </Table.Td>
                <Table.Td>
                  {[
                    disk.format,
                    disk.cache && `cache=${disk.cache}`,
                    disk.io && `io=${disk.io}`,
                    disk.readonly && 'ro',
                  ]
                    .filter(Boolean)
                    .join(' ')}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Card>
      <Card withBorder data-testid="domain-nics">
        <Title order={3} size="h5" mb="xs">
          {t('domain.nics.title')}
        </Title>
        {details.interfaces.length === 0 && <Text size="sm">{t('domain.nics.none')}</Text>}
        {details.interfaces.length > 0 && (
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>MAC</Table.Th>
                <Table.Th>{t('domain.nics.source')}</Table.Th>
                <Table.Th>{t('domain.nics.model')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {details.interfaces.map((nic, index) => (
                <Table.Tr key={nic.mac ?? index}>
                  <Table.Td ff="monospace">{nic.mac ?? '–'}</Table.Td>
                  <Table.Td>
                    {nic.type}: {nic.source ?? '–'}
                  </Table.Td>
                  <Table.Td>{nic.model ?? '–'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
    </SimpleGrid>
  );
}
