import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Group, List, Loader, Modal, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { CloneDiskMode, CloneDiskPlan, CloneJob, CloneMessage, ClonePlan, ClonePreview } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useBusyCall } from '../api/use-busy-call';
import { useApi } from '../api/api-context';
import { useJobUpdates } from '../api/use-job-updates';
import { formatBytes } from '../format';
import { CloneJobView, StepText } from './CloneJobView';
import { DiffBlock } from './DiffBlock';
import type { DomainDialogTarget } from './dialog-store';
import { jobEnded } from './format-job';

type Choice = { mode: CloneDiskMode; volumeName: string };

function Message({ message }: { message: CloneMessage }) {
  const { t } = useTranslation();
  return <>{t(`domainClone.messages.${message.key}` as never, message.values)}</>;
}

function StorageText({ disk }: { disk: CloneDiskPlan }) {
  const { t } = useTranslation();
  const storage = disk.storage;
  switch (storage.kind) {
    case 'volume':
      return <>{t('domainClone.storage.volume', { volume: storage.volume, pool: storage.pool, type: storage.poolType })}</>;
    case 'file':
      return <>{t('domainClone.storage.file', { directory: storage.directory })}</>;
    case 'none':
      return <>{t('domainClone.storage.none')}</>;
    case 'unsupported':
      return <Message message={storage.reason} />;
  }
}

/**
 * Clone a shut-off guest: the name, what each disk becomes (copy, link, share) and its new volume's
 * name; Preview shows the steps on the host and the new definition as a diff; Clone runs it with
 * progress (bytes, rate, time left) and can be cancelled. Closing the dialog leaves the clone running
 * (a notification follows it).
 */
export function CloneDialog({ target, onClose }: { target: DomainDialogTarget; onClose(running: CloneJob | null): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [plan, setPlan] = useState<ClonePlan | null>(null);
  const { busy, error, setError, run } = useBusyCall();
  const [name, setName] = useState('');
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const [preview, setPreview] = useState<ClonePreview | null>(null);
  const { job, setJob, jobId } = useJobUpdates('domainClone.progress');

  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        // A clone of this guest already running (started in this window or before a reload): show it.
        const running = (await api.call('domainClone.jobs', null)).find(
          (j) => j.hostId === target.hostId && j.sourceUuid === target.uuid && !jobEnded(j),
        );
        if (running && live) {
          jobId.current = running.jobId;
          setJob(running);
        }
        const loaded = await api.call('domainClone.plan', { hostId: target.hostId, uuid: target.uuid });
        if (!live) return;
        setPlan(loaded);
        setName(loaded.suggestedName);
        setChoices(
          Object.fromEntries(
            loaded.disks
              .filter((d) => d.modes.length > 0)
              .map((d) => [d.target, { mode: d.modes[0] as CloneDiskMode, volumeName: d.suggestedName ?? '' }]),
          ),
        );
      } catch (e) {
        if (live) setError(errorMessage(e));
      }
    })();
    return () => {
      live = false;
    };
  }, [api, target, setError, jobId, setJob]);

  const request = useCallback(() => {
    if (!plan) throw new Error('no plan');
    return {
      hostId: target.hostId,
      uuid: target.uuid,
      name,
      basedOn: plan.basedOn,
      disks: Object.entries(choices).map(([disk, choice]) => ({
        target: disk,
        mode: choice.mode,
        volumeName: choice.mode === 'share' ? null : choice.volumeName,
      })),
    };
  }, [plan, target, name, choices]);

  const edit = (next: () => void) => {
    next();
    setPreview(null);
    setError(null);
  };

  const runningJob = job && !jobEnded(job) ? job : null;
  const close = () => onClose(runningJob);
  const blocked = (plan?.blockers.length ?? 0) > 0;

  return (
    <Modal opened onClose={close} title={t('domainClone.cloneTitle', { name: target.name })} size="xl" centered>
      <Stack data-testid="clone-dialog">
        {job ? (
          <>
            <CloneJobView job={job} />
            <Group justify="flex-end">
              {(job.state === 'running' || job.state === 'queued') && (
                <Button color="red" variant="light" onClick={() => void run(async () => setJob(await api.call('domainClone.cancel', { jobId: job.jobId })))}>
                  {t('domainClone.cancel')}
                </Button>
              )}
              <Button variant="default" onClick={close}>
                {t('domainClone.close')}
              </Button>
            </Group>
          </>
        ) : !plan ? (
          error ? <Alert color="red">{error}</Alert> : <Group gap="xs"><Loader size="sm" /><Text size="sm">{t('domainClone.loading')}</Text></Group>
        ) : (
          <>
            {blocked && (
              <Alert color="red" title={t('domainClone.blocked')} data-testid="clone-blockers">
                <List size="sm">
                  {plan.blockers.map((blocker, index) => (
                    <List.Item key={index}>
                      <Message message={blocker} />
                    </List.Item>
                  ))}
                </List>
              </Alert>
            )}
            <TextInput
              label={t('domainClone.name')}
              value={name}
              disabled={blocked}
              onChange={(event) => {
                const value = event.currentTarget.value;
                edit(() => setName(value));
              }}
            />
            <Title order={4} size="h5">
              {t('domainClone.disks')}
            </Title>
            <Table verticalSpacing={6}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('domainClone.disk')}</Table.Th>
                  <Table.Th>{t('domainClone.source')}</Table.Th>
                  <Table.Th>{t('domainClone.mode')}</Table.Th>
                  <Table.Th>{t('domainClone.volumeName')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {plan.disks.map((disk) => {
                  const choice = choices[disk.target];
                  return (
                    <Table.Tr key={disk.target} data-testid={`clone-disk-${disk.target}`}>
                      <Table.Td>
                        {disk.target}
                        <Text size="xs" c="dimmed">
                          {disk.device}
                        </Text>
                      </Table.Td>
                      <Table.Td style={{ wordBreak: 'break-all' }}>
                        <Text size="sm" ff="monospace">
                          {disk.source ?? '–'}
                        </Text>
                        <Text size="xs" c="dimmed">
                          <StorageText disk={disk} />
                          {disk.allocationBytes !== null ? ` · ${formatBytes(disk.allocationBytes)}` : ''}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        {choice && disk.modes.length > 1 ? (
                          <SegmentedControl
                            size="xs"
                            disabled={blocked}
                            aria-label={t('domainClone.mode')}
                            value={choice.mode}
                            data={disk.modes.map((mode) => ({ value: mode, label: t(`domainClone.modes.${mode}`) }))}
                            onChange={(mode) => edit(() => setChoices({ ...choices, [disk.target]: { ...choice, mode: mode as CloneDiskMode } }))}
                          />
                        ) : (
                          <Text size="sm">{disk.modes[0] ? t(`domainClone.modes.${disk.modes[0]}`) : '–'}</Text>
                        )}
                        {choice && (
                          <Text size="xs" c="dimmed" maw={260}>
                            {t(`domainClone.modeHelp.${choice.mode}`)}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        {choice && choice.mode !== 'share' && (
                          <TextInput
                            size="xs"
                            aria-label={t('domainClone.volumeName')}
                            value={choice.volumeName}
                            disabled={blocked}
                            onChange={(event) => {
                              const volumeName = event.currentTarget.value;
                              edit(() => setChoices({ ...choices, [disk.target]: { ...choice, volumeName } }));
                            }}
                          />
                        )}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
            {plan.nvram && (
              <Text size="sm">
                {plan.nvram.exists === false
                  ? t('domainClone.nvramMissing', { path: plan.nvram.path })
                  : t('domainClone.nvram', { from: plan.nvram.path, to: plan.nvram.suggestedPath })}
              </Text>
            )}
            {plan.notes.length > 0 && !preview && (
              <Alert color="gray">
                <List size="sm">
                  {plan.notes.map((note, index) => (
                    <List.Item key={index}>
                      <Message message={note} />
                    </List.Item>
                  ))}
                </List>
              </Alert>
            )}
            {preview && (
              <Stack gap="xs" data-testid="clone-preview">
                <Title order={4} size="h5">
                  {t('domainClone.steps')}
                </Title>
                <List size="sm" type="ordered">
                  {preview.steps.map((step, index) => (
                    <List.Item key={index}>
                      <StepText step={step} />
                    </List.Item>
                  ))}
                </List>
                {preview.bytesTotal !== null && <Text size="sm">{t('domainClone.bytesTotal', { size: formatBytes(preview.bytesTotal) })}</Text>}
                {preview.warnings.map((warning, index) => (
                  <Alert key={index} color={warning.key === 'linkedOriginal' ? 'orange' : 'yellow'}>
                    <Message message={warning} />
                  </Alert>
                ))}
                <Text size="sm" fw={500}>
                  {t('domainClone.diff')}
                </Text>
                <DiffBlock diff={preview.diff} label={t('domainClone.diff')} testId="clone-diff" />
              </Stack>
            )}
            {error && (
              <Alert color="red" data-testid="clone-error">
                {error}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('domainClone.close')}
              </Button>
              <Button
                variant="light"
                disabled={blocked || name.trim() === ''}
                loading={busy && !preview}
                onClick={() => void run(async () => setPreview(await api.call('domainClone.preview', request())))}
              >
                {t('domainClone.preview')}
              </Button>
              <Button
                disabled={blocked || !preview}
                loading={busy && preview !== null}
                onClick={() =>
                  void run(async () => {
                    const id = crypto.randomUUID();
                    jobId.current = id;
                    const started = await api.call('domainClone.start', { ...request(), jobId: id });
                    // Progress events may have overtaken the answer: keep the newer state.
                    setJob((seen) => seen ?? started);
                  })
                }
              >
                {t('domainClone.start')}
              </Button>
            </Group>
          </>
        )}
      </Stack>
    </Modal>
  );
}
