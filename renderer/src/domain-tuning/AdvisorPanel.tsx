import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Card, Group, Loader, Modal, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { AdvisorFinding, TuningApplyResult } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { TuningEditor } from './TuningEditor';
import { AppliedNotice } from './TuningPanel';
import { useTuningContext } from './use-tuning-context';

/** The "Advisor" tab: findings with their reasons; Fix opens the same form filled in with the fix. */
export function AdvisorPanel({ hostId, uuid, running }: { hostId: string; uuid: string; running: boolean }) {
  const { t } = useTranslation();
  const api = useApi();
  const { context, reload } = useTuningContext(hostId, uuid, running);
  const [findings, setFindings] = useState<AdvisorFinding[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fixing, setFixing] = useState<AdvisorFinding | null>(null);
  const [result, setResult] = useState<TuningApplyResult | null>(null);
  const [generation, setGeneration] = useState(0);
  const refresh = useCallback(() => {
    reload();
    setGeneration((g) => g + 1);
  }, [reload]);
  useEffect(() => {
    let live = true;
    api.call('domainTuning.advice', { hostId, uuid }).then(
      (value) => live && (setFindings(value), setError(null)),
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [api, hostId, uuid, running, generation]);

  if (error) return <Alert color="red">{error}</Alert>;
  if (!findings) return <Loader size="sm" />;
  return (
    <Stack gap="sm">
      {result && <AppliedNotice result={result} onClose={() => setResult(null)} />}
      {findings.length === 0 && <Alert color="green">{t('domainTuning.advisor.none')}</Alert>}
      {findings.map((finding, index) => (
        <Card key={`${finding.rule}-${index}`} withBorder role="article" aria-label={t(`domainTuning.advisor.${finding.rule}.title`)}>
          <Group justify="space-between" align="flex-start" wrap="nowrap">
            <Stack gap={4} style={{ flex: 1 }}>
              <Group gap="xs">
                <Badge color={finding.severity === 'warning' ? 'orange' : 'blue'}>{t(`domainTuning.advisor.severity.${finding.severity}`)}</Badge>
                <Title order={3} size="h5">
                  {t(`domainTuning.advisor.${finding.rule}.title`)}
                </Title>
              </Group>
              <Text size="sm">{t(`domainTuning.advisor.${finding.rule}.reason`, finding.values)}</Text>
            </Stack>
            {finding.fix && (
              <Button size="xs" disabled={!context} onClick={() => setFixing(finding)} style={{ flexShrink: 0 }}>
                {t('domainTuning.advisor.fix')}
              </Button>
            )}
          </Group>
        </Card>
      ))}
      <Modal opened={fixing !== null} onClose={() => setFixing(null)} title={fixing ? t(`domainTuning.advisor.${fixing.rule}.title`) : ''} size="xl">
        {fixing?.fix && context && (
          <TuningEditor
            hostId={hostId}
            context={context}
            initial={fixing.fix}
            onApplied={(applied) => {
              setFixing(null);
              setResult(applied);
              refresh();
            }}
            onReload={() => {
              setFixing(null);
              refresh();
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}
