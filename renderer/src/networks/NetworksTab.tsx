import { Fragment, useEffect, useState } from 'react';
import { ActionIcon, Alert, Badge, Button, Card, Group, List, Menu, Modal, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { IconChevronDown, IconChevronRight, IconDots, IconPlus, IconRefresh } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { HostInterfacesReport, NetworkSummary } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { CreateNetworkDialog } from './CreateNetworkDialog';
import { HostInterfacesCard } from './HostInterfacesCard';
import { NetworkDetailsPanel } from './NetworkDetailsPanel';
import { errorText, useLoaded } from './parts';

/** How often the list (and its DHCP lease counts) is read again while the tab is open. */
const POLL_MS = 5_000;

type Pending = { action: 'stop' | 'delete'; network: NetworkSummary } | null;

/** Host page → Networks: the host's virtual networks and, read-only, its own interfaces. */
export function NetworksTab({ hostId }: { hostId: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const [generation, setGeneration] = useState(0);
  const networks = useLoaded<NetworkSummary[]>(() => api.call('networks.list', { hostId }), [api, hostId, generation]);
  const interfaces = useLoaded<HostInterfacesReport>(() => api.call('networks.hostInterfaces', { hostId }), [api, hostId]);
  const [expanded, setExpanded] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [pending, setPending] = useState<Pending>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const refresh = () => setGeneration((g) => g + 1);

  useEffect(() => api.subscribe('networks.changed', (event) => event.hostId === hostId && setGeneration((g) => g + 1)), [api, hostId]);
  useEffect(() => {
    const timer = setInterval(() => setGeneration((g) => g + 1), POLL_MS);
    return () => clearInterval(timer);
  }, []);

  const run = async (work: () => Promise<unknown>) => {
    setActionError(null);
    setBusy(true);
    try {
      await work();
      refresh();
      return true;
    } catch (failure) {
      setActionError(errorText(failure));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const runningGuests = (network: NetworkSummary) => [...new Set(network.guests.filter((g) => g.running).map((g) => g.name))].sort();
  const stopOrDelete = (action: 'stop' | 'delete', network: NetworkSummary) => {
    // Destructive: always confirmed with the names (the network's, and the running guests' using it).
    setPending({ action, network });
  };
  const confirm = async () => {
    if (!pending) return;
    const { action, network } = pending;
    const confirmGuests = runningGuests(network);
    const ok = await run(() => api.call(action === 'stop' ? 'networks.stop' : 'networks.delete', { hostId, name: network.name, confirmGuests }));
    if (ok) setPending(null);
  };

  const list = networks.data ?? [];
  return (
    <Stack gap="md">
      <Card withBorder>
        <Group justify="space-between" mb="xs">
          <Title order={3} size="h5">
            {t('networks.title')}
          </Title>
          <Group gap="xs">
            <Button size="xs" variant="default" leftSection={<IconRefresh size={14} />} onClick={refresh}>
              {t('networks.refresh')}
            </Button>
            <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => setCreating(true)}>
              {t('networks.create.open')}
            </Button>
          </Group>
        </Group>
        {networks.error && <Alert color="red">{networks.error}</Alert>}
        {actionError && (
          <Alert color="red" role="alert" title={t('errors.title')} withCloseButton onClose={() => setActionError(null)} mb="xs">
            {actionError}
          </Alert>
        )}
        <Table aria-label={t('networks.title')} data-testid="networks-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={28} />
              <Table.Th>{t('networks.columns.name')}</Table.Th>
              <Table.Th>{t('networks.columns.state')}</Table.Th>
              <Table.Th>{t('networks.columns.autostart')}</Table.Th>
              <Table.Th>{t('networks.columns.mode')}</Table.Th>
              <Table.Th>{t('networks.columns.bridge')}</Table.Th>
              <Table.Th>{t('networks.columns.addresses')}</Table.Th>
              <Table.Th>{t('networks.columns.leases')}</Table.Th>
              <Table.Th>{t('networks.columns.guests')}</Table.Th>
              <Table.Th w={40} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.map((network) => (
              <Fragment key={network.uuid}>
                <Table.Tr data-testid={`network-row-${network.name}`} aria-label={network.name}>
                  <Table.Td>
                    <ActionIcon
                      variant="subtle"
                      aria-label={t(expanded === network.name ? 'networks.collapse' : 'networks.expand', { name: network.name })}
                      onClick={() => setExpanded(expanded === network.name ? null : network.name)}
                    >
                      {expanded === network.name ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />}
                    </ActionIcon>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {network.name}
                    </Text>
                    {!network.persistent && (
                      <Text size="xs" c="dimmed">
                        {t('networks.transient')}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Badge color={network.active ? 'teal' : 'gray'} variant="light" data-testid="network-state" style={{ overflow: 'visible' }}>
                      {t(network.active ? 'networks.active' : 'networks.inactive')}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Switch
                      size="xs"
                      checked={network.autostart}
                      disabled={!network.persistent || busy}
                      aria-label={t('networks.autostartFor', { name: network.name })}
                      onChange={(e) => {
                        const autostart = e.currentTarget.checked;
                        void run(() => api.call('networks.setAutostart', { hostId, name: network.name, autostart }));
                      }}
                    />
                  </Table.Td>
                  <Table.Td>
                    {t(`networks.forward.${network.forwardMode}`)}
                    {network.forwardDev ? ` → ${network.forwardDev}` : ''}
                    {network.forwardInterfaces.length > 0 ? ` (${network.forwardInterfaces.join(', ')})` : ''}
                    {network.vlan ? <Badge size="xs" ml={4}>VLAN</Badge> : null}
                  </Table.Td>
                  <Table.Td>{network.bridge ?? '—'}</Table.Td>
                  <Table.Td>
                    {network.ips.length === 0
                      ? '—'
                      : network.ips.map((ip) => (
                          <Text size="xs" key={ip.index}>
                            {ip.address}/{ip.prefix}
                            {ip.dhcpRanges.map((r) => ` DHCP ${r.start}–${r.end}`).join('')}
                          </Text>
                        ))}
                  </Table.Td>
                  <Table.Td data-testid="network-lease-count">{network.active ? network.leaseCount : '—'}</Table.Td>
                  <Table.Td>
                    <Text size="xs">{[...new Set(network.guests.map((g) => g.name))].join(', ') || '—'}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Menu position="bottom-end">
                      <Menu.Target>
                        <ActionIcon variant="subtle" aria-label={t('networks.actionsFor', { name: network.name })}>
                          <IconDots size={16} />
                        </ActionIcon>
                      </Menu.Target>
                      <Menu.Dropdown>
                        {network.active ? (
                          <Menu.Item onClick={() => stopOrDelete('stop', network)}>{t('networks.actions.stop')}</Menu.Item>
                        ) : (
                          <Menu.Item onClick={() => void run(() => api.call('networks.start', { hostId, name: network.name }))}>{t('networks.actions.start')}</Menu.Item>
                        )}
                        <Menu.Item color="red" onClick={() => stopOrDelete('delete', network)}>
                          {t('networks.actions.delete')}
                        </Menu.Item>
                      </Menu.Dropdown>
                    </Menu>
                  </Table.Td>
                </Table.Tr>
                {expanded === network.name && (
                  <Table.Tr>
                    <Table.Td colSpan={10}>
                      <NetworkDetailsPanel hostId={hostId} name={network.name} generation={generation} />
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
        {networks.data && list.length === 0 && (
          <Text size="sm" c="dimmed" mt="xs">
            {t('networks.none')}
          </Text>
        )}
      </Card>

      <HostInterfacesCard report={interfaces.data} error={interfaces.error} />

      <CreateNetworkDialog
        hostId={hostId}
        interfaces={interfaces.data?.interfaces ?? []}
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={(name) => {
          refresh();
          setExpanded(name);
        }}
      />

      <Modal opened={pending !== null} onClose={() => setPending(null)} title={pending ? t(`networks.confirm.${pending.action}.title`, { name: pending.network.name }) : ''}>
        {pending && (
          <Stack>
            <Text size="sm">{t(`networks.confirm.${pending.action}.body`, { name: pending.network.name })}</Text>
            {runningGuests(pending.network).length > 0 && (
              <Alert color="red" title={t('networks.confirm.guestsTitle')}>
                <List data-testid="network-confirm-guests">
                  {runningGuests(pending.network).map((name) => (
                    <List.Item key={name}>
                      <b>{name}</b>
                    </List.Item>
                  ))}
                </List>
              </Alert>
            )}
            {actionError && <Alert color="red">{actionError}</Alert>}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setPending(null)}>
                {t('networks.cancel')}
              </Button>
              <Button color="red" loading={busy} onClick={() => void confirm()}>
                {t(`networks.confirm.${pending.action}.button`, { name: pending.network.name })}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
