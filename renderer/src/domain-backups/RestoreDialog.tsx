import { useState } from 'react';
import { Alert, Button, Code, Group, List, Modal, ScrollArea, Select, Stack, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { BackupEntry, BackupOverview, RestorePreview } from '../../../preload/api-contract';
import { useBusyCall } from '../api/use-busy-call';
import { useApi } from '../api/api-context';
import { useJobUpdates } from '../api/use-job-updates';
import { formatBytes } from '../format';
import { BackupJobView } from './BackupJobView';
import { jobEnded, useMessage } from './backup-format';

const newJobId = () => `rst-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** Restore a backup into new volumes of a pool and a new guest on them (its XML shown before). */
export function RestoreDialog({ overview, backup, onClose }: { overview: BackupOverview; backup: BackupEntry; onClose(): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const message = useMessage();
  const [name, setName] = useState(`${overview.name}-restored`);
  const [pool, setPool] = useState<string | null>(overview.pools.find((p) => p.type === 'dir')?.name ?? overview.pools[0]?.name ?? null);
  const [preview, setPreview] = useState<RestorePreview | null>(null);
  const { busy, error, run } = useBusyCall();
  const { job, setJob, jobId } = useJobUpdates('domainBackups.progress');

  const request = { hostId: overview.hostId, uuid: overview.uuid, backup: backup.directory, name: name.trim(), pool: pool ?? '' };
  const active = job !== null && !jobEnded(job);

  return (
    <Modal opened onClose={onClose} title={t('domainBackups.restoreTitle', { directory: backup.directory })} size="xl" centered>
      <Stack gap="sm" data-testid="restore-dialog">
        <TextInput
          label={t('domainBackups.restoreName')}
          value={name}
          disabled={job !== null}
          onChange={(e) => {
            setName(e.currentTarget.value);
            setPreview(null);
          }}
          data-testid="restore-name"
        />
        <Select
          label={t('domainBackups.restorePool')}
          data={overview.pools.map((p) => ({ value: p.name, label: `${p.name} (${p.type})` }))}
          value={pool}
          disabled={job !== null}
          onChange={(v) => {
            setPool(v);
            setPreview(null);
          }}
          allowDeselect={false}
        />
        {preview && (
          <Stack gap="xs" data-testid="restore-preview">
            <Text size="sm" fw={500}>
              {t('domainBackups.chain')}
            </Text>
            <List size="sm">
              {preview.chain.map((dir) => (
                <List.Item key={dir}>
                  <Code>{dir}</Code>
                </List.Item>
              ))}
            </List>
            <List size="sm">
              {preview.volumes.map((v) => (
                <List.Item key={v.target}>{t('domainBackups.restoreVolume', { target: v.target, name: v.name, pool: pool ?? '', size: formatBytes(v.virtualBytes) })}</List.Item>
              ))}
            </List>
            {preview.notes.map((n) => (
              <Text size="sm" c="dimmed" key={n.key}>
                {message(n)}
              </Text>
            ))}
            <ScrollArea.Autosize mah={260} type="auto">
              <Code block aria-label={t('domainBackups.restoreXml')}>
                {preview.xml}
              </Code>
            </ScrollArea.Autosize>
          </Stack>
        )}
        {error && <Alert color="red">{error}</Alert>}
        {job && <BackupJobView job={job} />}
        <Group justify="flex-end">
          {active ? (
            <Button color="red" variant="light" disabled={job.state !== 'running'} onClick={() => void run(async () => setJob(await api.call('domainBackups.cancel', { jobId: job.jobId })))}>
              {t('domainBackups.cancel')}
            </Button>
          ) : job === null ? (
            <>
              <Button variant="default" disabled={busy || !pool || !name.trim()} onClick={() => void run(async () => setPreview(await api.call('domainBackups.restorePreview', request)))}>
                {t('domainBackups.preview')}
              </Button>
              <Button
                disabled={busy || !preview}
                data-testid="restore-start"
                onClick={() =>
                  void run(async () => {
                    const id = newJobId();
                    jobId.current = id;
                    setJob(await api.call('domainBackups.restore', { ...request, jobId: id }));
                  })
                }
              >
                {t('domainBackups.restoreStart')}
              </Button>
            </>
          ) : (
            <Button onClick={onClose}>{t('domainBackups.close')}</Button>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}
