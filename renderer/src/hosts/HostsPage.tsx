import { useState } from 'react';
import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  Center,
  Group,
  Loader,
  Menu,
  Paper,
  Stack,
  Table,
  Text,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertOctagon, IconDots, IconPlayerPlay, IconPlayerStop, IconPlus, IconServer2, IconTrash } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { HostEntry, HostStatus } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { AddHostDialog } from './AddHostDialog';
import { sshTarget } from './ssh-target';
import { HostStatusBadge } from './HostStatusBadge';
import { useHostStatuses } from './use-host-statuses';
import { useHosts } from './use-hosts';

function EmptyHosts({ onAdd }: { onAdd: () => void }) {
  const { t } = useTranslation();
  return (
    <Center mih="60vh">
      <Paper withBorder shadow="sm" p="xl" maw={520} radius="lg" data-testid="hosts-empty">
        <Stack align="center" gap="md" ta="center">
          <ThemeIcon size={72} radius="xl" variant="light">
            <IconServer2 size={40} aria-hidden />
          </ThemeIcon>
          <Title order={2}>{t('hosts.empty.title')}</Title>
          <Text>{t('hosts.empty.body')}</Text>
          <Text c="dimmed" size="sm">
            {t('hosts.empty.hint')}
          </Text>
          <Button size="md" leftSection={<IconPlus size={18} />} onClick={onAdd}>
            {t('hosts.empty.action')}
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}

/** A changed host key is a hard stop: explained, with no button that connects anyway. */
function HostKeyChangedAlerts({ hosts, statuses }: { hosts: HostEntry[]; statuses: ReadonlyMap<string, HostStatus> }) {
  const { t } = useTranslation();
  const changed = hosts.filter((host) => {
    const state = statuses.get(host.id)?.state;
    return state?.kind === 'unreachable' && state.hostKeyChanged;
  });
  return changed.map((host) => (
    <Alert
      key={host.id}
      color="red"
      variant="filled"
      icon={<IconAlertOctagon />}
      title={t('hosts.keyChanged.title', { host: host.displayName })}
      role="alert"
    >
      <Text size="sm">{t('hosts.keyChanged.body')}</Text>
      <Text size="xs" mt="xs" ff="monospace">
        {(() => {
          const state = statuses.get(host.id)?.state;
          return state?.kind === 'unreachable' ? state.reason : '';
        })()}
      </Text>
    </Alert>
  ));
}

function HostsTable({
  hosts,
  statuses,
  onOpenHost,
}: {
  hosts: HostEntry[];
  statuses: ReadonlyMap<string, HostStatus>;
  onOpenHost(hostId: string): void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const run = async (work: Promise<unknown>) => {
    try {
      await work;
    } catch (error) {
      notifications.show({ color: 'red', title: t('errors.title'), message: String((error as Error).message) });
    }
  };
  const remove = async (host: HostEntry) => {
    if (!window.confirm(t('hosts.removeConfirm', { name: host.displayName }))) return;
    try {
      await api.call('hosts.remove', { hostId: host.id });
      notifications.show({ color: 'teal', message: t('hosts.removed', { name: host.displayName }) });
    } catch (error) {
      notifications.show({ color: 'red', title: t('errors.title'), message: String((error as Error).message) });
    }
  };
  return (
    <Table striped highlightOnHover verticalSpacing="sm" aria-label={t('hosts.title')}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">{t('hosts.columns.name')}</Table.Th>
          <Table.Th scope="col">{t('hosts.columns.status')}</Table.Th>
          <Table.Th scope="col">{t('hosts.columns.target')}</Table.Th>
          <Table.Th scope="col">{t('hosts.columns.uri')}</Table.Th>
          <Table.Th scope="col">{t('hosts.columns.tags')}</Table.Th>
          <Table.Th scope="col" w={48} />
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {hosts.map((host) => (
          <Table.Tr key={host.id}>
            <Table.Th scope="row" fw={600}>
              <Anchor component="button" type="button" fw={600} onClick={() => onOpenHost(host.id)}>
                {host.displayName}
              </Anchor>
            </Table.Th>
            <Table.Td>
              <HostStatusBadge status={statuses.get(host.id)} />
            </Table.Td>
            <Table.Td ff="monospace">{sshTarget(host)}</Table.Td>
            <Table.Td ff="monospace">{host.libvirtUri}</Table.Td>
            <Table.Td>
              <Group gap={4}>
                {host.tags.map((tag) => (
                  <Badge key={tag} variant="light" size="sm">
                    {tag}
                  </Badge>
                ))}
              </Group>
            </Table.Td>
            <Table.Td>
              <Menu position="bottom-end" withinPortal>
                <Menu.Target>
                  <ActionIcon variant="subtle" aria-label={t('hosts.actionsFor', { name: host.displayName })}>
                    <IconDots size={18} />
                  </ActionIcon>
                </Menu.Target>
 <Menu.Dropdown>
                  {['disconnected', 'unreachable'].includes(statuses.get(host.id)?.state.kind ?? 'disconnected') ? (
                    <Menu.Item
                      leftSection={<IconPlayerPlay size={16} />}
                      onClick={() => void run(api.call('hosts.connect', { hostId: host.id }))}
                    >
                      {t('hosts.connect')}
                    </Menu.Item>
                  ) : (
                    <Menu.Item
                      leftSection={<IconPlayerStop size={16} />}
                      onClick={() => void run(api.call('hosts.disconnect', { hostId: host.id }))}
                    >
                      {t('hosts.disconnect')}
                    </Menu.Item>
                  )}
                  <Menu.Item color="red" leftSection={<IconTrash size={16} />} onClick={() => void remove(host)}>
                    {t('hosts.remove')}
                  </Menu.Item>
                </Menu.Dropdown>
              </Menu>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Saved hosts, or the "add a host" state when there are none. */
export function HostsPage({ onOpenHost }: { onOpenHost(hostId: string): void }) {
  const { t } = useTranslation();
  const hostsState = useHosts();
  const statuses = useHostStatuses();
  const [adding, setAdding] = useState(false);

  let body;
  if (hostsState.status === 'loading') {
    body = (
      <Center mih="40vh">
        <Loader aria-label={t('app.connection.connecting')} />
      </Center>
    );
  } else if (hostsState.status === 'error') {
    body = (
      <Alert color="red" title={t('hosts.loadFailed')}>
        {hostsState.message}
      </Alert>
    );
  } else if (hostsState.hosts.length === 0) {
    body = <EmptyHosts onAdd={() => setAdding(true)} />;
  } else {
    body = (
      <Stack>
        <Group justify="space-between">
          <Title order={2}>{t('hosts.title')}</Title>
          <Button leftSection={<IconPlus size={18} />} onClick={() => setAdding(true)}>
            {t('hosts.add')}
          </Button>
        </Group>
        <HostKeyChangedAlerts hosts={hostsState.hosts} statuses={statuses} />
        <Paper withBorder radius="md">
          <HostsTable hosts={hostsState.hosts} statuses={statuses} onOpenHost={onOpenHost} />
        </Paper>
      </Stack>
    );
  }
  return (
    <>
      {body}
      <AddHostDialog opened={adding} onClose={() => setAdding(false)} />
    </>
  );
}
