import { useState } from 'react';
import {
  ActionIcon,
  Alert,
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
import { IconDots, IconPlus, IconServer2, IconTrash } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { HostEntry } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { AddHostDialog } from './AddHostDialog';
import { sshTarget } from './ssh-target';
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

function HostsTable({ hosts }: { hosts: HostEntry[] }) {
  const { t } = useTranslation();
  const api = useApi();
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
              {host.displayName}
            </Table.Th>
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
export function HostsPage() {
  const { t } = useTranslation();
  const hostsState = useHosts();
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
        <Paper withBorder radius="md">
          <HostsTable hosts={hostsState.hosts} />
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
