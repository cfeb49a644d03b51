import { Alert, Badge, Group, Progress, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { BackupJob } from '../../../preload/api-contract';
import { formatDuration } from '../domain-clone/format-job';
import { formatBytes, formatRate } from '../format';

const STATE_COLORS: Record<BackupJob['state'], string> = {
  queued: 'gray',
  running: 'blue',
  cancelling: 'yellow',
  cleaning: 'yellow',
  done: 'green',
  failed: 'red',
  cancelled: 'gray',
};

/** A backup's or restore's progress: state, phase, bytes, rate and time left, and how it ended. */
export function BackupJobView({ job }: { job: BackupJob }) {
  const { t } = useTranslation();
  const active = job.state === 'running' || job.state === 'cancelling';
  const percent = job.bytesTotal ? Math.min(100, (100 * job.bytesDone) / job.bytesTotal) : job.state === 'done' ? 100 : 0;
  return (
    <Stack gap="xs" data-testid="backup-job" data-state={job.state} data-operation={job.operation}>
      <Group gap="xs">
        <Badge color={STATE_COLORS[job.state]} data-testid="backup-job-state">
          {t(`domainBackups.state.${job.state}`)}
        </Badge>
        <Text size="sm" fw={500}>
          {job.operation === 'backup'
            ? t('domainBackups.jobBackup', { kind: t(`domainBackups.kind.${job.label === 'incremental' ? 'incremental' : 'full'}`), name: job.vmName })
            : t('domainBackups.jobRestore', { name: job.label })}
        </Text>
        {job.phase && (
          <Text size="sm" c="dimmed">
            {t(`domainBackups.phase.${job.phase}`)}
          </Text>
        )}
      </Group>
      {job.state !== 'queued' && job.state !== 'cleaning' && job.state !== 'cancelled' && (
        <>
          <Progress value={percent} animated={active} striped={active} aria-label={t('domainBackups.state.running')} />
          <Text size="sm" data-testid="backup-progress">
            {job.bytesTotal === null
              ? t('domainBackups.progressUnknown', { done: formatBytes(job.bytesDone) })
              : t('domainBackups.progress', { done: formatBytes(job.bytesDone), total: formatBytes(job.bytesTotal) })}
            {job.bytesPerSecond !== null && active ? ` · ${t('domainBackups.rate', { rate: formatRate(job.bytesPerSecond) })}` : ''}
            {job.secondsLeft !== null && job.state === 'running' ? ` · ${t('domainBackups.timeLeft', { time: formatDuration(job.secondsLeft) })}` : ''}
          </Text>
        </>
      )}
      {job.startedPaused && <Text size="sm" c="dimmed">{t('domainBackups.startedPausedNote')}</Text>}
      {job.state === 'done' && (
        <Alert color="green" data-testid="backup-job-done">
          {job.operation === 'backup'
            ? t('domainBackups.doneBackup', { directory: job.result?.directory ?? '' })
            : t('domainBackups.doneRestore', { name: job.result?.name ?? '' })}
        </Alert>
      )}
      {job.state === 'cancelled' && <Alert color="gray">{t('domainBackups.cancelledBody')}</Alert>}
      {job.state === 'failed' && job.error && (
        <Alert color="red" data-testid="backup-job-error">
          {job.error.message}
        </Alert>
      )}
      {job.leftovers.length > 0 && <Alert color="red">{t('domainBackups.leftovers', { items: job.leftovers.join(', ') })}</Alert>}
    </Stack>
  );
}
