import { useState } from 'react';
import { Alert, Badge, Button, Code, Group, List, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { TuningApplyResult, TuningChange, TuningContext, TuningPreview } from '../../../preload/api-contract';
import { ApiCallError, errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { FormFields } from './FormFields';

const errorOf = (error: unknown) => ({
  message: errorMessage(error),
  conflict: error instanceof ApiCallError && error.error.code === 'conflict',
});

/**
 * One tuning form: its fields, then Preview (the XML diff and when it takes effect), then Apply. The
 * advisor's fixes open the same editor with the fix filled in.
 */
export function TuningEditor({
  hostId,
  context,
  initial,
  onApplied,
  onReload,
}: {
  hostId: string;
  context: TuningContext;
  initial: TuningChange;
  onApplied: (result: TuningApplyResult) => void;
  /** Reads the definition again (after someone else changed it on the host). */
  onReload: () => void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const [change, setChange] = useState<TuningChange>(initial);
  const [preview, setPreview] = useState<TuningPreview | null>(null);
  const [error, setError] = useState<{ message: string; conflict: boolean } | null>(null);
  const [busy, setBusy] = useState(false);

  const edit = (next: TuningChange) => {
    setChange(next);
    setPreview(null);
    setError(null);
  };
  const request = { hostId, uuid: context.uuid, change, basedOn: context.inactiveXml };
  const runPreview = async () => {
    setBusy(true);
    setError(null);
    try {
      setPreview(await api.call('domainTuning.preview', request));
    } catch (e) {
      setPreview(null);
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    setBusy(true);
    setError(null);
    try {
      onApplied(await api.call('domainTuning.apply', request));
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap="md">
      <FormFields context={context} value={change} onChange={edit} />
      <Group>
        <Button variant="light" onClick={() => void runPreview()} loading={busy && !preview}>
          {t('domainTuning.preview')}
        </Button>
      </Group>
      {error && (
        <Alert color="red" role="alert" title={t('domainTuning.failed')}>
          <Stack gap="xs" align="flex-start">
            <Text size="sm">{error.message}</Text>
            {error.conflict && (
              <Button size="xs" variant="light" onClick={onReload}>
                {t('domainTuning.reload')}
              </Button>
            )}
          </Stack>
        </Alert>
      )}
      {preview && <PreviewView preview={preview} />}
      {preview && (
        <Group>
          <Button onClick={() => void apply()} loading={busy} disabled={preview.plan.applies === 'nothing'}>
            {t('domainTuning.apply')}
          </Button>
          <Button variant="subtle" onClick={() => setPreview(null)}>
            {t('domainTuning.discard')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function PreviewView({ preview }: { preview: TuningPreview }) {
  const { t } = useTranslation();
  const { plan } = preview;
  const color = { both: 'green', 'next-boot': 'blue', mixed: 'yellow', nothing: 'gray' }[plan.applies];
  return (
    <Stack gap="xs" data-testid="tuning-preview">
      <Group gap="xs">
        <Title order={4} size="h5">
          {t('domainTuning.plan.title')}
        </Title>
        <Badge color={color} data-testid="tuning-applies">
          {t(`domainTuning.plan.applies.${plan.applies}`)}
        </Badge>
      </Group>
      {plan.fields.length > 0 && (
        <List size="sm" aria-label={t('domainTuning.plan.title')}>
          {plan.fields.map((field, index) => (
            <List.Item key={`${field.field}-${index}`}>
              {t(`domainTuning.fields.${field.field}` as never)}: {t(`domainTuning.plan.when.${field.when}`)}
              {field.reason && field.when === 'next-boot' ? ` (${t(`domainTuning.plan.reasons.${field.reason}` as never)})` : ''}
            </List.Item>
          ))}
        </List>
      )}
      {plan.liveCalls.length > 0 && (
        <Text size="sm" c="dimmed">
          {t('domainTuning.plan.liveCalls', { calls: plan.liveCalls.map((c) => c.call).join(', ') })}
        </Text>
      )}
      {preview.warnings.map((warning) => (
        <Alert key={warning.key} color="yellow">
          {t(`domainTuning.messages.${warning.key}` as never, warning.values)}
        </Alert>
      ))}
      {preview.diff ? (
        <ScrollArea.Autosize mah={360} type="auto">
          <Code block aria-label={t('domainTuning.diff')} data-testid="tuning-diff">
            {preview.diff
              .split('\n')
              .filter((line) => !line.startsWith('==='))
              .map((line, index) => (
                <span key={index} style={{ display: 'block', color: lineColor(line) }}>
                  {line || ' '}
                </span>
              ))}
          </Code>
        </ScrollArea.Autosize>
      ) : (
        <Text size="sm">{t('domainTuning.noChange')}</Text>
      )}
    </Stack>
  );
}

function lineColor(line: string): string | undefined {
  if (line.startsWith('+++') || line.startsWith('---')) return undefined;
  if (line.startsWith('+')) return 'var(--mantine-color-green-7)';
  if (line.startsWith('-')) return 'var(--mantine-color-red-7)';
  return undefined;
}
