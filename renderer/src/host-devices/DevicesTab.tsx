import { Fragment, useState } from 'react';
import { Alert, Badge, Button, Card, Code, Group, Modal, NumberInput, Select, Spoiler, Stack, Table, Text, Title } from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { HostDevicesReport, PciDeviceInfo } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { errorText, useLoaded, XmlBlock } from '../networks/parts';
import { PassthroughStatus } from './reasons';

const deviceLabel = (d: { vendorId: string; vendorName: string | null; productId: string; productName: string | null }) =>
  `${d.vendorName ?? d.vendorId} ${d.productName ?? d.productId} [${d.vendorId}:${d.productId}]`;

function Holders({ heldBy }: { heldBy: Array<{ name: string; running: boolean }> }) {
  const { t } = useTranslation();
  if (heldBy.length === 0) return <>—</>;
  return (
    <>
      {heldBy.map((h) => (
        <Text size="xs" key={h.name}>
          {h.name} {h.running ? <Badge size="xs">{t('networks.guests.running')}</Badge> : null}
        </Text>
      ))}
    </>
  );
}

/**
 * Host page → Devices: PCI devices by IOMMU group (isolation, driver, names, network interfaces on them,
 * which guest holds each and whether passthrough can work, with every reason), USB devices, mediated
 * devices and SR-IOV functions. With the IOMMU off it says so, with the evidence, and offers no PCI
 * passthrough.
 */
export function DevicesTab({ hostId }: { hostId: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const [generation, setGeneration] = useState(0);
  const report = useLoaded<HostDevicesReport>(() => api.call('hostDevices.list', { hostId }), [api, hostId, generation]);
  const [vf, setVf] = useState<{ device: PciDeviceInfo; count: number } | null>(null);
  const [mdev, setMdev] = useState<{ device: PciDeviceInfo; type: string | null; xml: string | null; uuid: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const refresh = () => setGeneration((g) => g + 1);

  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      refresh();
      return true;
    } catch (failure) {
      setError(errorText(failure));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const data = report.data;
  const groups = new Map<string, PciDeviceInfo[]>();
  for (const device of data?.pci ?? []) {
    const key = device.iommuGroup === null ? 'none' : String(device.iommuGroup);
    groups.set(key, [...(groups.get(key) ?? []), device]);
  }

  return (
    <Stack gap="md">
      {report.error && <Alert color="red">{report.error}</Alert>}
      {error && (
        <Alert color="red" role="alert" title={t('errors.title')} withCloseButton onClose={() => setError(null)}>
          {error}
        </Alert>
      )}
      {data && (
        <Alert color={data.iommu.enabled ? 'teal' : 'yellow'} title={t(data.iommu.enabled ? 'hostDevices.iommu.on' : 'hostDevices.iommu.off', { groups: data.iommu.groups })} data-testid="iommu-status">
          <Text size="sm">{t(data.iommu.enabled ? 'hostDevices.iommu.onHelp' : 'hostDevices.iommu.offHelp')}</Text>
          <Spoiler maxHeight={0} showLabel={t('host.checks.evidence')} hideLabel={t('host.checks.hideEvidence')}>
            <Code block data-testid="iommu-evidence">
              {data.iommu.evidence}
            </Code>
          </Spoiler>
          {!data.sysfsAgreement.agrees && (
            <Text size="xs" c="red" mt="xs">
              {t('hostDevices.disagree', { differences: data.sysfsAgreement.differences.join('; ') })}
            </Text>
          )}
        </Alert>
      )}
      <Card withBorder>
        <Group justify="space-between" mb="xs">
          <Title order={3} size="h5">
            {t('hostDevices.pci.title')}
          </Title>
          <Button size="xs" variant="default" leftSection={<IconRefresh size={14} />} onClick={refresh}>
            {t('networks.refresh')}
          </Button>
        </Group>
        <Table aria-label={t('hostDevices.pci.title')} data-testid="pci-devices">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('hostDevices.pci.address')}</Table.Th>
              <Table.Th>{t('hostDevices.pci.device')}</Table.Th>
              <Table.Th>{t('hostDevices.pci.driver')}</Table.Th>
              <Table.Th>{t('hostDevices.pci.interfaces')}</Table.Th>
              <Table.Th>{t('hostDevices.heldBy')}</Table.Th>
              <Table.Th>{t('hostDevices.passthrough.title')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {[...groups.entries()].map(([group, devices]) => (
              <Fragment key={group}>
                <Table.Tr>
                  <Table.Td colSpan={6} bg="var(--mantine-color-default-hover)">
                    <Group gap="xs">
                      <Text size="sm" fw={600}>
                        {group === 'none' ? t('hostDevices.group.none') : t('hostDevices.group.title', { group })}
                      </Text>
                      {group !== 'none' && (
                        <Badge size="xs" color={devices.every((d) => d.groupIsolated !== false) ? 'teal' : 'yellow'} variant="light">
                          {t(devices.every((d) => d.groupIsolated !== false) ? 'hostDevices.group.isolated' : 'hostDevices.group.shared')}
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
                {devices.map((device) => (
                  <Table.Tr key={device.name} data-testid={`pci-${device.address}`}>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {device.address}
                      </Text>
                      {device.physicalFunction && (
                        <Text size="xs" c="dimmed">
                          {t('hostDevices.sriov.vfOf', { pf: device.physicalFunction })}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{deviceLabel(device)}</Text>
                      <Text size="xs" c="dimmed">
                        {device.className ?? device.classCode}
                      </Text>
                      {device.sriov && (
                        <Group gap={4} mt={2}>
                          <Text size="xs">{t('hostDevices.sriov.count', { num: device.sriov.numVfs, max: device.sriov.maxVfs })}</Text>
                          <Button size="compact-xs" variant="subtle" disabled={!device.sriov.canSetCount} title={device.sriov.whyNotSetCount ?? undefined} onClick={() => setVf({ device, count: device.sriov?.numVfs ?? 0 })}>
                            {t('hostDevices.sriov.set')}
                          </Button>
                        </Group>
                      )}
                      {device.sriov && !device.sriov.canSetCount && device.sriov.whyNotSetCount && (
                        <Text size="xs" c="dimmed">
                          {device.sriov.whyNotSetCount}
                        </Text>
                      )}
                      {device.mdevTypes.length > 0 && (
                        <Button size="compact-xs" variant="subtle" onClick={() => setMdev({ device, type: null, xml: null, uuid: null })}>
                          {t('hostDevices.mdev.create')}
                        </Button>
                      )}
                    </Table.Td>
                    <Table.Td>{device.driver ?? '—'}</Table.Td>
                    <Table.Td>{device.netInterfaces.join(', ') || '—'}</Table.Td>
                    <Table.Td>
                      <Holders heldBy={device.heldBy} />
                    </Table.Td>
                    <Table.Td>
                      <PassthroughStatus passthrough={device.passthrough} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      </Card>

      <Card withBorder>
        <Title order={3} size="h5" mb="xs">
          {t('hostDevices.usb.title')}
        </Title>
        {data && data.usb.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('hostDevices.usb.none')}
          </Text>
        ) : (
          <Table aria-label={t('hostDevices.usb.title')}>
            <Table.Tbody>
              {(data?.usb ?? []).map((device) => (
                <Table.Tr key={device.name}>
                  <Table.Td>
                    {t('hostDevices.usb.busDevice', { bus: device.bus, device: device.device })}
                  </Table.Td>
                  <Table.Td>{deviceLabel(device)}</Table.Td>
                  <Table.Td>
                    <Holders heldBy={device.heldBy} />
                  </Table.Td>
                  <Table.Td>
                    <PassthroughStatus passthrough={device.passthrough} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>

      <Card withBorder>
        <Title order={3} size="h5" mb="xs">
          {t('hostDevices.mdev.title')}
        </Title>
        {data && data.mdevs.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t(data.pci.some((d) => d.mdevTypes.length > 0) ? 'hostDevices.mdev.none' : 'hostDevices.mdev.noParents')}
          </Text>
        ) : (
          <Table>
            <Table.Tbody>
              {(data?.mdevs ?? []).map((m) => (
                <Table.Tr key={m.name}>
                  <Table.Td>{m.uuid}</Table.Td>
                  <Table.Td>{m.type}</Table.Td>
                  <Table.Td>{m.parent}</Table.Td>
                  <Table.Td>
                    <Holders heldBy={m.heldBy} />
                  </Table.Td>
                  <Table.Td>
                    <Button size="compact-xs" color="red" variant="light" disabled={m.heldBy.some((h) => h.running) || busy} onClick={() => void run(() => api.call('hostDevices.removeMdev', { hostId, name: m.name }))}>
                      {t('hostDevices.mdev.remove')}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>

      <Modal opened={vf !== null} onClose={() => setVf(null)} title={vf ? t('hostDevices.sriov.title', { address: vf.device.address }) : ''}>
        {vf && vf.device.sriov && (
          <Stack>
            <Text size="sm">{t('hostDevices.sriov.help', { max: vf.device.sriov.maxVfs })}</Text>
            <NumberInput label={t('hostDevices.sriov.countLabel')} min={0} max={vf.device.sriov.maxVfs} value={vf.count} onChange={(v) => setVf({ ...vf, count: Number(v) })} />
            {vf.device.sriov.numVfs > 0 && (
              <Alert color="yellow">{t('hostDevices.sriov.resetWarning', { vfs: vf.device.sriov.vfs.join(', ') })}</Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setVf(null)}>
                {t('networks.cancel')}
              </Button>
              <Button loading={busy} onClick={() => void run(() => api.call('hostDevices.setVfCount', { hostId, name: vf.device.name, count: vf.count })).then((ok) => ok && setVf(null))}>
                {t('hostDevices.sriov.apply')}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>

      <Modal opened={mdev !== null} onClose={() => setMdev(null)} title={mdev ? t('hostDevices.mdev.createTitle', { device: mdev.device.address }) : ''} size="lg">
        {mdev && (
          <Stack>
            <Select
              label={t('hostDevices.mdev.type')}
              data={mdev.device.mdevTypes.map((type) => ({
                value: type.id,
                label: `${type.name ?? type.id} (${t('hostDevices.mdev.available', { count: type.availableInstances })})`,
                disabled: type.availableInstances < 1,
              }))}
              value={mdev.type}
              onChange={(type) => {
                setMdev({ ...mdev, type, xml: null, uuid: null });
                if (type)
                  void api.call('hostDevices.mdevXml', { hostId, parent: mdev.device.name, type }).then(
                    ({ xml, uuid }) => setMdev((m) => (m && m.type === type ? { ...m, xml, uuid } : m)),
                    (failure: unknown) => setError(errorText(failure)),
                  );
              }}
            />
            {mdev.xml && <XmlBlock xml={mdev.xml} />}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setMdev(null)}>
                {t('networks.cancel')}
              </Button>
              <Button
                disabled={!mdev.xml || !mdev.type || !mdev.uuid}
                loading={busy}
                onClick={() =>
                  void run(() => api.call('hostDevices.createMdev', { hostId, parent: mdev.device.name, type: mdev.type ?? '', uuid: mdev.uuid ?? undefined })).then(
                    (ok) => ok && setMdev(null),
                  )
                }
              >
                {t('hostDevices.mdev.createButton')}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
