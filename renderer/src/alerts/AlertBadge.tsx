import { Badge, Tooltip } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Alert } from '../../../preload/api-contract';

export const SEVERITY_COLORS = { info: 'blue', warning: 'orange', critical: 'red' } as const;

/** A small badge on a fleet row, host link or page title while an alert about it is open. */
export function AlertBadge({ alert }: { alert: Alert | undefined }) {
  const { t } = useTranslation();
  if (!alert) return null;
  return (
    <Tooltip label={`${alert.ruleName}${alert.status === 'acknowledged' ? ` (${t('alerts.status.acknowledged')})` : ''}`}>
      <Badge
        size="xs"
        color={SEVERITY_COLORS[alert.severity]}
        variant={alert.status === 'acknowledged' ? 'outline' : 'filled'}
        leftSection={<IconAlertTriangle size={10} />}
        data-testid="alert-badge"
        aria-label={t('alerts.badge', { rule: alert.ruleName })}
      >
        {t(`alerts.severity.${alert.severity}`)}
      </Badge>
    </Tooltip>
  );
}
