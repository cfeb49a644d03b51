import { useState } from 'react';
import { Alert, Loader, Stack, Tabs, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { TuningApplyResult, TuningChange, TuningContext, TuningForm } from '../../../preload/api-contract';
import { TuningEditor } from './TuningEditor';
import { useTuningContext } from './use-tuning-context';

const FORMS: TuningForm[] = ['cpu', 'pinning', 'memory', 'numa', 'disk', 'nic', 'boot', 'graphics', 'tpm'];

/** The form's starting values from the persistent definition; null when the guest has no such device. */
export function initialChange(context: TuningContext, form: TuningForm): TuningChange | null {
  const { state } = context;
  switch (form) {
    case 'disk': {
      const disk = state.disks[0];
      return disk ? { form: 'disk', target: disk.target, bus: disk.bus, cache: disk.cache, io: disk.io, discard: disk.discard, detectZeroes: disk.detectZeroes, iothread: disk.iothread } : null;
    }
    case 'nic': {
      const nic = state.nics[0];
      return nic ? { form: 'nic', mac: nic.mac, model: nic.model, queues: nic.queues } : null;
    }
    case 'graphics':
      return state.graphics[0] ?? null;
    case 'boot':
      return { form: 'boot', order: state.boot.order };
    default:
      return state[form];
  }
}

/** The "Tuning" tab of the VM page: one form per concern, each previewed as an XML diff and applied. */
export function TuningPanel({ hostId, uuid, running }: { hostId: string; uuid: string; running: boolean }) {
  const { t } = useTranslation();
  const { context, error, reload } = useTuningContext(hostId, uuid, running);
  const [form, setForm] = useState<TuningForm>('cpu');
  const [result, setResult] = useState<TuningApplyResult | null>(null);
  if (error) return <Alert color="red">{error}</Alert>;
  if (!context) return <Loader size="sm" />;
  const initial = initialChange(context, form);
  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        {t(running ? 'domainTuning.intro.running' : 'domainTuning.intro.off')}
      </Text>
      {result && <AppliedNotice result={result} onClose={() => setResult(null)} />}
      <Tabs value={form} onChange={(v) => v && (setForm(v as TuningForm), setResult(null))} variant="pills" orientation="vertical" keepMounted={false}>
        <Tabs.List aria-label={t('domainTuning.formsLabel')}>
          {FORMS.map((name) => (
            <Tabs.Tab key={name} value={name}>
              {t(`domainTuning.forms.${name}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {FORMS.map((name) => (
          <Tabs.Panel key={name} value={name} pl="md">
            {initial ? (
              <TuningEditor
                key={`${name}/${context.inactiveXml.length}/${context.inactiveXml}`}
                hostId={hostId}
                context={context}
                initial={initial}
                onApplied={(applied) => {
                  setResult(applied);
                  reload();
                }}
                onReload={reload}
              />
            ) : (
              <Text size="sm">{t('domainTuning.noDevice')}</Text>
            )}
          </Tabs.Panel>
        ))}
      </Tabs>
    </Stack>
  );
}

export function AppliedNotice({ result, onClose }: { result: TuningApplyResult; onClose: () => void }) {
  const { t } = useTranslation();
  const failed = result.live.filter((r) => !r.ok);
  return (
    <Alert color={failed.length ? 'yellow' : 'green'} withCloseButton closeButtonLabel={t('domainTuning.close')} onClose={onClose} role="status" title={t('domainTuning.applied')}>
      {result.live.length === 0 && t('domainTuning.appliedPersistent')}
      {result.live.map((r, index) => (
        <Text key={index} size="sm">
          {r.ok ? t('domainTuning.liveOk', { call: r.call.call }) : t('domainTuning.liveFailed', { call: r.call.call, error: r.error ?? '' })}
        </Text>
      ))}
    </Alert>
  );
}
