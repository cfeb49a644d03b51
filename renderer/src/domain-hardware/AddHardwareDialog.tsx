import { useEffect, useState } from 'react';
import { Alert, Button, Group, Modal, NavLink, ScrollArea, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import type { HardwareDraft, HardwareKind, HardwarePreview, HardwareState } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { DiffBlock, XmlBlock, errorText } from '../networks/parts';
import { HardwareForm, KINDS, defaultDraft } from './HardwareForms';

export type Timing = 'both' | 'live' | 'config';

export function timingFlags(timing: Timing): { live: boolean; config: boolean } {
  return { live: timing !== 'config', config: timing !== 'live' };
}

/** The choice of when a change applies: now (running guest), at next boot, or both. */
export function TimingControl({ state, value, onChange }: { state: HardwareState; value: Timing; onChange(next: Timing): void }) {
  const { t } = useTranslation();
  return (
    <SegmentedControl
      aria-label={t('domainHardware.timing.label')}
      value={value}
      onChange={(v) => onChange(v as Timing)}
      data={[
        { value: 'both', label: t('domainHardware.timing.both'), disabled: !state.running || !state.persistent },
        { value: 'live', label: t('domainHardware.timing.live'), disabled: !state.running },
        { value: 'config', label: t('domainHardware.timing.config'), disabled: !state.persistent },
      ]}
    />
  );
}

export const defaultTiming = (state: HardwareState): Timing => (state.running ? (state.persistent ? 'both' : 'live') : 'config');

/**
 * "Add hardware": a device kind on the left, its form on the right; Preview shows the device XML, the
 * definition's diff and whether the running guest can take it now; Add applies exactly what was shown.
 */
export function AddHardwareDialog({ state, onClose, onAdded }: { state: HardwareState; onClose(): void; onAdded(next: HardwareState): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [kind, setKind] = useState<HardwareKind>('disk');
  const [draft, setDraft] = useState<HardwareDraft>(() => defaultDraft('disk', state.name));
  const [timing, setTiming] = useState<Timing>(defaultTiming(state));
  const [preview, setPreview] = useState<HardwarePreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Any edit invalidates the preview: Add applies only what was shown.
  useEffect(() => {
    setPreview(null);
    setError(null);
  }, [draft, timing]);

  const request = (d: HardwareDraft) => ({ hostId: state.hostId, uuid: state.uuid, draft: d, ...timingFlags(timing), basedOn: state.basedOn });

  const showPreview = async () => {
    setBusy(true);
    try {
      setPreview(await api.call('domainHardware.preview', request(draft)));
      setError(null);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  const add = async () => {
    if (!preview) return;
    setBusy(true);
    try {
      const result = await api.call('domainHardware.add', request(preview.draft));
      notifications.show({ color: 'green', message: t('domainHardware.added', { kind: t(`domainHardware.kinds.${kind}`) }) });
      onAdded(result.state);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  const liveWanted = timingFlags(timing).live;
  const blocked = preview !== null && ((liveWanted && !preview.liveOk) || preview.schemaProblems.length > 0);
  return (
    <Modal opened onClose={onClose} title={t('domainHardware.addTitle', { name: state.name })} size="80rem">
      <Group align="flex-start" wrap="nowrap" gap="md">
        <ScrollArea.Autosize mah={560} w={200} style={{ flexShrink: 0 }}>
          <Stack gap={0} role="tablist" aria-label={t('domainHardware.kindsLabel')}>
            {KINDS.map((k) => (
              <NavLink
                key={k}
                role="tab"
                aria-selected={k === kind}
                active={k === kind}
                label={t(`domainHardware.kinds.${k}`)}
                onClick={() => {
                  setKind(k);
                  setDraft(defaultDraft(k, state.name));
                }}
              />
            ))}
          </Stack>
        </ScrollArea.Autosize>
        <Stack gap="sm" style={{ flex: 1, minWidth: 0 }}>
          <Title order={4}>{t(`domainHardware.kinds.${kind}`)}</Title>
          <HardwareForm hostId={state.hostId} draft={draft} onChange={setDraft} />
          <Group justify="space-between">
            <TimingControl state={state} value={timing} onChange={setTiming} />
            <Group gap="xs">
              <Button variant="default" onClick={onClose}>
                {t('domainHardware.cancel')}
              </Button>
              <Button variant="light" loading={busy && !preview} onClick={() => void showPreview()}>
                {t('domainHardware.preview')}
              </Button>
              <Button disabled={!preview || blocked} loading={busy && !!preview} onClick={() => void add()}>
                {t('domainHardware.add')}
              </Button>
            </Group>
          </Group>
          {error && (
            <Alert color="red" data-testid="hardware-error">
              {error}
            </Alert>
          )}
          {preview && (
            <Stack gap="xs" data-testid="hardware-preview">
              {preview.liveReason && state.running && (
                <Alert color={liveWanted ? 'red' : 'yellow'} data-testid="hardware-live-reason">
                  {t(`domainHardware.messages.${preview.liveReason.key}` as never, preview.liveReason.values ?? {})}
                </Alert>
              )}
              {preview.notes.map((note) => (
                <Text key={note.key} size="sm">
                  {t(`domainHardware.messages.${note.key}` as never, note.values ?? {})}
                </Text>
              ))}
              {preview.schemaProblems.length > 0 && (
                <Alert color="red" title={t('domainHardware.schemaProblems')}>
                  {preview.schemaProblems.join('\n')}
                </Alert>
              )}
              <Text fw={500} size="sm">
                {t('domainHardware.deviceXml')}
              </Text>
              <XmlBlock xml={preview.deviceXml} testId="hardware-device-xml" />
              {preview.volumeXml && (
                <>
                  <Text fw={500} size="sm">
                    {t('domainHardware.volumeXml')}
                  </Text>
                  <XmlBlock xml={preview.volumeXml} testId="hardware-volume-xml" />
                </>
              )}
              {preview.diff && (
                <>
                  <Text fw={500} size="sm">
                    {t('domainHardware.diff')}
                  </Text>
                  <DiffBlock diff={preview.diff} testId="hardware-diff" />
                </>
              )}
            </Stack>
          )}
        </Stack>
      </Group>
    </Modal>
  );
}
