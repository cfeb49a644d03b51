import { useCallback, useState } from 'react';
import { Alert, Badge, Button, Card, Checkbox, Group, Modal, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDisc } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { MediaChange, MediaInsert, MediaPreview, MediaSource, MediaState } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useBusyCall } from '../api/use-busy-call';
import { useApi } from '../api/api-context';
import { useReadOnStateChange } from '../domains/use-read-on-state-change';
import { DiffBlock } from '../domain-clone/DiffBlock';

function sourceText(source: MediaSource | null | undefined, empty: string): string {
  if (!source) return empty;
  switch (source.type) {
    case 'file':
    case 'block':
      return source.path;
    case 'volume':
      return `${source.pool}/${source.volume}`;
    case 'network':
      return `${source.protocol}:${source.name}`;
  }
}

/**
 * The VM page's removable media: each CD-ROM or floppy drive with what is in it now (running guest) and
 * at next boot; Change… / Eject, and "Eject install media" after an install from media. Read again when
 * the guest starts or stops, but never under an open dialog (it keeps its choice; read once it closes).
 */
export function DomainMediaCard({ hostId, uuid, running }: { hostId: string; uuid: string; running: boolean }) {
  const { t } = useTranslation();
  const api = useApi();
  const [state, setState] = useState<MediaState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<{ kind: MediaChange['kind']; target: string | null } | null>(null);

  const load = useCallback(() => {
    api.call('domainMedia.state', { hostId, uuid }).then(
      (value) => (setState(value), setError(null)),
      (e: unknown) => setError(errorMessage(e)),
    );
  }, [api, hostId, uuid]);
  useReadOnStateChange(load, running, dialog !== null);

  if (error) return <Alert color="red">{error}</Alert>;
  if (!state || state.drives.length === 0) return null;
  const empty = t('domainMedia.empty');
  return (
    <Card withBorder data-testid="domain-media">
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h5">
          {t('domainMedia.title')}
        </Title>
        {state.installMedia && (
          <Button size="xs" variant="light" leftSection={<IconDisc size={14} />} onClick={() => setDialog({ kind: 'ejectInstallMedia', target: null })}>
            {t('domainMedia.ejectInstallMedia')}
          </Button>
        )}
      </Group>
      <Table>
        <Table.Tbody>
          {state.drives.map((drive) => {
            const now = state.running ? drive.live : drive.persistent;
            return (
              <Table.Tr key={drive.target} data-testid={`media-drive-${drive.target}`}>
                <Table.Td>
                  {drive.target}{' '}
                  <Text span size="xs" c="dimmed">
                    {drive.device}/{drive.bus ?? '–'}
                  </Text>
                  {drive.boots && (
                    <Badge size="xs" ml={6} variant="light">
                      {t('domainMedia.boots')}
                    </Badge>
                  )}
                  {drive.tray === 'open' && (
                    <Badge size="xs" ml={6} color="yellow" variant="light">
                      {t('domainMedia.trayOpen')}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }} data-testid="media-source">
                  {sourceText(now, empty)}
                  {state.running && drive.persistent !== undefined && sourceText(drive.persistent, empty) !== sourceText(drive.live, empty) && (
                    <Text size="xs" c="dimmed">
                      {t('domainMedia.nextBoot', { media: sourceText(drive.persistent, empty) })}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    <Button size="compact-xs" variant="light" onClick={() => setDialog({ kind: 'insert', target: drive.target })}>
                      {t('domainMedia.change')}
                    </Button>
                    <Button
                      size="compact-xs"
                      variant="light"
                      color="gray"
                      disabled={!now && !drive.persistent}
                      onClick={() => setDialog({ kind: 'eject', target: drive.target })}
                    >
                      {t('domainMedia.eject')}
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      {dialog && (
        <MediaDialog
          state={state}
          kind={dialog.kind}
          target={dialog.target}
          onClose={() => setDialog(null)}
          onApplied={(next) => {
            setState(next);
            setDialog(null);
            notifications.show({ color: 'teal', message: t('domainMedia.applied') });
          }}
        />
      )}
    </Card>
  );
}

function MediaDialog({
  state,
  kind,
  target,
  onClose,
  onApplied,
}: {
  state: MediaState;
  kind: MediaChange['kind'];
  target: string | null;
  onClose(): void;
  onApplied(state: MediaState): void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const [volume, setVolume] = useState<string | null>(null);
  const [path, setPath] = useState('');
  const [force, setForce] = useState(false);
  const [preview, setPreview] = useState<MediaPreview | null>(null);
  const { busy, error, setError, run } = useBusyCall();

  const insert: MediaInsert | null = (() => {
    if (kind !== 'insert') return null;
    const picked = state.isoVolumes.find((v) => `${v.pool}/${v.volume}` === volume);
    if (picked) return { type: 'volume', pool: picked.pool, volume: picked.volume };
    return path.trim() ? { type: 'file', path: path.trim() } : null;
  })();
  const change: MediaChange | null =
    kind === 'ejectInstallMedia'
      ? { kind }
      : kind === 'eject' && target
        ? { kind, target }
        : kind === 'insert' && target && insert
          ? { kind, target, source: insert }
          : null;
  const request = change && { hostId: state.hostId, uuid: state.uuid, change, basedOn: state.basedOn, force };
  const edit = (next: () => void) => {
    next();
    setPreview(null);
    setError(null);
  };
  const title =
    kind === 'ejectInstallMedia'
      ? t('domainMedia.installTitle')
      : kind === 'eject'
        ? t('domainMedia.ejectTitle', { target: target ?? '' })
        : t('domainMedia.changeTitle', { target: target ?? '' });

  return (
    <Modal opened onClose={onClose} title={title} size="xl" centered>
      <Stack data-testid="media-dialog">
        {kind === 'ejectInstallMedia' && <Text size="sm">{t('domainMedia.ejectInstallMediaHelp')}</Text>}
        {kind === 'insert' && (
          <>
            {state.isoVolumes.length > 0 && (
              <Select
                label={t('domainMedia.fromPool')}
                searchable
                clearable
                value={volume}
                data={state.isoVolumes.map((v) => ({ value: `${v.pool}/${v.volume}`, label: `${v.pool}/${v.volume}` }))}
                onChange={(value) => edit(() => setVolume(value))}
              />
            )}
            <TextInput
              label={t('domainMedia.path')}
              placeholder={t('domainMedia.pathPlaceholder')}
              value={path}
              disabled={volume !== null}
              onChange={(event) => {
                const value = event.currentTarget.value;
                edit(() => setPath(value));
              }}
            />
          </>
        )}
        {state.running && kind !== 'insert' && (
          <Checkbox label={t('domainMedia.force')} checked={force} onChange={(event) => {
            const checked = event.currentTarget.checked;
            edit(() => setForce(checked));
          }} />
        )}
        {preview && (
          <Stack gap="xs" data-testid="media-preview">
            <Badge color={preview.applies === 'next-boot' ? 'blue' : 'green'} data-testid="media-applies">
              {t(`domainMedia.applies.${preview.applies}`)}
            </Badge>
            {preview.warnings.map((warning, index) => (
              <Alert key={index} color="yellow">
                {t(`domainMedia.messages.${warning.key}` as never, warning.values)}
              </Alert>
            ))}
            {preview.liveDiff && (
              <>
                <Text size="sm" fw={500}>
                  {t('domainMedia.liveDiff')}
                </Text>
                <DiffBlock diff={preview.liveDiff} label={t('domainMedia.liveDiff')} testId="media-live-diff" maxHeight={200} />
              </>
            )}
            {preview.diff && (
              <>
                <Text size="sm" fw={500}>
                  {t('domainMedia.persistentDiff')}
                </Text>
                <DiffBlock diff={preview.diff} label={t('domainMedia.persistentDiff')} testId="media-diff" maxHeight={240} />
              </>
            )}
          </Stack>
        )}
        {error && (
          <Alert color="red" data-testid="media-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('domainMedia.cancel')}
          </Button>
          <Button
            variant="light"
            disabled={!request}
            loading={busy && !preview}
            onClick={() => request && void run(async () => setPreview(await api.call('domainMedia.preview', request)))}
          >
            {t('domainMedia.preview')}
          </Button>
          <Button
            disabled={!request || !preview || preview.warnings.some((w) => w.key === 'nothingToChange')}
            loading={busy && preview !== null}
            onClick={() => request && void run(async () => onApplied((await api.call('domainMedia.apply', request)).state))}
          >
            {t('domainMedia.apply')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
