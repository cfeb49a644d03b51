import { useEffect, useState } from 'react';
import { Alert, Button, Checkbox, Group, List, Loader, Modal, ScrollArea, Stack, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { DomainDeletionPlan } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import type { PendingConfirmation } from './use-domain-actions';

/**
 * Confirms a destructive action, naming every guest it touches. For delete it first asks main what the
 * deletion involves (managed save, snapshots, NVRAM, TPM) and lists the storage that could go with it;
 * no volume is removed unless the user ticks it.
 */
export function ConfirmActionDialog({
  pending,
  onCancel,
  onConfirm,
}: {
  pending: PendingConfirmation | null;
  onCancel(): void;
  onConfirm(removeStoragePaths?: string[]): void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const [plans, setPlans] = useState<DomainDeletionPlan[] | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [removePaths, setRemovePaths] = useState<Set<string>>(new Set());

  useEffect(() => {
    setPlans(null);
    setPlanError(null);
    setRemovePaths(new Set());
    if (pending?.action !== 'delete') return;
    let live = true;
    api.call('domains.deletionPlan', { targets: pending.domains.map(({ hostId, uuid }) => ({ hostId, uuid })) }).then(
      (result) => live && setPlans(result),
      (error: unknown) => live && setPlanError(errorMessage(error)),
    );
    return () => {
      live = false;
    };
  }, [api, pending]);

  if (!pending) return null;
  const { action, domains } = pending;
  const isDelete = action === 'delete';
  const ready = !isDelete || plans !== null;

  return (
    <Modal opened onClose={onCancel} title={t(`actions.confirm.${action}.title`, { count: domains.length })} size="lg" centered>
      <Stack>
        <Alert color="red" icon={<IconAlertTriangle />}>
          {t(`actions.confirm.${action}.body`)}
        </Alert>
        <ScrollArea.Autosize mah={320}>
          {!isDelete && (
            <List data-testid="confirm-names">
              {domains.map((domain) => (
                <List.Item key={`${domain.hostId}/${domain.uuid}`}>
                  <b>{domain.name}</b>
                </List.Item>
              ))}
            </List>
          )}
          {isDelete && planError && <Alert color="red">{planError}</Alert>}
          {isDelete && !plans && !planError && <Loader size="sm" />}
          {isDelete &&
            plans?.map((plan) => (
              <Stack key={`${plan.ref.hostId}/${plan.ref.uuid}`} gap={4} mb="sm" data-testid="delete-plan">
                <Text fw={600}>{plan.name}</Text>
                <Text size="xs" c="dimmed">
                  {[
                    plan.running && t('actions.confirm.delete.running'),
                    plan.hasManagedSave && t('actions.confirm.delete.managedSave'),
                    plan.snapshots > 0 && t('actions.confirm.delete.snapshots', { count: plan.snapshots }),
                    plan.hasNvram && t('actions.confirm.delete.nvram'),
                    plan.hasTpm && t('actions.confirm.delete.tpm'),
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </Text>
                {plan.volumes.map((volume) => (
                  <Checkbox
                    key={volume.path}
                    size="sm"
                    label={
                      <Text size="sm" ff="monospace">
                        {volume.path} ({volume.target})
                      </Text>
                    }
                    checked={removePaths.has(volume.path)}
                    onChange={(event) => {
                      const next = new Set(removePaths);
                      if (event.currentTarget.checked) next.add(volume.path);
                      else next.delete(volume.path);
                      setRemovePaths(next);
                    }}
                  />
                ))}
              </Stack>
            ))}
        </ScrollArea.Autosize>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel} data-autofocus>
            {t('hosts.cancel')}
          </Button>
          <Button
            color="red"
            disabled={!ready}
            onClick={() => onConfirm(isDelete ? [...removePaths] : undefined)}
          >
            {t(`actions.confirm.${action}.button`, { count: domains.length })}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
