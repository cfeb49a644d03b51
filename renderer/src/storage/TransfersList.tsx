import { ActionIcon, Badge, Group, Progress, Stack, Text, Tooltip } from '@mantine/core';
import { IconX } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { TransferStatus } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { formatBytes, formatRate } from '../format';
import { cancelTransfer } from './upload';

const STATE_COLORS = { running: 'blue', done: 'teal', failed: 'red', cancelled: 'gray' } as const;

function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

/** Uploads and downloads with bytes, rate, time left and cancel. */
export function TransfersList({ transfers }: { transfers: TransferStatus[] }) {
  const { t } = useTranslation();
  const api = useApi();
  if (transfers.length === 0) return null;
  return (
    <Stack gap="xs" data-testid="transfers">
      {transfers.map((transfer) => {
        const percent = transfer.totalBytes > 0 ? (100 * transfer.doneBytes) / transfer.totalBytes : 0;
        return (
          <div key={transfer.id} role="group" data-testid="transfer" data-state={transfer.state} aria-label={t(`storage.transfers.${transfer.kind}`, { name: transfer.volume })}>
            <Group justify="space-between" wrap="nowrap">
              <Text size="sm" fw={500} truncate>
                {t(`storage.transfers.${transfer.kind}`, { name: transfer.volume })}
              </Text>
              <Group gap="xs" wrap="nowrap">
                <Text size="xs" c="dimmed" data-testid="transfer-figures">
                  {t('storage.transfers.figures', {
                    done: formatBytes(transfer.doneBytes),
                    total: formatBytes(transfer.totalBytes),
                    rate: formatRate(transfer.bytesPerSecond),
                    left: formatSeconds(transfer.secondsLeft),
                  })}
                </Text>
                <Badge color={STATE_COLORS[transfer.state]} variant="light">
                  {t(`storage.transfers.state.${transfer.state}`)}
                </Badge>
                {transfer.state === 'running' && (
                  <Tooltip label={t('storage.transfers.cancel')}>
                    <ActionIcon
                      variant="subtle"
                      color="red"
                      aria-label={t('storage.transfers.cancelNamed', { name: transfer.volume })}
                      onClick={() => cancelTransfer(api, transfer.id)}
                    >
                      <IconX size={16} />
                    </ActionIcon>
                  </Tooltip>
                )}
              </Group>
            </Group>
            <Progress value={percent} animated={transfer.state === 'running'} aria-label={t('storage.transfers.progress', { name: transfer.volume })} />
            {transfer.error && (
              <Text size="xs" c="red">
                {transfer.error}
              </Text>
            )}
            {transfer.holeBytes > 0 && (
              <Text size="xs" c="dimmed">
                {t('storage.transfers.sparse', { holes: formatBytes(transfer.holeBytes), wire: formatBytes(transfer.wireBytes) })}
              </Text>
            )}
          </div>
        );
      })}
    </Stack>
  );
}
