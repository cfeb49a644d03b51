import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Card, Group, Loader, Modal, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { GuestAgentInfo } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { formatBytes } from '../format';

type Pending = 'freeze' | 'thaw' | 'setTime';

/** VM page → Guest agent: what the QEMU guest agent reports, freeze/thaw and set time, or why it cannot. */
export function GuestAgentPanel({ hostId, uuid, name, running }: { hostId: string; uuid: string; name: string; running: boolean }) {
  const { t } = useTranslation();
  const api = useApi();
  const [info, setInfo] = useState<GuestAgentInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    let live = true;
    setError(null);
    api.call('guestAgent.info', { hostId, uuid }).then(
      (value) => live && setInfo(value),
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [api, hostId, uuid, running, generation]);

  const act = async (action: Pending) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      if (action === 'setTime') {
        await api.call('guestAgent.setTime', { hostId, uuid, sync: false });
        setNotice(t('guestAgent.timeSet'));
      } else {
        const { filesystems } = await api.call(action === 'freeze' ? 'guestAgent.freeze' : 'guestAgent.thaw', { hostId, uuid, mountpoints: [] });
        setNotice(t(action === 'freeze' ? 'guestAgent.frozen' : 'guestAgent.thawed', { count: filesystems }));
      }
      // Read back what the agent reports now (freeze state, clock).
      reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      setPending(null);
    }
  };

  const confirmText: Record<Pending, { title: string; body: string }> = {
    freeze: { title: t('guestAgent.freezeTitle'), body: t('guestAgent.freezeBody', { name }) },
    thaw: { title: t('guestAgent.thawTitle'), body: t('guestAgent.thawBody', { name }) },
    setTime: { title: t('guestAgent.setTimeTitle'), body: t('guestAgent.setTimeBody', { name }) },
  };

  if (!info && !error) return <Loader size="sm" />;
  const available = info?.available === true;
  const offsetSec = info?.clock ? (info.clock.guestMs - info.clock.readAtMs) / 1000 : null;
  return (
    <Stack gap="md" data-testid="guest-agent">
      <Group justify="space-between">
        <Group gap="xs">
          <Title order={3} size="h5">
            {t('guestAgent.title')}
          </Title>
          {info && (
            <Badge color={available ? 'teal' : 'gray'} variant="light" data-testid="guest-agent-channel" data-channel={info.channel}>
              {info.channel}
            </Badge>
          )}
          {info?.freeze && (
            <Badge color={info.freeze === 'frozen' ? 'orange' : 'gray'} variant="light" data-testid="guest-agent-freeze" data-state={info.freeze}>
              {t(`guestAgent.freezeState.${info.freeze}`)}
            </Badge>
          )}
        </Group>
        <Button size="xs" variant="default" leftSection={<IconRefresh size={14} />} onClick={reload}>
          {t('guestAgent.refresh')}
        </Button>
      </Group>
      {error && <Alert color="red">{error}</Alert>}
      {notice && <Alert color="teal">{notice}</Alert>}
      {info && !available && (
        <Alert color="gray" title={t('guestAgent.unavailable')} data-testid="guest-agent-unavailable">
          <Text size="sm">{running ? t(`guestAgent.channel.${info.channel}`) : t('guestAgent.notRunning')}</Text>
          {info.reason && (
            <Text size="sm" c="dimmed" mt={4}>
              {t('guestAgent.reason', { reason: info.reason })}
            </Text>
          )}
        </Alert>
      )}
      {info && available && info.partial && (
        <Alert color="yellow" data-testid="guest-agent-partial">
          {t('guestAgent.partial', { reason: info.partial })}
        </Alert>
      )}
      {info && available && (
        <>
          <Group gap="xs">
            <Button size="xs" variant="light" onClick={() => setPending('freeze')} disabled={busy || info.freeze === 'frozen'}>
              {t('guestAgent.freeze')}
            </Button>
            <Button size="xs" variant="light" onClick={() => setPending('thaw')} disabled={busy || info.freeze === 'thawed'}>
              {t('guestAgent.thaw')}
            </Button>
            {/* A frozen agent refuses guest-set-time too. */}
            <Button size="xs" variant="light" onClick={() => setPending('setTime')} disabled={busy || info.freeze === 'frozen'}>
              {t('guestAgent.setTime')}
            </Button>
          </Group>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <Card withBorder>
              <Table variant="vertical" withRowBorders={false} verticalSpacing={4}>
                <Table.Tbody>
                  <Table.Tr>
                    <Table.Th w={160}>{t('guestAgent.os')}</Table.Th>
                    <Table.Td data-testid="guest-agent-os">{info.os?.prettyName ?? info.os?.name ?? '–'}</Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Th>{t('guestAgent.kernel')}</Table.Th>
                    <Table.Td>{[info.os?.kernelRelease, info.os?.machine].filter(Boolean).join(' · ') || '–'}</Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Th>{t('guestAgent.hostname')}</Table.Th>
                    <Table.Td data-testid="guest-agent-hostname">{info.hostname ?? '–'}</Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Th>{t('guestAgent.timezone')}</Table.Th>
                    <Table.Td>{info.timezone?.name ?? '–'}</Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Th>{t('guestAgent.clock')}</Table.Th>
                    <Table.Td data-testid="guest-agent-clock">
                      {info.clock && offsetSec !== null
                        ? t('guestAgent.clockValue', { time: new Date(info.clock.guestMs).toLocaleString(), offset: `${offsetSec >= 0 ? '+' : ''}${offsetSec.toFixed(1)}` })
                        : '–'}
                    </Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Th>{t('guestAgent.users')}</Table.Th>
                    <Table.Td data-testid="guest-agent-users">{info.users.map((u) => u.name).join(', ') || '–'}</Table.Td>
                  </Table.Tr>
                </Table.Tbody>
              </Table>
            </Card>
            <Card withBorder>
              <Title order={4} size="h6" mb="xs">
                {t('guestAgent.interfaces')}
              </Title>
              <Table data-testid="guest-agent-interfaces">
                <Table.Tbody>
                  {info.interfaces.map((nic) => (
                    <Table.Tr key={nic.name}>
                      <Table.Td>{nic.name}</Table.Td>
                      <Table.Td ff="monospace">{nic.hwaddr ?? '–'}</Table.Td>
                      <Table.Td ff="monospace">{nic.addresses.map((a) => `${a.addr}/${a.prefix}`).join(', ') || '–'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Card>
          </SimpleGrid>
          <Card withBorder>
            <Title order={4} size="h6" mb="xs">
              {t('guestAgent.filesystems')}
            </Title>
            <Table data-testid="guest-agent-filesystems">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('guestAgent.mountpoint')}</Table.Th>
                  <Table.Th>{t('guestAgent.fstype')}</Table.Th>
                  <Table.Th>{t('guestAgent.used')}</Table.Th>
                  <Table.Th>{t('guestAgent.disks')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {info.filesystems.map((fs) => (
                  <Table.Tr key={fs.mountpoint}>
                    <Table.Td ff="monospace">{fs.mountpoint}</Table.Td>
                    <Table.Td>{fs.fstype}</Table.Td>
                    <Table.Td>
                      {fs.usedBytes !== null && fs.totalBytes !== null ? `${formatBytes(fs.usedBytes)} / ${formatBytes(fs.totalBytes)}` : '–'}
                    </Table.Td>
                    <Table.Td ff="monospace">{fs.disks.join(', ') || fs.name}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        </>
      )}
      <Modal opened={pending !== null} onClose={() => setPending(null)} title={pending ? confirmText[pending].title : ''}>
        {pending && (
          <Stack>
            <Text size="sm">{confirmText[pending].body}</Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setPending(null)}>
                {t('guestAgent.cancel')}
              </Button>
              <Button color={pending === 'freeze' ? 'orange' : undefined} loading={busy} onClick={() => void act(pending)}>
                {t('guestAgent.confirm')}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
