import { lazy, Suspense, useState } from 'react';
import { Button, Loader } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { FleetDomain, HostEntry } from '../../../preload/api-contract';

/** The wizard loads with its first use (it brings Monaco for the XML page). */
const NewVmWizard = lazy(() => import('./NewVmWizard').then((module) => ({ default: module.NewVmWizard })));

/** Where the VM page opens after Create: on its serial or graphics console. */
export type OpenDomain = (domain: FleetDomain, tab?: 'serial' | 'graphics') => void;

/** "New VM": opens the wizard (on `hostId` when given, e.g. on a host page). */
export function NewVmButton({ hosts, hostId, onOpenDomain }: { hosts: HostEntry[]; hostId?: string; onOpenDomain: OpenDomain }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => setOpen(true)}>
        {t('newVm.button')}
      </Button>
      {open && (
        <Suspense fallback={<Loader size="xs" />}>
          <NewVmWizard hosts={hosts} initialHostId={hostId ?? null} onClose={() => setOpen(false)} onOpenDomain={onOpenDomain} />
        </Suspense>
      )}
    </>
  );
}
