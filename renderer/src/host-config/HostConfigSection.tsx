import { useState } from 'react';
import { Button, Card, Group, Modal, Text, Title } from '@mantine/core';
import { IconSettings } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { HostEntry } from '../../../preload/api-contract';
import { HostConfigEditor } from './HostConfigEditor';

/**
 * The host page's "Configuration" section: opens the editor of qemu.conf and the daemon's .conf. It
 * works over its own SSH connection, so it also opens when libvirt on the host does not run.
 */
export function HostConfigSection({ host }: { host: HostEntry }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const ssh = host.transport !== 'local-socket';
  return (
    <Card withBorder data-testid="host-config-section">
      <Group justify="space-between">
        <div>
          <Title order={3} size="h5">
            {t('hostConfig.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {ssh ? t('hostConfig.summary') : t('hostConfig.needsSsh')}
          </Text>
        </div>
        <Button leftSection={<IconSettings size={16} />} onClick={() => setOpen(true)} disabled={!ssh}>
          {t('hostConfig.open')}
        </Button>
      </Group>
      <Modal
        opened={open}
        onClose={() => setOpen(false)}
        fullScreen
        title={t('hostConfig.modalTitle', { host: host.displayName })}
      >
        {open && <HostConfigEditor hostId={host.id} />}
      </Modal>
    </Card>
  );
}
