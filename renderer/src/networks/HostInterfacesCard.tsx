import { Alert, Badge, Card, Code, Group, Spoiler, Table, Text, Title, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { HostInterfacesReport } from '../../../preload/api-contract';

/** The host's NICs, bridges, bonds and VLAN devices, read-only, with what carries VirtDeck's connection. */
export function HostInterfacesCard({ report, error }: { report: HostInterfacesReport | null; error: string | null }) {
  const { t } = useTranslation();
  return (
    <Card withBorder data-testid="host-interfaces">
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h5">
          {t('networks.interfaces.title')}
        </Title>
        <Text size="xs" c="dimmed">
          {t('networks.interfaces.readOnly')}
        </Text>
      </Group>
      {error && <Alert color="red">{error}</Alert>}
      {report?.sshConnection && (
        <Text size="sm" mb="xs" data-testid="host-ssh-connection">
          {t('networks.interfaces.ssh', {
            client: report.sshConnection.clientIp,
            server: report.sshConnection.serverIp,
            carriers: report.sshConnection.carriers.join(', ') || '—',
          })}
        </Text>
      )}
      {report && (
        <Table aria-label={t('networks.interfaces.title')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('networks.interfaces.name')}</Table.Th>
              <Table.Th>{t('networks.interfaces.kind')}</Table.Th>
              <Table.Th>{t('networks.interfaces.state')}</Table.Th>
              <Table.Th>{t('networks.interfaces.addresses')}</Table.Th>
              <Table.Th>{t('networks.interfaces.relations')}</Table.Th>
              <Table.Th>{t('networks.interfaces.device')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.interfaces.map((iface) => (
              <Table.Tr key={iface.name} data-testid={`host-interface-${iface.name}`}>
                <Table.Td>
                  <Group gap={4}>
                    <Text size="sm" fw={500}>
                      {iface.name}
                    </Text>
                    {iface.carriesSsh && (
                      <Tooltip label={t('networks.interfaces.carriesSshHelp')}>
                        <Badge size="xs" color="orange">
                          {t('networks.interfaces.carriesSsh')}
                        </Badge>
                      </Tooltip>
                    )}
                    {iface.carriesDefaultRoute && (
                      <Badge size="xs" color="blue">
                        {t('networks.interfaces.defaultRoute')}
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>
                  {t(`networks.interfaces.kinds.${iface.kind}`)}
                  {iface.vlanId !== null ? ` ${iface.vlanId}` : ''}
                </Table.Td>
                <Table.Td>
                  <Badge size="sm" variant="light" color={iface.state === 'up' ? 'teal' : iface.state === 'down' ? 'red' : 'gray'}>
                    {iface.state}
                  </Badge>
                  {iface.speed !== null && (
                    <Text span size="xs" c="dimmed" ml={4}>
                      {iface.speed} Mb/s
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{iface.addresses.map((a) => `${a.address}/${a.prefix}`).join(', ') || '—'}</Text>
                  {iface.mac && (
                    <Text size="xs" c="dimmed">
                      {iface.mac}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="xs">
                    {[
                      iface.master && t('networks.interfaces.master', { name: iface.master }),
                      iface.members.length > 0 && t('networks.interfaces.members', { names: iface.members.join(', ') }),
                      iface.parent && t('networks.interfaces.parent', { name: iface.parent }),
                    ]
                      .filter(Boolean)
                      .join(' · ') || '—'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{iface.device ?? '—'}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {report && (
        <Spoiler maxHeight={0} showLabel={t('host.checks.evidence')} hideLabel={t('host.checks.hideEvidence')} mt="xs">
          <Code block style={{ whiteSpace: 'pre-wrap' }}>
            {report.evidence}
          </Code>
        </Spoiler>
      )}
    </Card>
  );
}
