import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, Badge, Button, Card, Code, Group, Loader, ScrollArea, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { BackupEntry, BackupJob, BackupOverview, BackupPreview } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useBusyCall } from '../api/use-busy-call';
import { useApi } from '../api/api-context';
import { formatBytes } from '../format';
import { BackupJobView } from './BackupJobView';
import { jobEnded, useMessage } from './backup-format';
import { DeleteBackupDialog } from './DeleteBackupDialog';
import { RestoreDialog } from './RestoreDialog';

const newJobId = () => `bak-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/**
 * VM page → Backups: whether the host can back this guest up (nothing is offered when it cannot), the
 * backup form (directory, full or incremental, the XML libvirt gets shown first), progress with cancel,
 * and the guest's backups and checkpoints with restore and delete.
 */
export function BackupsPanel({ hostId, uuid, state }: { hostId: string; uuid: string; state: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const message = useMessage();
  const [overview, setOverview] = useState<BackupOverview | null>(null);
  const { busy, error, setError, run } = useBusyCall();
  const [directory, setDirectory] = useState('');
  const [kind, setKind] = useState<'full' | 'incremental'>('full');
  const [preview, setPreview] = useState<BackupPreview | null>(null);
  const [job, setJob] = useState<BackupJob | null>(null);
  const [restoring, setRestoring] = useState<BackupEntry | null>(null);
  const [deleting, setDeleting] = useState<BackupEntry | null>(null);
  const jobId = useRef<string | null>(null);
  const directoryRef = useRef('');
  directoryRef.current = directory;

  const load = useCallback(async () => {
    try {
      const dir = directoryRef.current.trim();
      const loaded = await api.call('domainBackups.overview', { hostId, uuid, ...(dir.startsWith('/') ? { directories: [dir] } : {}) });
      setOverview(loaded);
      if (!directoryRef.current && loaded.defaultDirectory) setDirectory(loaded.defaultDirectory);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [api, hostId, uuid, setError]);

  useEffect(() => {
    void load();
    void api.call('domainBackups.jobs', null).then((jobs) => {
      const running = jobs.find((j) => j.hostId === hostId && j.uuid === uuid && !jobEnded(j));
      if (running) {
        jobId.current = running.jobId;
        setJob(running);
      }
    });
    return api.subscribe('domainBackups.progress', (update) => {
      if (update.jobId !== jobId.current) return;
      setJob(update);
      if (jobEnded(update)) void load();
    });
  }, [api, hostId, uuid, load]);

  // Running or shut off changes what a backup does (and the checkpoints): read again.
  useEffect(() => {
    void load();
  }, [state, load]);


  if (!overview) return error ? <Alert color="red">{error}</Alert> : <Loader size="sm" />;
  const support = overview.support;
  const active = job !== null && !jobEnded(job);
  const request = { hostId, uuid, kind, directory: directory.trim() };

  return (
    <Stack gap="md" data-testid="backups-panel">
      {!support.supported ? (
        <Alert color="gray" data-testid="backups-unsupported" title={t('domainBackups.unsupported')}>
          {message(support.reason)}
        </Alert>
      ) : (
        <Card withBorder>
          <Stack gap="sm">
            <Title order={3} size="h5">
              {t('domainBackups.newBackup')}
            </Title>
            <Table withTableBorder>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('domainBackups.disk')}</Table.Th>
                  <Table.Th>{t('domainBackups.source')}</Table.Th>
                  <Table.Th>{t('domainBackups.included')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {overview.disks.map((d) => (
                  <Table.Tr key={d.target}>
                    <Table.Td>{d.target}</Table.Td>
                    <Table.Td>
                      <Code>{d.source ?? '—'}</Code>
                    </Table.Td>
                    <Table.Td>
                      {d.included ? t('domainBackups.yes') : t('domainBackups.no')}
                      {d.note && (
                        <Text size="xs" c="dimmed">
                          {message(d.note)}
                        </Text>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <TextInput
              label={t('domainBackups.directory')}
              description={t('domainBackups.directoryHelp', { name: overview.name })}
              value={directory}
              onChange={(e) => {
                setDirectory(e.currentTarget.value);
                setPreview(null);
              }}
              onBlur={() => void load()}
              data-testid="backup-directory"
            />
            <SegmentedControl
              value={kind}
              onChange={(v) => {
                setKind(v as 'full' | 'incremental');
                setPreview(null);
              }}
              data={[
                { value: 'full', label: t('domainBackups.kind.full') },
                { value: 'incremental', label: t('domainBackups.kind.incremental'), disabled: !overview.canIncremental },
              ]}
              aria-label={t('domainBackups.kindLabel')}
            />
            <Text size="sm" c="dimmed">
              {overview.canIncremental
                ? t('domainBackups.incrementalFrom', { directory: overview.incrementalParent ?? '' })
                : t('domainBackups.incrementalNeedsFull')}
            </Text>
            {!overview.running && <Alert color="yellow">{t('domainBackups.startsPaused')}</Alert>}
            {preview && (
              <Stack gap="xs" data-testid="backup-preview">
                <Text size="sm">{t('domainBackups.target', { directory: preview.directory })}</Text>
                <ScrollArea.Autosize mah={260} type="auto">
                  <Code block aria-label={t('domainBackups.backupXml')}>
                    {preview.backupXml}
                    {preview.checkpointXml ? `\n${preview.checkpointXml}` : ''}
                  </Code>
                </ScrollArea.Autosize>
              </Stack>
            )}
            <Group>
              <Button
                variant="default"
                disabled={busy || active || !directory.trim()}
                onClick={() => void run(async () => setPreview(await api.call('domainBackups.preview', request)))}
              >
                {t('domainBackups.preview')}
              </Button>
              <Button
                disabled={busy || active || !preview || !(kind === 'full' ? overview.canFull : overview.canIncremental)}
                data-testid="backup-start"
                onClick={() =>
                  void run(async () => {
                    const id = newJobId();
                    jobId.current = id;
                    setJob(await api.call('domainBackups.start', { ...request, jobId: id }));
                    setPreview(null);
                  })
                }
              >
                {t('domainBackups.start')}
              </Button>
            </Group>
          </Stack>
        </Card>
      )}
      {error && <Alert color="red">{error}</Alert>}
      {job && (
        <Card withBorder>
          <BackupJobView job={job} />
          {active && (
            <Group mt="sm">
              <Button color="red" variant="light" disabled={job.state !== 'running'} data-testid="backup-cancel" onClick={() => void run(async () => setJob(await api.call('domainBackups.cancel', { jobId: job.jobId })))}>
                {t('domainBackups.cancel')}
              </Button>
            </Group>
          )}
        </Card>
      )}
      <Card withBorder>
        <Title order={3} size="h5" mb="xs">
          {t('domainBackups.backups')}
        </Title>
        {overview.backups.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('domainBackups.noBackups', { directories: overview.directories.join(', ') || '—' })}
          </Text>
        ) : (
          <Table withTableBorder data-testid="backups-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('domainBackups.time')}</Table.Th>
                <Table.Th>{t('domainBackups.kindLabel')}</Table.Th>
                <Table.Th>{t('domainBackups.size')}</Table.Th>
                <Table.Th>{t('domainBackups.checkpoint')}</Table.Th>
                <Table.Th>{t('domainBackups.directoryColumn')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[...overview.backups].reverse().map((b) => (
                <Table.Tr key={b.directory} data-testid="backup-row" data-kind={b.kind}>
                  <Table.Td>{new Date(b.createdAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={b.kind === 'full' ? 'blue' : 'grape'}>
                      {t(`domainBackups.kind.${b.kind}`)}
                    </Badge>
                    {b.startedPaused && (
                      <Text size="xs" c="dimmed">
                        {t('domainBackups.wasShutOff')}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{formatBytes(b.totalBytes)}</Table.Td>
                  <Table.Td>
                    {b.checkpoint ?? '—'}
                    {b.checkpoint && !b.checkpointExists && (
                      <Text size="xs" c="dimmed">
                        {t('domainBackups.checkpointGone')}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Code>{b.directory}</Code>
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button size="xs" variant="light" disabled={!b.restorable || active} onClick={() => setRestoring(b)} data-testid="backup-restore">
                        {t('domainBackups.restore')}
                      </Button>
                      <Button size="xs" variant="light" color="red" disabled={active} onClick={() => setDeleting(b)}>
                        {t('domainBackups.delete')}
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
      {support.supported && (
        <Card withBorder>
          <Title order={3} size="h5" mb="xs">
            {t('domainBackups.checkpoints')}
          </Title>
          {overview.checkpoints.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('domainBackups.noCheckpoints')}
            </Text>
          ) : (
            <Table withTableBorder data-testid="checkpoints-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('domainBackups.checkpoint')}</Table.Th>
                  <Table.Th>{t('domainBackups.time')}</Table.Th>
                  <Table.Th>{t('domainBackups.parent')}</Table.Th>
                  <Table.Th>{t('domainBackups.disks')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {overview.checkpoints.map((c) => (
                  <Table.Tr key={c.name}>
                    <Table.Td>{c.name}</Table.Td>
                    <Table.Td>{c.createdAt ? new Date(c.createdAt).toLocaleString() : '—'}</Table.Td>
                    <Table.Td>{c.parent ?? '—'}</Table.Td>
                    <Table.Td>{c.disks.join(', ')}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      )}
      {restoring && (
        <RestoreDialog
          overview={overview}
          backup={restoring}
          onClose={() => {
            setRestoring(null);
            void load();
          }}
        />
      )}
      {deleting && (
        <DeleteBackupDialog
          overview={overview}
          backup={deleting}
          onClose={() => {
            setDeleting(null);
            void load();
          }}
        />
      )}
    </Stack>
  );
}
