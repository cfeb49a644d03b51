import { Alert, Badge, Group, List, Progress, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { CloneJob, CloneStep } from '../../../preload/api-contract';
import { jobFigures } from './format-job';

const STATE_COLORS: Record<CloneJob['state'], string> = {
  queued: 'gray',
  running: 'blue',
  cancelling: 'yellow',
  cleaning: 'yellow',
  done: 'green',
  failed: 'red',
  cancelled: 'gray',
};

export function StepText({ step }: { step: CloneStep }) {
  const { t } = useTranslation();
  switch (step.kind) {
    case 'temporaryPool':
      return <>{t('domainClone.step.temporaryPool', { directory: step.directory })}</>;
    case 'copyVolume':
      return <>{t('domainClone.step.copyVolume', { target: step.target, from: step.from, to: step.to })}</>;
    case 'linkVolume':
      return <>{t('domainClone.step.linkVolume', { target: step.target, to: step.to, backing: step.backing })}</>;
    case 'copyNvram':
      return <>{t('domainClone.step.copyNvram', { from: step.from, to: step.to })}</>;
    case 'define':
      return <>{t('domainClone.step.define', { name: step.name })}</>;
  }
}

/** A clone's progress: state, bytes, rate and time left, the step running, and how it ended. */
export function CloneJobView({ job, compact = false }: { job: CloneJob; compact?: boolean }) {
  const { t } = useTranslation();
  const figures = jobFigures(job);
  const active = job.state === 'running' || job.state === 'cancelling';
  return (
    <Stack gap="xs" data-testid="clone-job" data-state={job.state}>
      <Group gap="xs">
        <Badge color={STATE_COLORS[job.state]} data-testid="clone-state">
          {t(`domainClone.state.${job.state}`)}
        </Badge>
        <Text size="sm" fw={500}>
          {job.name}
        </Text>
      </Group>
      {job.state !== 'queued' && job.state !== 'cleaning' && job.state !== 'cancelled' && (
        <>
          <Progress value={figures.percent ?? 0} animated={active} striped={active} aria-label={t('domainClone.state.running')} />
          <Text size="sm" data-testid="clone-progress">
            {figures.total === null
              ? t('domainClone.progressUnknown', { done: figures.done })
              : t('domainClone.progress', { done: figures.done, total: figures.total })}
            {figures.rate && active ? ` · ${t('domainClone.rate', { rate: figures.rate })}` : ''}
            {figures.timeLeft && active && job.state === 'running' ? ` · ${t('domainClone.timeLeft', { time: figures.timeLeft })}` : ''}
          </Text>
        </>
      )}
      {job.state === 'cancelling' && <Text size="sm" c="dimmed">{t('domainClone.cancellingHelp')}</Text>}
      {job.state === 'cleaning' && <Text size="sm" c="dimmed">{t('domainClone.cleaningHelp')}</Text>}
      {!compact && (
        <List size="sm" spacing={2}>
          {job.steps.map((step, index) => (
            <List.Item key={index} fw={index === job.stepIndex ? 600 : undefined} c={job.stepIndex !== null && index < job.stepIndex ? 'dimmed' : undefined}>
              <StepText step={step} />
            </List.Item>
          ))}
        </List>
      )}
      {job.state === 'done' && job.result && (
        <Alert color="green" data-testid="clone-done">
          {t('domainClone.doneBody', { name: job.result.name })}
        </Alert>
      )}
      {job.state === 'cancelled' && <Alert color="gray">{t('domainClone.cancelledBody')}</Alert>}
      {job.state === 'failed' && job.error && (
        <Alert color="red" data-testid="clone-error">
          {job.error.message}
        </Alert>
      )}
      {job.leftovers.length > 0 && (
        <Alert color="red">{t('domainClone.leftovers', { items: job.leftovers.join(', ') })}</Alert>
      )}
    </Stack>
  );
}
