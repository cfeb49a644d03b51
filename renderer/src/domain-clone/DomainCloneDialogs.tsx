import { useEffect, useRef } from 'react';
import { Button, Stack } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import type { CloneJob } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { CloneDialog } from './CloneDialog';
import { CloneJobView } from './CloneJobView';
import { closeDomainDialog, useDomainDialog } from './dialog-store';
import { jobEnded } from './format-job';
import { RenameDialog } from './RenameDialog';

/**
 * The clone and rename dialogs (mounted once per window), and a notification for each clone whose dialog
 * was closed while it ran, with its progress and a Cancel button until it ends.
 */
export function DomainCloneDialogs() {
  const { t } = useTranslation();
  const api = useApi();
  const open = useDomainDialog();
  const background = useRef(new Set<string>());

  useEffect(() => {
    const show = (job: CloneJob) => {
      const ended = jobEnded(job);
      notifications.update({
        id: `clone-${job.jobId}`,
        loading: !ended,
        autoClose: ended && job.state !== 'failed' ? 6_000 : false,
        withCloseButton: ended,
        color: job.state === 'failed' ? 'red' : job.state === 'done' ? 'teal' : undefined,
        message: (
          <Stack gap={4} data-testid="clone-notification">
            <CloneJobView job={job} compact />
            {(job.state === 'running' || job.state === 'queued') && (
              <Button size="compact-xs" variant="light" color="red" onClick={() => void api.call('domainClone.cancel', { jobId: job.jobId })}>
                {t('domainClone.cancel')}
              </Button>
            )}
          </Stack>
        ),
      });
      if (ended) background.current.delete(job.jobId);
    };
    return api.subscribe('domainClone.progress', (job) => {
      if (background.current.has(job.jobId)) show(job);
    });
  }, [api, t]);

  if (!open) return null;
  if (open.kind === 'rename') return <RenameDialog key={`${open.hostId}/${open.uuid}`} target={open} onClose={closeDomainDialog} />;
  return (
    <CloneDialog
      key={`${open.hostId}/${open.uuid}`}
      target={open}
      onClose={(running) => {
        closeDomainDialog();
        if (!running) return;
        background.current.add(running.jobId);
        notifications.show({
          id: `clone-${running.jobId}`,
          loading: true,
          autoClose: false,
          withCloseButton: false,
          title: t('domainClone.background'),
          message: <CloneJobView job={running} compact />,
        });
      }}
    />
  );
}
