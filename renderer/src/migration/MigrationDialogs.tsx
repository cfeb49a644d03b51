import { useEffect, useRef } from 'react';
import { Button, Stack } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import type { MigrationJob } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { MigrateDialog } from './MigrateDialog';
import { closeMigrateDialog, useMigrateTarget } from './migrate-store';
import { MigrationJobView, migrationEnded } from './MigrationJobView';

/**
 * The Migrate dialog (mounted once per window), and a notification for each migration whose dialog was
 * closed while it ran, with its progress and a Cancel button until it ends.
 */
export function MigrationDialogs() {
  const { t } = useTranslation();
  const api = useApi();
  const target = useMigrateTarget();
  const background = useRef(new Set<string>());
  const names = useRef(new Map<string, string>());

  useEffect(() => {
    void api.call('hosts.list', null).then(
      (hosts) => (names.current = new Map(hosts.map((h) => [h.id, h.displayName]))),
      () => undefined,
    );
    const hostName = (id: string) => names.current.get(id) ?? id;
    const show = (job: MigrationJob) => {
      const ended = migrationEnded(job);
      notifications.update({
        id: `migration-${job.jobId}`,
        loading: !ended,
        autoClose: ended && job.state === 'done' ? 8_000 : false,
        withCloseButton: ended || job.state === 'interrupted',
        color: job.state === 'failed' ? 'red' : job.state === 'done' ? 'teal' : undefined,
        message: (
          <Stack gap={4} data-testid="migration-notification">
            <MigrationJobView job={job} hostName={hostName} />
            {(job.state === 'running' || job.state === 'preparing') && (
              <Button size="compact-xs" variant="light" color="red" onClick={() => void api.call('migration.cancel', { jobId: job.jobId }).catch(() => undefined)}>
                {t('migration.cancel')}
              </Button>
            )}
          </Stack>
        ),
      });
      if (ended) background.current.delete(job.jobId);
    };
    return api.subscribe('migration.progress', (job) => {
      if (background.current.has(job.jobId)) show(job);
    });
  }, [api, t]);

  if (!target) return null;
  return (
    <MigrateDialog
      key={`${target.hostId}/${target.uuid}`}
      target={target}
      onClose={(running) => {
        closeMigrateDialog();
        if (!running) return;
        background.current.add(running.jobId);
        notifications.show({
          id: `migration-${running.jobId}`,
          loading: true,
          autoClose: false,
          withCloseButton: false,
          title: t('migration.background'),
          message: <MigrationJobView job={running} hostName={(id) => names.current.get(id) ?? id} />,
        });
      }}
    />
  );
}
