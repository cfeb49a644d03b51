import { useEffect, useState } from 'react';
import { Alert, Card, Loader, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { HOST_IO_AWAIT_LIMIT_MS, type HostIoSample } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { formatRate } from '../format';

const fixed = (value: number, digits = 1) => value.toFixed(digits);
const ms = (value: number | null) => (value === null ? '–' : value.toFixed(2));

/** The host's latest I/O sample: the current one, then every `hostIo.sample` event for this host. */
export function useHostIo(hostId: string): HostIoSample | null {
  const api = useApi();
  const [sample, setSample] = useState<HostIoSample | null>(null);
  useEffect(() => {
    let live = true;
    setSample(null);
    const unsubscribe = api.subscribe('hostIo.sample', (next) => live && next.hostId === hostId && setSample(next));
    api.call('hostIo.latest', { hostId }).then(
      (first) => live && first && setSample((current) => current ?? first),
      () => undefined,
    );
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api, hostId]);
  return sample;
}

/** Host page → Disk I/O: per block device what `iostat -x` shows, and per guest disk the latency. */
export function DiskIoPanel({ hostId }: { hostId: string }) {
  const { t } = useTranslation();
  const sample = useHostIo(hostId);
  const warn = (over: boolean) => (over ? { c: 'red', fw: 600 } : {});
  if (!sample) {
    return (
      <Stack gap="xs" data-testid="disk-io">
        <Loader size="sm" />
        <Text size="sm" c="dimmed">
          {t('hostIo.waiting')}
        </Text>
      </Stack>
    );
  }
  return (
    <Stack gap="md" data-testid="disk-io" data-at={sample.at}>
      <Card withBorder>
        <Title order={3} size="h5">
          {t('hostIo.title')}
        </Title>
        <Text size="xs" c="dimmed" mb="xs" data-testid="disk-io-interval">
          {t('hostIo.interval', { seconds: fixed(sample.intervalMs / 1000) })}
        </Text>
        {sample.error && <Alert color="yellow">{t('hostIo.error', { error: sample.error })}</Alert>}
        <Table striped highlightOnHover data-testid="disk-io-devices">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('hostIo.device')}</Table.Th>
              <Table.Th ta="right">{t('hostIo.readIops')}</Table.Th>
              <Table.Th ta="right">{t('hostIo.writeIops')}</Table.Th>
              <Table.Th ta="right">{t('hostIo.readThroughput')}</Table.Th>
              <Table.Th ta="right">{t('hostIo.writeThroughput')}</Table.Th>
              <Table.Th ta="right">{t('hostIo.rAwait')} (ms)</Table.Th>
              <Table.Th ta="right">{t('hostIo.wAwait')} (ms)</Table.Th>
              <Table.Th ta="right">{t('hostIo.queue')}</Table.Th>
              <Table.Th ta="right">{t('hostIo.util')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {sample.devices.map((device) => (
              <Table.Tr key={device.device} data-testid={`disk-io-device-${device.device}`} data-over-limit={device.overLimit || undefined}>
                <Table.Td ff="monospace">
                  {device.overLimit ? (
                    <Tooltip label={t('hostIo.overLimit', { limit: HOST_IO_AWAIT_LIMIT_MS })}>
                      <Text span c="red" fw={600} ff="monospace">
                        {device.device}
                      </Text>
                    </Tooltip>
                  ) : (
                    device.device
                  )}
                </Table.Td>
                <Table.Td ta="right">{fixed(device.readsPerSec)}</Table.Td>
                <Table.Td ta="right">{fixed(device.writesPerSec)}</Table.Td>
                <Table.Td ta="right">{formatRate(device.readKBps * 1024)}</Table.Td>
                <Table.Td ta="right">{formatRate(device.writeKBps * 1024)}</Table.Td>
                <Table.Td ta="right">
                  <Text span size="sm" {...warn(device.rAwaitMs > HOST_IO_AWAIT_LIMIT_MS)}>
                    {ms(device.rAwaitMs)}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Text span size="sm" {...warn(device.wAwaitMs > HOST_IO_AWAIT_LIMIT_MS)}>
                    {ms(device.wAwaitMs)}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">{fixed(device.queueSize, 2)}</Table.Td>
                <Table.Td ta="right">{fixed(device.utilPercent)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Card>
      <Card withBorder>
        <Title order={3} size="h5" mb="xs">
          {t('hostIo.vmTitle')}
        </Title>
        {sample.vmDisks.length === 0 ? (
          <Text size="sm">{t('hostIo.vmNone')}</Text>
        ) : (
          <Table striped data-testid="disk-io-vms">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('hostIo.guest')}</Table.Th>
                <Table.Th>{t('hostIo.target')}</Table.Th>
                <Table.Th>{t('hostIo.path')}</Table.Th>
                <Table.Th ta="right">{t('hostIo.readIops')}</Table.Th>
                <Table.Th ta="right">{t('hostIo.writeIops')}</Table.Th>
                <Table.Th ta="right">{t('hostIo.readThroughput')}</Table.Th>
                <Table.Th ta="right">{t('hostIo.writeThroughput')}</Table.Th>
                <Table.Th ta="right">{t('hostIo.rAwait')} (ms)</Table.Th>
                <Table.Th ta="right">{t('hostIo.wAwait')} (ms)</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sample.vmDisks.map((disk) => (
                <Table.Tr key={`${disk.uuid}/${disk.target}`} data-testid={`disk-io-vm-${disk.name}-${disk.target}`}>
                  <Table.Td>{disk.name}</Table.Td>
                  <Table.Td ff="monospace">{disk.target}</Table.Td>
                  <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
                    {disk.path ?? '–'}
                  </Table.Td>
                  <Table.Td ta="right">{fixed(disk.readsPerSec)}</Table.Td>
                  <Table.Td ta="right">{fixed(disk.writesPerSec)}</Table.Td>
                  <Table.Td ta="right">{formatRate(disk.readBps)}</Table.Td>
                  <Table.Td ta="right">{formatRate(disk.writeBps)}</Table.Td>
                  <Table.Td ta="right">
                    <Text span size="sm" {...warn(disk.overLimit && (disk.rAwaitMs ?? 0) > HOST_IO_AWAIT_LIMIT_MS)}>
                      {ms(disk.rAwaitMs)}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right">
                    <Text span size="sm" {...warn(disk.overLimit && (disk.wAwaitMs ?? 0) > HOST_IO_AWAIT_LIMIT_MS)}>
                      {ms(disk.wAwaitMs)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
    </Stack>
  );
}
