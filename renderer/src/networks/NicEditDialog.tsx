import { useEffect, useState } from 'react';
import { Alert, Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { NetworkGuestNic, NetworkPortGroup } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { DiffBlock, errorText, formatVlan, parseVlan } from './parts';

/**
 * A guest NIC's port group and VLAN tags: the change of the guest's definition as a diff (only that
 * interface changes), applied at the guest's next boot.
 */
export function NicEditDialog({
  hostId,
  nic,
  portGroups,
  onClose,
  onApplied,
}: {
  hostId: string;
  nic: NetworkGuestNic | null;
  portGroups: NetworkPortGroup[];
  onClose(): void;
  onApplied(): void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const [portgroup, setPortgroup] = useState<string | null>(null);
  const [vlanText, setVlanText] = useState('');
  const [plan, setPlan] = useState<{ version: string; diff: string; key: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setPortgroup(nic?.portgroup ?? null);
    setVlanText(formatVlan(nic?.vlan ?? null));
    setPlan(null);
    setError(null);
  }, [nic]);

  if (!nic) return null;
  const vlan = parseVlan(vlanText);
  const key = JSON.stringify([portgroup, vlan]);
  const request = () => {
    if (vlan === undefined) throw new Error(t('networks.create.badVlan', { text: vlanText }));
    return { hostId, uuid: nic.uuid, mac: nic.mac ?? '', portgroup, vlan };
  };

  const preview = async () => {
    setError(null);
    try {
      const answer = await api.call('networks.nicEditPreview', request());
      setPlan({ ...answer, key });
    } catch (failure) {
      setPlan(null);
      setError(errorText(failure));
    }
  };

  const apply = async () => {
    if (!plan) return;
    setBusy(true);
    try {
      await api.call('networks.nicEditApply', { ...request(), version: plan.version });
      onApplied();
      onClose();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  const current = plan && plan.key === key ? plan : null;
  return (
    <Modal opened onClose={onClose} title={t('networks.nic.title', { guest: nic.name, mac: nic.mac ?? '' })} size="lg">
      <Stack>
        <Text size="sm" c="dimmed">
          {t('networks.nic.help')}
        </Text>
        <Select
          label={t('networks.nic.portgroup')}
          data={portGroups.map((g) => ({ value: g.name, label: g.isDefault ? `${g.name} (${t('networks.portGroups.default')})` : g.name }))}
          value={portgroup}
          onChange={setPortgroup}
          clearable
          placeholder={t('networks.nic.noPortgroup')}
        />
        <TextInput label={t('networks.nic.vlan')} description={t('networks.vlanHelp')} value={vlanText} onChange={(e) => setVlanText(e.currentTarget.value)} />
        {error && (
          <Alert color="red" role="alert" title={t('errors.title')}>
            {error}
          </Alert>
        )}
        {current && <DiffBlock diff={current.diff} testId="nic-edit-diff" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('networks.cancel')}
          </Button>
          <Button variant="light" onClick={() => void preview()}>
            {t('networks.nic.preview')}
          </Button>
          <Button onClick={() => void apply()} disabled={!current} loading={busy}>
            {t('networks.nic.apply')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
