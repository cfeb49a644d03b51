import { Badge, Group, Stack, Text, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { PassthroughReason } from '../../../preload/api-contract';

/** Whether (and why not) a device can go to a guest: a badge and each reason in words. */
export function PassthroughStatus({ passthrough }: { passthrough: { possible: boolean; reasons: PassthroughReason[] } }) {
  const { t } = useTranslation();
  return (
    <Stack gap={2}>
      <Group gap={4}>
        <Badge size="sm" variant="light" color={passthrough.possible ? (passthrough.reasons.length > 0 ? 'yellow' : 'teal') : 'red'} data-testid="passthrough-status">
          {t(passthrough.possible ? 'hostDevices.passthrough.possible' : 'hostDevices.passthrough.refused')}
        </Badge>
      </Group>
      {passthrough.reasons.map((reason) => (
        <Tooltip key={reason.code + JSON.stringify(reason.values)} label={t(`hostDevices.reasons.${reason.severity}`)}>
          <Text size="xs" c={reason.severity === 'block' ? 'red' : 'yellow.8'} data-testid={`passthrough-reason-${reason.code}`}>
            {reasonText(t, reason)}
          </Text>
        </Tooltip>
      ))}
    </Stack>
  );
}

export function reasonText(t: ReturnType<typeof useTranslation>['t'], reason: PassthroughReason): string {
  const key = reason.values.via !== undefined && (reason.code === 'ssh-connection' || reason.code === 'default-route') ? `${reason.code}-via` : reason.code;
  const translate = t as unknown as (key: string, values: Record<string, string | number>) => string;
  return translate(`hostDevices.reasons.${key}`, reason.values);
}
