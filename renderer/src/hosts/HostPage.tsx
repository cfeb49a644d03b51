import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  Loader,
  SimpleGrid,
  Spoiler,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { HostCheck, HostEntry, HostOverview, HostStatus } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { HostAlertBadge } from '../alerts/TargetAlertBadge';
import { MetricsHistoryPanel } from '../metrics-history/MetricsHistoryPanel';
import { EMPTY_FILTER, fleetItems, type FleetSort } from '../fleet/fleet-query';
import { FleetTable } from '../fleet/FleetTable';
import { formatMemory } from '../format';
import { useFleet } from '../fleet/use-fleet';
import { HostStatusBadge } from './HostStatusBadge';
import { HostConfigSection } from '../host-config/HostConfigSection';
import { NewVmButton, type OpenDomain } from '../new-vm/NewVmButton';
import { DevicesTab } from '../host-devices/DevicesTab';
import { NetworksTab } from '../networks/NetworksTab';
import { StorageSection } from '../storage';
import { DiskIoPanel } from '../host-io/DiskIoPanel';
import { BenchmarkPanel } from '../storage-benchmark/BenchmarkPanel';

const CHECK_COLORS = { ok: 'teal', info: 'blue', warn: 'yellow', fail: 'red' } as const;


function useHostData<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string | null; reload(): void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && (setData(value), setError(null)),
      (failure: unknown) => live && setError(errorMessage(failure)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  return { data, error, reload: useCallback(() => setGeneration((g) => g + 1), []) };
}

/** One host: node info, live charts, versions, storage, checks and its guests. */
export function HostPage({
  host,
  status,
  onOpenDomain,
}: {
  host: HostEntry;
  status: HostStatus | undefined;
  onOpenDomain: OpenDomain;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const connected = status?.state.kind === 'connected';
  const overview = useHostData<HostOverview>(() => api.call('host.overview', { hostId: host.id }), [api, host.id, connected]);
  const checks = useHostData<HostCheck[]>(() => api.call('host.checks', { hostId: host.id }), [api, host.id, connected]);
  const fleet = useFleet();
  const [sort, setSort] = useState<FleetSort>({ key: 'name', descending: false });
  const [selection, setSelection] = useState<Set<string>>(new Set());

  const items = useMemo(
    () =>
      fleetItems(fleet.domains, new Map([[host.id, host]]), { ...EMPTY_FILTER, hostIds: [host.id] }, sort, false),
    [fleet.domains, host, sort],
  );

  const node = overview.data?.node;
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={2}>{host.displayName}</Title>
          <HostStatusBadge status={status} />
          <HostAlertBadge hostId={host.id} />
          {connected && <NewVmButton hosts={[host]} hostId={host.id} onOpenDomain={onOpenDomain} />}
        </Group>
        {overview.data && (
          <Text size="sm" c="dimmed" data-testid="host-versions">
            {t('host.versions', {
              hostname: overview.data.hostname,
              libvirt: overview.data.libvirtVersion,
              qemu: overview.data.hypervisorVersion,
            })}
          </Text>
        )}
      </Group>
      {!connected && <Alert color="gray">{t('host.notConnected')}</Alert>}
      {overview.error && connected && (
        <Alert color="red" title={t('errors.title')}>
          {overview.error}
        </Alert>
      )}
      {connected && !overview.data && !overview.error && <Loader aria-label={t('app.connection.connecting')} />}
      {/* Overview (the page as it was), Networks and Devices (their own folders). */}
      <Tabs defaultValue="overview" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="overview">{t('host.tabs.overview')}</Tabs.Tab>
          <Tabs.Tab value="storage" disabled={!connected}>
            {t('host.tabs.storage')}
          </Tabs.Tab>
          <Tabs.Tab value="networks" disabled={!connected}>
            {t('host.tabs.networks')}
          </Tabs.Tab>
          <Tabs.Tab value="devices" disabled={!connected}>
            {t('host.tabs.devices')}
          </Tabs.Tab>
          <Tabs.Tab value="disk-io" disabled={!connected}>
            {t('hostIo.tab')}
          </Tabs.Tab>
          <Tabs.Tab value="benchmark" disabled={!connected}>
            {t('storageBenchmark.tab')}
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="storage">
          <StorageSection hostId={host.id} connected={connected} />
        </Tabs.Panel>
        <Tabs.Panel value="networks">{connected && <NetworksTab hostId={host.id} />}</Tabs.Panel>
        <Tabs.Panel value="devices">{connected && <DevicesTab hostId={host.id} />}</Tabs.Panel>
        <Tabs.Panel value="disk-io">{connected && <DiskIoPanel hostId={host.id} />}</Tabs.Panel>
        <Tabs.Panel value="benchmark">{connected && <BenchmarkPanel hostId={host.id} />}</Tabs.Panel>
        <Tabs.Panel value="overview">
      <Stack gap="md">
      {node && overview.data && (
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          <Card withBorder data-testid="host-node-info">
            <Title order={3} size="h5" mb="xs">
              {t('host.node.title')}
            </Title>
            <Table variant="vertical" withRowBorders={false} verticalSpacing={4}>
              <Table.Tbody>
                <Table.Tr>
                  <Table.Th>{t('host.node.cpuModel')}</Table.Th>
                  <Table.Td>{node.cpuModel}</Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>{t('host.node.cpus')}</Table.Th>
                  <Table.Td>
                    {t('host.node.topology', { cpus: node.cpus, sockets: node.sockets, cores: node.cores, threads: node.threads })}
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>{t('host.node.numa')}</Table.Th>
                  <Table.Td>{node.numaNodes}</Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>{t('host.node.memory')}</Table.Th>
                  <Table.Td>{formatMemory(node.memoryKiB)}</Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>{t('host.node.arch')}</Table.Th>
                  <Table.Td>
                    {overview.data.capabilities.arch} · {overview.data.capabilities.domainTypes.join(', ')}
                  </Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
          </Card>
        </SimpleGrid>
      )}
      <MetricsHistoryPanel entity={{ kind: 'host', hostId: host.id }} memoryMaxKiB={node?.memoryKiB} />
      <HostConfigSection host={host} />
      {connected && (
        <Card withBorder data-testid="host-checks">
          <Group justify="space-between" mb="xs">
            <Title order={3} size="h5">
              {t('host.checks.title')}
            </Title>
            <Button size="xs" variant="default" leftSection={<IconRefresh size={14} />} onClick={checks.reload}>
              {t('host.checks.rerun')}
            </Button>
          </Group>
          {checks.error && <Alert color="red">{checks.error}</Alert>}
          <Stack gap="xs">
            {(checks.data ?? []).map((check) => (
              <div key={check.id} data-testid={`host-check-${check.id}`}>
                <Group gap="sm" wrap="nowrap" align="flex-start">
                  <Badge color={CHECK_COLORS[check.status]} miw={84} variant="light" style={{ flexShrink: 0 }}>
                    {t(`host.checks.status.${check.status}`)}
                  </Badge>
                  <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
                    <Text size="sm" fw={500}>
                      {t(`host.checks.${check.id}.title`)}
                    </Text>
                    <Text size="sm">{t(`host.checks.${check.id}.${check.variant}` as never, check.values)}</Text>
                    <Spoiler maxHeight={0} showLabel={t('host.checks.evidence')} hideLabel={t('host.checks.hideEvidence')}>
                      <Code block>{check.evidence}</Code>
                    </Spoiler>
                  </Stack>
                </Group>
              </div>
            ))}
          </Stack>
        </Card>
      )}
      <Title order={3} size="h4">
        {t('host.guests')}
      </Title>
      <div style={{ height: Math.min(480, 42 + items.length * 40) }}>
        <FleetTable
          items={items}
          sort={sort}
          onSortChange={setSort}
          selection={selection}
          onSelectionChange={setSelection}
          cpuHistory={fleet.cpuHistory}
          onOpen={onOpenDomain}
          onContextMenu={() => undefined}
        />
      </div>
      </Stack>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
