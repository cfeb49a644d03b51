import { Button, Menu } from '@mantine/core';
import { IconArrowsExchange } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { FleetDomain } from '../../../preload/api-contract';
import { openMigrateDialog } from './migrate-store';

/** "Migrate…" in the fleet's action menus: for one selected guest. */
export function MigrateMenuItem({ domains }: { domains: FleetDomain[] }) {
  const { t } = useTranslation();
  const one = domains.length === 1 ? domains[0] : undefined;
  return (
    <Menu.Item leftSection={<IconArrowsExchange size={14} />} disabled={!one} onClick={() => one && openMigrateDialog(one)} data-testid="menu-migrate">
      {t('migration.migrate')}
    </Menu.Item>
  );
}

/** The same entry as a button on the VM page. */
export function MigrateButton({ domain }: { domain: FleetDomain }) {
  const { t } = useTranslation();
  return (
    <Button size="xs" variant="default" leftSection={<IconArrowsExchange size={14} />} onClick={() => openMigrateDialog(domain)} data-testid="migrate-button">
      {t('migration.migrate')}
    </Button>
  );
}
