import { Badge, NavLink } from '@mantine/core';
import { IconBell } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useAlerts } from './use-alerts';

/** "Alerts" in the navigation, with the number of open alerts. */
export function AlertsNavLink({ active, onClick }: { active: boolean; onClick(): void }) {
  const { t } = useTranslation();
  const open = useAlerts().filter((alert) => alert.status === 'open').length;
  return (
    <NavLink
      label={t('alerts.nav')}
      leftSection={<IconBell size={18} />}
      rightSection={open > 0 ? <Badge size="sm" color="red" data-testid="alerts-open-count">{open}</Badge> : null}
      active={active}
      aria-current={active ? 'page' : undefined}
      onClick={onClick}
    />
  );
}
