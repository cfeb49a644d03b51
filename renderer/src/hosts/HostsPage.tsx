import { useEffect, useState, type ReactNode } from 'react';
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
import {
  IconAlertOctagon,
  IconDeviceDesktop,
  IconDots,
  IconFileImport,
  IconPencil,
  IconPlayerPlay,
  IconPlayerStop,
  IconPlus,
  IconServer2,
  IconTrash,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { HostEntry, HostStatus } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { HostDialog, type HostFormValues } from './HostDialog';
import { ImportSshConfigDialog } from './ImportSshConfigDialog';
import { sshTarget } from './ssh-target';
import { HostStatusBadge } from './HostStatusBadge';
import { useHostStatuses } from './use-host-statuses';
import { useHosts } from './use-hosts';

function EmptyHosts({ onAdd, extra }: { onAdd: () => void; extra: ReactNode }) {
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
          {extra}
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
  onEdit,
}: {
  hosts: HostEntry[];
  statuses: ReadonlyMap<string, HostStatus>;
  onOpenHost(hostId: string): void;
  onEdit(host: HostEntry): void;
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
                  <Menu.Item leftSection={<IconPencil size={16} />} onClick={() => onEdit(host)}>
                    {t('hosts.edit')}
                  </Menu.Item>
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
  const [editing, setEditing] = useState<HostEntry | null>(null);
  const [preset, setPreset] = useState<Partial<HostFormValues> | null>(null);
  const [importing, setImporting] = useState(false);
  const [localSocket, setLocalSocket] = useState<string | null>(null);
  const api = useApi();
  useEffect(() => {
    api.call('hosts.localSocket', null).then(setLocalSocket, () => setLocalSocket(null));
  }, [api]);
  const hasLocal = hostsState.status === 'ready' && hostsState.hosts.some((h) => h.transport === 'local-socket');
  const secondary = (
    <Group gap="xs" justify="center">
      <Button variant="default" leftSection={<IconFileImport size={16} />} onClick={() => setImporting(true)}>
        {t('hosts.import.open')}
      </Button>
      {localSocket && !hasLocal && (
        <Button
          variant="default"
          leftSection={<IconDeviceDesktop size={16} />}
          onClick={() => {
            setPreset({ displayName: t('hosts.thisComputer'), host: 'localhost', transport: 'local-socket' });
            setAdding(true);
          }}
        >
          {t('hosts.addThisComputer')}
        </Button>
      )}
    </Group>
  );

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
    body = <EmptyHosts onAdd={() => setAdding(true)} extra={secondary} />;
  } else {
    body = (
      <Stack>
        <Group justify="space-between">
          <Title order={2}>{t('hosts.title')}</Title>
          <Group gap="xs">
            {secondary}
            <Button leftSection={<IconPlus size={18} />} onClick={() => setAdding(true)}>
              {t('hosts.add')}
            </Button>
          </Group>
        </Group>
        <HostKeyChangedAlerts hosts={hostsState.hosts} statuses={statuses} />
        <Paper withBorder radius="md">
          <HostsTable hosts={hostsState.hosts} statuses={statuses} onOpenHost={onOpenHost} onEdit={setEditing} />
        </Paper>
      </Stack>
    );
  }
  return (
    <>
      {body}
      <HostDialog
        opened={adding || editing !== null}
        editing={editing}
        preset={preset}
        onClose={() => {
          setAdding(false);
          setEditing(null);
          setPreset(null);
        }}
      />
      <ImportSshConfigDialog
        opened={importing}
        onClose={() => setImporting(false)}
        hosts={hostsState.status === 'ready' ? hostsState.hosts : []}
      />
    </>
  );
}
