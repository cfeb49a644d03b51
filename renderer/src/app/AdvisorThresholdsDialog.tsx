import { useState } from 'react';
import { Button, Group, Modal, NumberInput, Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { AdvisorThresholds } from '../../../preload/api-contract';

const DEFAULTS: AdvisorThresholds = { vcpuPerThread: 0.8, memoryShare: 0.7 };

/** Edits the sizing advisor's two thresholds (the advisor's findings show them with their figures). */
export function AdvisorThresholdsDialog(props: {
  value: AdvisorThresholds;
  onCancel(): void;
  onSave(value: AdvisorThresholds): void;
}) {
  const { t } = useTranslation();
  const [vcpu, setVcpu] = useState<number | string>(props.value.vcpuPerThread);
  const [memoryPercent, setMemoryPercent] = useState<number | string>(Math.round(props.value.memoryShare * 100));
  const valid = typeof vcpu === 'number' && typeof memoryPercent === 'number';
  return (
    <Modal opened onClose={props.onCancel} title={t('app.advisor.title')}>
      <Stack>
        <NumberInput
          label={t('app.advisor.vcpuField')}
          description={t('app.advisor.vcpuHelp')}
          value={vcpu}
          onChange={setVcpu}
          min={0.1}
          max={16}
          step={0.1}
          decimalScale={2}
        />
        <NumberInput
          label={t('app.advisor.memoryField')}
          description={t('app.advisor.memoryHelp')}
          value={memoryPercent}
          onChange={setMemoryPercent}
          min={1}
          max={200}
          step={5}
          allowDecimal={false}
        />
        <Group justify="space-between">
          <Button
            variant="subtle"
            onClick={() => {
              setVcpu(DEFAULTS.vcpuPerThread);
              setMemoryPercent(DEFAULTS.memoryShare * 100);
            }}
          >
            {t('app.advisor.reset')}
          </Button>
          <Group gap="xs">
            <Button variant="default" onClick={props.onCancel}>
              {t('app.advisor.cancel')}
            </Button>
            <Button
              disabled={!valid}
              onClick={() => valid && props.onSave({ vcpuPerThread: vcpu, memoryShare: memoryPercent / 100 })}
            >
              {t('app.advisor.save')}
            </Button>
          </Group>
        </Group>
      </Stack>
    </Modal>
  );
}
