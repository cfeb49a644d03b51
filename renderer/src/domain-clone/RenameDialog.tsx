import { useEffect, useState } from 'react';
import { Alert, Button, Group, List, Loader, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import type { RenameCheck } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import type { DomainDialogTarget } from './dialog-store';

/** Rename a shut-off guest: why it cannot be renamed (before trying), the new name, the files that keep theirs. */
export function RenameDialog({ target, onClose }: { target: DomainDialogTarget; onClose(): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [check, setCheck] = useState<RenameCheck | null>(null);
  const [name, setName] = useState(target.name);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    api.call('domainClone.renameCheck', { hostId: target.hostId, uuid: target.uuid }).then(
      (value) => {
        if (!live) return;
        setCheck(value);
        setName(value.name);
      },
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [api, target]);

  const blocked = (check?.blockers.length ?? 0) > 0;
  const rename = async () => {
    if (!check) return;
    setBusy(true);
    setError(null);
    try {
      const result = await api.call('domainClone.rename', { hostId: target.hostId, uuid: target.uuid, from: check.name, name });
      notifications.show({ color: 'teal', message: t('domainClone.renamed', { name: result.name }) });
      onClose();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={onClose} title={t('domainClone.renameTitle', { name: target.name })} centered size="lg">
      <Stack data-testid="rename-dialog">
        {!check && !error && <Loader size="sm" />}
        {check && blocked && (
          <Alert color="red" title={t('domainClone.renameBlocked')} data-testid="rename-blockers">
            <List size="sm">
              {check.blockers.map((blocker, index) => (
                <List.Item key={index}>{t(`domainClone.messages.${blocker.key}` as never, blocker.values)}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        {check && (
          <TextInput
            label={t('domainClone.newName')}
            value={name}
            disabled={blocked}
            data-autofocus
            onChange={(event) => {
              setName(event.currentTarget.value);
              setError(null);
            }}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && !blocked && name.trim() !== '' && name.trim() !== check.name) void rename();
            }}
          />
        )}
        {check && check.keptPaths.length > 0 && (
          <Stack gap={2}>
            <Text size="sm" c="dimmed">
              {t('domainClone.renameHelp')}
            </Text>
            {check.keptPaths.map((path) => (
              <Text key={path} size="xs" ff="monospace" c="dimmed">
                {path}
              </Text>
            ))}
          </Stack>
        )}
        {error && (
          <Alert color="red" data-testid="rename-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('domainClone.close')}
          </Button>
          <Button disabled={!check || blocked || name.trim() === '' || name.trim() === check.name} loading={busy} onClick={() => void rename()}>
            {t('domainClone.renameButton')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
