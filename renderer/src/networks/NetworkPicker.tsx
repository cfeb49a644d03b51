import { Alert, Group, Select, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { NetworkSummary } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { formatVlan, useLoaded } from './parts';

export interface NetworkChoice {
  network: string;
  portgroup: string | null;
}

/**
 * Picks a network of the host and one of its port groups (with the VLAN each gives), for the VM page's
 * "Add hardware → Network interface" form. Inactive networks are offered and marked (a guest on one
 * cannot start until it runs).
 */
export function NetworkPicker({ hostId, value, onChange }: { hostId: string; value: NetworkChoice | null; onChange(next: NetworkChoice | null): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const networks = useLoaded<NetworkSummary[]>(() => api.call('networks.list', { hostId }), [api, hostId]);
  const list = networks.data ?? [];
  const selected = list.find((n) => n.name === value?.network) ?? null;
  return (
    <Group align="flex-start" grow data-testid="network-picker">
      <Select
        label={t('networks.picker.network')}
        data={list.map((n) => ({
          value: n.name,
          label: `${n.name} — ${t(`networks.forward.${n.forwardMode}`)}${n.active ? '' : ` (${t('networks.inactive')})`}`,
        }))}
        value={value?.network ?? null}
        onChange={(name) => {
          const net = list.find((n) => n.name === name);
          onChange(net ? { network: net.name, portgroup: net.portGroups.find((g) => g.isDefault)?.name ?? null } : null);
        }}
        error={networks.error}
        searchable
      />
      <Select
        label={t('networks.picker.portgroup')}
        data={(selected?.portGroups ?? []).map((g) => ({
          value: g.name,
          label: `${g.name}${g.vlan ? ` — VLAN ${formatVlan(g.vlan)}` : ''}${g.isDefault ? ` (${t('networks.portGroups.default')})` : ''}`,
        }))}
        value={value?.portgroup ?? null}
        onChange={(portgroup) => value && onChange({ ...value, portgroup })}
        disabled={!selected || selected.portGroups.length === 0}
        placeholder={selected && selected.portGroups.length === 0 ? t('networks.picker.noPortgroups') : undefined}
        clearable
      />
      {selected && !selected.active && (
        <Alert color="yellow" p="xs">
          <Text size="xs">{t('networks.picker.inactive')}</Text>
        </Alert>
      )}
    </Group>
  );
}
