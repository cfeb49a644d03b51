import { Fragment } from 'react';
import { Menu } from '@mantine/core';
import { useOs } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';
import type { DomainAction, FleetDomain } from '../../../preload/api-contract';
import { DomainCloneMenuItems } from '../domain-clone/DomainCloneEntries';
import { MigrateMenuItem } from '../migration/MigrationEntries';
import { ACTION_MENU, actionApplies, shortcutLabel } from './domain-actions';

/** The actions as menu items, enabled when they apply to at least one selected guest. */
export function DomainActionMenuItems({
  domains,
  onAction,
}: {
  domains: FleetDomain[];
  onAction(action: DomainAction): void;
}) {
  const { t } = useTranslation();
  const mac = useOs() === 'macos';
  const items = ACTION_MENU.map(({ action, shortcut, danger, divider }) => {
    const applicable = domains.filter((domain) => actionApplies(action, domain)).length;
    return (
      <Fragment key={action}>
        {divider && <Menu.Divider />}
        <Menu.Item
          color={danger ? 'red' : undefined}
          disabled={applicable === 0}
          rightSection={shortcut ? shortcutLabel(shortcut, mac) : undefined}
          onClick={() => onAction(action)}
        >
          {domains.length > 1 && applicable > 0
            ? t('actions.menuCount', { action: t(`actions.names.${action}`), count: applicable })
            : t(`actions.names.${action}`)}
        </Menu.Item>
      </Fragment>
    );
  });
  return <>{items}<DomainCloneMenuItems domains={domains} /><MigrateMenuItem domains={domains} /></>;
}
