import { Alert, Radio, ScrollArea, Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { HostDeviceSelector, HostDevicesReport, PassthroughReason } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { useLoaded } from '../networks/parts';
import { PassthroughStatus } from './reasons';

interface Row {
  selector: HostDeviceSelector;
  label: string;
  detail: string;
  passthrough: { possible: boolean; reasons: PassthroughReason[] };
}

function rows(report: HostDevicesReport): Row[] {
  return [
    ...report.pci.map((d) => ({
      selector: { kind: 'pci' as const, name: d.name },
      label: `${d.address} ${d.vendorName ?? d.vendorId} ${d.productName ?? d.productId}`,
      detail: `${d.className ?? d.classCode}${d.iommuGroup !== null ? ` · IOMMU group ${d.iommuGroup}` : ''}`,
      passthrough: d.passthrough,
    })),
    ...report.usb.map((d) => ({
      selector: { kind: 'usb' as const, name: d.name },
      label: `USB ${d.bus}:${d.device} ${d.vendorName ?? d.vendorId} ${d.productName ?? d.productId}`,
      detail: `${d.vendorId}:${d.productId}`,
      passthrough: d.passthrough,
    })),
    ...report.mdevs.map((d) => ({ selector: { kind: 'mdev' as const, name: d.name }, label: `mdev ${d.uuid}`, detail: d.type, passthrough: d.passthrough })),
  ];
}

/**
 * Picks a host device for the VM page's "Add hardware → Host device" form: every PCI, USB and mediated
 * device, those that cannot be given to a guest disabled with the reasons (IOMMU off, carries the
 * host's connection, held by a running guest…), warnings (shared IOMMU group…) shown beside the rest.
 */
export function HostDevicePicker({ hostId, value, onChange }: { hostId: string; value: HostDeviceSelector | null; onChange(next: HostDeviceSelector): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const report = useLoaded<HostDevicesReport>(() => api.call('hostDevices.list', { hostId }), [api, hostId]);
  if (report.error) return <Alert color="red">{report.error}</Alert>;
  if (!report.data) return <Text size="sm">{t('networks.loading')}</Text>;
  const list = rows(report.data);
  const key = (s: HostDeviceSelector) => `${s.kind}:${s.name}`;
  return (
    <Stack gap="xs" data-testid="host-device-picker">
      {!report.data.iommu.enabled && (
        <Alert color="yellow" title={t('hostDevices.iommu.off', { groups: report.data.iommu.groups })}>
          {t('hostDevices.iommu.offHelp')}
        </Alert>
      )}
      <Radio.Group value={value ? key(value) : null} onChange={(k) => {
        const row = list.find((r) => key(r.selector) === k);
        if (row) onChange(row.selector);
      }}>
        <ScrollArea.Autosize mah={420}>
          <Table>
            <Table.Tbody>
              {list.map((row) => (
                <Table.Tr key={key(row.selector)}>
                  <Table.Td>
                    <Radio value={key(row.selector)} disabled={!row.passthrough.possible} aria-label={row.label} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{row.label}</Text>
                    <Text size="xs" c="dimmed">
                      {row.detail}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <PassthroughStatus passthrough={row.passthrough} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea.Autosize>
      </Radio.Group>
    </Stack>
  );
}
