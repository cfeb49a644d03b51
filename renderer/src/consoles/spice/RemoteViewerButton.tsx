import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Group } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/api-context';
import { errorMessage } from '../../api';

/** Open remote-viewer sessions by guest, so the button finds its session again after the page remounts. */
const openSessions = new Map<string, string>();

/**
 * "Open in remote-viewer": shown only when remote-viewer (virt-viewer) is installed where VirtDeck's
 * services run. The viewer's SPICE channels are tunnelled through the host's SSH connection.
 */
export function RemoteViewerButton({ hostId, domainUuid, channel }: { hostId: string; domainUuid: string; channel: number }) {
  const { t } = useTranslation();
  const api = useApi();
  const key = `${hostId}/${domainUuid}/${channel}`;
  const [available, setAvailable] = useState(false);
  const [sessionId, setSessionId] = useState<string | null>(() => openSessions.get(key) ?? null);
  const [opening, setOpening] = useState(false);
  const [channels, setChannels] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.call('spice.remoteViewerAvailable', null).then(
      (answer) => live && setAvailable(answer.available),
      () => live && setAvailable(false),
    );
    return () => {
      live = false;
    };
  }, [api]);

  // While a viewer runs, follow it: the session ends when the user closes the viewer's window.
  useEffect(() => {
    if (!sessionId) return;
    let live = true;
    const check = () =>
      api.call('spice.remoteViewerStatus', { sessionId }).then(
        (status) => {
          if (!live) return;
          setChannels(status.channels.filter((c) => c.state === 'ready').map((c) => c.channel ?? '?'));
          if (!status.running) {
            openSessions.delete(key);
            setSessionId(null);
          }
        },
        () => undefined,
      );
    void check();
    const timer = setInterval(() => void check(), 1_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, sessionId, key]);

  if (!available) return null;

  const open = async () => {
    setOpening(true);
    setError(null);
    try {
      const { sessionId: id } = await api.call('spice.remoteViewerOpen', { hostId, uuid: domainUuid, channel });
      openSessions.set(key, id);
      setSessionId(id);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setOpening(false);
    }
  };

  const close = async () => {
    if (!sessionId) return;
    openSessions.delete(key);
    setSessionId(null);
    await api.call('spice.remoteViewerClose', { sessionId }).catch(() => undefined);
  };

  return (
    <>
      {sessionId ? (
        <Group gap={4} data-testid="remote-viewer-session" data-channels={channels.join(' ')}>
          <Badge variant="light" color="teal" title={channels.join(', ')}>
            {t('spice.remoteViewerRunning', { count: channels.length })}
          </Badge>
          <Button size="xs" variant="subtle" onClick={() => void close()}>
            {t('spice.remoteViewerClose')}
          </Button>
        </Group>
      ) : (
        <Button size="xs" variant="light" loading={opening} onClick={() => void open()}>
          {t('spice.remoteViewerOpen')}
        </Button>
      )}
      {error !== null && (
        <Alert color="red" withCloseButton onClose={() => setError(null)} title={t('spice.remoteViewerFailed')}>
          {error}
        </Alert>
      )}
    </>
  );
}
