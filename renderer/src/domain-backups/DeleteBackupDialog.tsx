import { useState } from 'react';
import { Alert, Button, Code, Group, List, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { BackupEntry, BackupOverview } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';

/** The backups built on `backup` (incrementals whose chain goes through it). */
export function dependents(backup: BackupEntry, all: readonly BackupEntry[]): BackupEntry[] {
  const out: BackupEntry[] = [];
  const queue = [backup.directory];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const b of all) {
      if (b.parent === parent && !out.includes(b)) {
        out.push(b);
        queue.push(b.directory);
      }
    }
  }
  return out;
}

/** Delete a backup (and those built on it, and their checkpoints): confirmed with the guest's name. */
export function DeleteBackupDialog({ overview, backup, onClose }: { overview: BackupOverview; backup: BackupEntry; onClose(): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const doomed = [backup, ...dependents(backup, overview.backups)];
  const checkpoints = doomed.filter((b) => b.checkpointExists).map((b) => b.checkpoint);

  return (
    <Modal opened onClose={onClose} title={t('domainBackups.deleteTitle')} size="lg" centered>
      <Stack gap="sm" data-testid="delete-backup-dialog">
        <Text size="sm">{t('domainBackups.deleteBody', { count: doomed.length })}</Text>
        <List size="sm">
          {doomed.map((b) => (
            <List.Item key={b.directory}>
              <Code>{b.directory}</Code>
            </List.Item>
          ))}
        </List>
        {checkpoints.length > 0 && <Text size="sm">{t('domainBackups.deleteCheckpoints', { names: checkpoints.join(', ') })}</Text>}
        {!overview.running && checkpoints.length > 0 && <Text size="sm" c="dimmed">{t('domainBackups.deleteStartsPaused')}</Text>}
        <TextInput label={t('domainBackups.confirmName', { name: overview.name })} value={confirm} onChange={(e) => setConfirm(e.currentTarget.value)} data-testid="delete-confirm" />
        {error && <Alert color="red">{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('domainBackups.close')}
          </Button>
          <Button
            color="red"
            disabled={busy || confirm !== overview.name}
            data-testid="delete-backup-confirm"
            onClick={() => {
              setBusy(true);
              setError(null);
              api
                .call('domainBackups.delete', { hostId: overview.hostId, uuid: overview.uuid, backup: backup.directory, confirm })
                .then(onClose, (e: unknown) => setError(errorMessage(e)))
                .finally(() => setBusy(false));
            }}
          >
            {t('domainBackups.deleteConfirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
