import { useEffect, useState } from 'react';
import { Alert, Button, Code, Group, Loader, Modal, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { SpiceToVncPlan } from '../../../../preload/api-contract';
import { useApi } from '../../api/api-context';
import { errorMessage } from '../../api';

/** Colour of one line of a unified diff. */
function lineColour(line: string): string | undefined {
  if (line.startsWith('+++') || line.startsWith('---')) return 'var(--mantine-color-dimmed)';
  if (line.startsWith('+')) return 'var(--mantine-color-green-7)';
  if (line.startsWith('-')) return 'var(--mantine-color-red-7)';
  if (line.startsWith('@@')) return 'var(--mantine-color-blue-6)';
  return undefined;
}

/**
 * "Switch to VNC": shows the change of the guest's persistent definition as a diff and applies it only
 * when confirmed. It takes effect at the guest's next boot.
 */
export function SwitchToVncDialog({
  opened,
  onClose,
  hostId,
  domainUuid,
}: {
  opened: boolean;
  onClose: () => void;
  hostId: string;
  domainUuid: string;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const [plan, setPlan] = useState<SpiceToVncPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [applying, setApplying] = useState(false);
  const [applied, setApplied] = useState(false);

  useEffect(() => {
    if (!opened) return;
    let live = true;
    setPlan(null);
    setError(null);
    setApplied(false);
    api.call('spice.switchToVncPlan', { hostId, uuid: domainUuid }).then(
      (answer) => live && setPlan(answer),
      (failure: unknown) => live && setError(errorMessage(failure)),
    );
    return () => {
      live = false;
    };
  }, [api, opened, hostId, domainUuid]);

  const apply = async () => {
    if (!plan) return;
    setApplying(true);
    setError(null);
    try {
      await api.call('spice.switchToVncApply', { hostId, uuid: domainUuid, version: plan.version });
      setApplied(true);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setApplying(false);
    }
  };

  const diffLines = plan ? plan.diff.split('\n').filter((line) => !line.startsWith('====')) : [];
  return (
    <Modal opened={opened} onClose={onClose} title={t('spice.switchTitle')} size="xl">
      <Stack gap="sm">
        <Text size="sm">{t('spice.switchExplain')}</Text>
        {!plan && !error && <Loader size="sm" />}
        {plan && (
          <>
            <Code block data-testid="spice-switch-diff" aria-label={t('spice.switchDiff')} style={{ maxHeight: 360, overflow: 'auto' }}>
              {diffLines.map((line, index) => (
                <div key={index} style={{ color: lineColour(line), whiteSpace: 'pre' }}>
                  {line || ' '}
                </div>
              ))}
            </Code>
            {plan.warnings.map((warning) => (
              <Alert key={warning} color="yellow">
                {warning}
              </Alert>
            ))}
          </>
        )}
        {error !== null && (
          <Alert color="red" title={t('spice.switchFailed')}>
            {error}
          </Alert>
        )}
        {applied ? (
          <Alert color="green" title={t('spice.switchDoneTitle')} data-testid="spice-switch-done">
            {t('spice.switchDone')}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {applied ? t('spice.close') : t('spice.cancel')}
          </Button>
          {!applied && (
            <Button color="orange" disabled={!plan} loading={applying} onClick={() => void apply()}>
              {t('spice.switchApply')}
            </Button>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}
