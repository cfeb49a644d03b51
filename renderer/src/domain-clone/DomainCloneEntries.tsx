import { Button, Menu } from '@mantine/core';
import { IconCopy, IconPencil } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { FleetDomain } from '../../../preload/api-contract';
import { openDomainDialog } from './dialog-store';

/** "Clone…" and "Rename…" in the fleet's action menus: for one selected guest (the dialog says why not). */
export function DomainCloneMenuItems({ domains }: { domains: FleetDomain[] }) {
  const { t } = useTranslation();
  const one = domains.length === 1 ? domains[0] : undefined;
  return (
    <>
      <Menu.Divider />
      <Menu.Item leftSection={<IconCopy size={14} />} disabled={!one} onClick={() => one && openDomainDialog('clone', one)}>
        {t('domainClone.clone')}
      </Menu.Item>
      <Menu.Item leftSection={<IconPencil size={14} />} disabled={!one} onClick={() => one && openDomainDialog('rename', one)}>
        {t('domainClone.rename')}
      </Menu.Item>
    </>
  );
}

/** The same two entries as buttons on the VM page. */
export function DomainCloneButtons({ domain }: { domain: FleetDomain }) {
  const { t } = useTranslation();
  return (
    <>
      <Button size="xs" variant="default" leftSection={<IconCopy size={14} />} onClick={() => openDomainDialog('clone', domain)}>
        {t('domainClone.clone')}
      </Button>
      <Button size="xs" variant="default" leftSection={<IconPencil size={14} />} onClick={() => openDomainDialog('rename', domain)}>
        {t('domainClone.rename')}
      </Button>
    </>
  );
}
