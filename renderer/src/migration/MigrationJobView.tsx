import { Alert, Badge, Group, Progress, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { MigrationJob, MigrationMessage } from '../../../preload/api-contract';
import { formatDuration } from '../domain-clone/format-job';
import { formatBytes, formatRate } from '../format';

const STATE_COLORS: Record<MigrationJob['state'], string> = {
  preparing: 'gray',
  running: 'blue',
  postcopy: 'violet',
  finishing: 'blue',
  cancelling: 'yellow',
  done: 'green',
  failed: 'red',
  cancelled: 'gray',
  interrupted: 'orange',
};

export const migrationEnded = (job: MigrationJob) => job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';

/** A message from main: `migration.<key>` (route reasons under `migration.reason.`). */
export function MigrationText({ prefix, message }: { prefix?: string; message: MigrationMessage }) {
  const { t } = useTranslation();
  return <>{t(`migration.${prefix ? `${prefix}.` : ''}${message.key}` as never, message.values)}</>;
}

/** A migration's progress: state, route, bytes, rate, time left, dirty rate, downtime, and how it ended. */
export function MigrationJobView({ job, hostName }: { job: MigrationJob; hostName(hostId: string): string }) {
  const { t } = useTranslation();
  const s = job.stats;
  const active = job.state === 'running' || job.state === 'postcopy' || job.state === 'cancelling';
  const total = s?.dataTotal ?? null;
  const processed = s?.dataProcessed ?? null;
  const remaining = s?.dataRemaining ?? null;
  const percent = job.state === 'done' ? 100 : total && processed !== null ? Math.min(100, (100 * processed) / total) : 0;
  const details: string[] = [];
  if (s) {
    details.push(t(`migration.phase.${s.phase}`));
    if (s.iteration) details.push(t('migration.iteration', { n: s.iteration }));
    if (s.bytesPerSecond !== null && active) details.push(t('migration.rate', { rate: formatRate(s.bytesPerSecond) }));
    if (job.secondsLeft !== null && active) details.push(t('migration.timeLeft', { time: formatDuration(job.secondsLeft) }));
    if (s.dirtyPagesPerSecond !== null) details.push(t('migration.dirtyRate', { rate: String(s.dirtyPagesPerSecond) }));
    if (s.expectedDowntimeMs !== null && active) details.push(t('migration.expectedDowntime', { ms: s.expectedDowntimeMs }));
    if (s.elapsedMs !== null) details.push(t('migration.elapsed', { time: formatDuration(s.elapsedMs / 1000) }));
  }
  if (job.relayedBytes > 0)
    details.push(
      t('migration.relayed', {
        bytes: formatBytes(job.relayedBytes),
        toDestination: formatBytes(job.relayedToDestination),
        toSource: formatBytes(job.relayedToSource),
      }),
    );
  return (
    <Stack gap="xs" data-testid="migration-job" data-state={job.state} data-route={job.route ?? ''}>
      <Group gap="xs">
        <Badge color={STATE_COLORS[job.state]} data-testid="migration-state">
          {t(`migration.state.${job.state}`)}
        </Badge>
        <Text size="sm" fw={500}>
          {job.name}: {hostName(job.sourceHostId)} → {hostName(job.destinationHostId)}
        </Text>
        {job.step && (
          <Text size="sm" c="dimmed">
            {t(`migration.step.${job.step}`)}
          </Text>
        )}
      </Group>
      {job.route && (
        <Text size="sm" data-testid="migration-route">
          {t('migration.routeShown', { route: t(`migration.routes.${job.route}`) })}
          {job.routeReason && (
            <>
              {' — '}
              <MigrationText prefix="reason" message={job.routeReason} />
            </>
          )}
        </Text>
      )}
      {(s || job.state === 'done') && (
        <>
          <Progress value={percent} animated={active} striped={active} aria-label={t('migration.state.running')} />
          <Text size="sm" data-testid="migration-progress">
            {processed !== null
              ? total !== null
                ? t('migration.progress', { done: formatBytes(processed), total: formatBytes(total) })
                : t('migration.progressUnknown', { done: formatBytes(processed) })
              : ''}
            {remaining !== null && active ? ` · ${t('migration.remaining', { remaining: formatBytes(remaining) })}` : ''}
            {details.length > 0 ? ` · ${details.join(' · ')}` : ''}
          </Text>
        </>
      )}
      {job.downtimeMs !== null && (
        <Text size="sm" data-testid="migration-downtime">
          {t('migration.downtime', { ms: job.downtimeMs })}
        </Text>
      )}
      {job.location && migrationEnded(job) && (
        <Text size="sm" fw={500} data-testid="migration-location" data-host={job.location.hostId}>
          {t('migration.runsOn', { host: hostName(job.location.hostId), state: job.location.state })}
        </Text>
      )}
      {job.outcome && (
        <Alert color={job.state === 'done' ? 'green' : job.state === 'interrupted' ? 'orange' : job.state === 'failed' ? 'red' : 'gray'} data-testid="migration-outcome">
          <MigrationText message={job.outcome} />
        </Alert>
      )}
      {job.error && (
        <Alert color="red" data-testid="migration-error">
          {job.error.message}
        </Alert>
      )}
    </Stack>
  );
}
