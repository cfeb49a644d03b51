import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Group, Loader, Modal, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { NetworkDetails, NetworkLiveChange, NetworkLiveChangePreview } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { errorText, XmlBlock } from './parts';

/**
 * Shows what a live change sends to libvirt (virNetworkUpdate: the element, section, command and whether
 * it reaches the running network, its definition or both) and applies it when confirmed.
 */
export function LiveChangeDialog({
  hostId,
  network,
  change,
  onClose,
  onApplied,
}: {
  hostId: string;
  network: string;
  change: NetworkLiveChange | null;
  onClose(): void;
  onApplied(details: NetworkDetails): void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const [preview, setPreview] = useState<NetworkLiveChangePreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setPreview(null);
    setError(null);
    if (!change) return;
    let live = true;
    api.call('networks.previewChange', { hostId, name: network, change }).then(
      (value) => live && setPreview(value),
      (failure: unknown) => live && setError(errorText(failure)),
    );
    return () => {
      live = false;
    };
  }, [api, hostId, network, change]);

  const apply = async () => {
    if (!change) return;
    setBusy(true);
    setError(null);
    try {
      onApplied(await api.call('networks.applyChange', { hostId, name: network, change }));
      onClose();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={change !== null} onClose={onClose} title={t('networks.change.title', { network })} size="lg">
      <Stack>
        {!preview && !error && <Loader size="sm" />}
        {preview && (
          <>
            <Group gap="xs">
              <Badge variant="light">{preview.section}</Badge>
              <Badge variant="light">{preview.command}</Badge>
              <Badge color={preview.affects === 'config' ? 'gray' : 'teal'} data-testid="network-change-affects">
                {t(`networks.change.affects.${preview.affects === 'live+config' ? 'both' : preview.affects}`)}
              </Badge>
            </Group>
            <Text size="sm">{t('networks.change.xml')}</Text>
            <XmlBlock xml={preview.xml} testId="network-change-xml" />
          </>
        )}
        {error && (
          <Alert color="red" role="alert" title={t('errors.title')}>
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('networks.cancel')}
          </Button>
          <Button onClick={() => void apply()} disabled={!preview} loading={busy}>
            {t('networks.change.apply')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
