import { useState } from 'react';
import { ActionIcon, Alert, Badge, Button, Card, Group, Select, SimpleGrid, Spoiler, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { IconPencil, IconTrash } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { NetworkDetails, NetworkGuestNic, NetworkLiveChange } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { LiveChangeDialog } from './LiveChangeDialog';
import { NicEditDialog } from './NicEditDialog';
import { formatVlan, parseVlan, useLoaded, XmlBlock } from './parts';

/** One network in detail: leases, static DHCP hosts, DNS entries, port groups and the guests on it. */
export function NetworkDetailsPanel({ hostId, name, generation }: { hostId: string; name: string; generation: number }) {
  const { t } = useTranslation();
  const api = useApi();
  const details = useLoaded<NetworkDetails>(() => api.call('networks.details', { hostId, name }), [api, hostId, name, generation]);
  const [change, setChange] = useState<NetworkLiveChange | null>(null);
  const [nic, setNic] = useState<NetworkGuestNic | null>(null);
  const [dhcp, setDhcp] = useState({ ipIndex: '0', key: '', name: '', ip: '' });
  const [dns, setDns] = useState({ ip: '', names: '' });
  const [txt, setTxt] = useState({ name: '', value: '' });
  const [group, setGroup] = useState({ name: '', vlan: '', isDefault: false });
  const [formError, setFormError] = useState<string | null>(null);

  const net = details.data;
  if (details.error) return <Alert color="red">{details.error}</Alert>;
  if (!net) return <Text size="sm">{t('networks.loading')}</Text>;
  const ipOptions = net.ips.map((ip) => ({ value: String(ip.index), label: `${ip.address}/${ip.prefix} (${ip.family})` }));
  const routed = ['nat', 'route', 'open', 'isolated'].includes(net.forwardMode);
  const family = net.ips.find((ip) => String(ip.index) === dhcp.ipIndex)?.family ?? 'ipv4';
  const removeButton = (label: string, next: NetworkLiveChange) => (
    <Tooltip label={label}>
      <ActionIcon variant="subtle" color="red" aria-label={label} onClick={() => setChange(next)}>
        <IconTrash size={16} />
      </ActionIcon>
    </Tooltip>
  );

  return (
    <Stack gap="md" data-testid={`network-details-${net.name}`}>
      {net.unreadableHostFiles.length > 0 && (
        <Alert color="red" title={t('networks.hostFiles.title')} data-testid="network-host-files-unreadable">
          <Text size="sm">{t('networks.hostFiles.body')}</Text>
          <Text size="xs" ff="monospace" style={{ whiteSpace: 'pre-line' }}>
            {net.unreadableHostFiles.join('\n')}
          </Text>
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Card withBorder>
          <Title order={4} size="h6" mb="xs">
            {t('networks.leases.title')}
          </Title>
          {net.leases.length === 0 ? (
            <Text size="sm" c="dimmed">
              {net.active ? t('networks.leases.none') : t('networks.leases.inactive')}
            </Text>
          ) : (
            <Table aria-label={t('networks.leases.title')} data-testid="network-leases">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('networks.leases.address')}</Table.Th>
                  <Table.Th>{t('networks.leases.mac')}</Table.Th>
                  <Table.Th>{t('networks.leases.hostname')}</Table.Th>
                  <Table.Th>{t('networks.leases.expires')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {net.leases.map((lease) => (
                  <Table.Tr key={`${lease.ipaddr}-${lease.mac ?? lease.iaid ?? ''}`}>
                    <Table.Td>
                      {lease.ipaddr}/{lease.prefix}
                    </Table.Td>
                    <Table.Td>{lease.mac ?? lease.iaid ?? '—'}</Table.Td>
                    <Table.Td>{lease.hostname ?? '—'}</Table.Td>
                    <Table.Td>{new Date(lease.expiryTime * 1000).toLocaleString()}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
        <Card withBorder>
          <Title order={4} size="h6" mb="xs">
            {t('networks.guests.title')}
          </Title>
          {net.guests.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('networks.guests.none')}
            </Text>
          ) : (
            <Table aria-label={t('networks.guests.title')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('networks.guests.guest')}</Table.Th>
                  <Table.Th>{t('networks.leases.mac')}</Table.Th>
                  <Table.Th>{t('networks.guests.portgroup')}</Table.Th>
                  <Table.Th>{t('networks.guests.vlan')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {net.guests.map((guest) => (
                  <Table.Tr key={`${guest.uuid}-${guest.mac ?? ''}`}>
                    <Table.Td>
                      {guest.name} {guest.running && <Badge size="xs">{t('networks.guests.running')}</Badge>}
                    </Table.Td>
                    <Table.Td>{guest.mac ?? '—'}</Table.Td>
                    <Table.Td>{guest.portgroup ?? '—'}</Table.Td>
                    <Table.Td>{formatVlan(guest.effectiveVlan) || '—'}</Table.Td>
                    <Table.Td>
                      <ActionIcon variant="subtle" aria-label={t('networks.nic.edit', { guest: guest.name })} onClick={() => setNic(guest)}>
                        <IconPencil size={16} />
                      </ActionIcon>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      </SimpleGrid>

      {net.ips.length > 0 && (
        <Card withBorder>
          <Title order={4} size="h6" mb="xs">
            {t('networks.dhcpHosts.title')}
          </Title>
          <Table>
            <Table.Tbody>
              {net.ips.flatMap((ip) =>
                ip.dhcpHosts.map((host) => (
                  <Table.Tr key={`${ip.index}-${host.mac ?? host.id ?? host.name ?? ''}`}>
                    <Table.Td>{ip.address}</Table.Td>
                    <Table.Td>{host.mac ?? host.id ?? '—'}</Table.Td>
                    <Table.Td>{host.name ?? '—'}</Table.Td>
                    <Table.Td>{host.ip ?? '—'}</Table.Td>
                    <Table.Td>
                      {removeButton(t('networks.dhcpHosts.remove', { host: host.name ?? host.mac ?? host.ip ?? '' }), {
                        kind: 'dhcpHost',
                        op: 'delete',
                        ipIndex: ip.index,
                        host,
                      })}
                    </Table.Td>
                  </Table.Tr>
                )),
              )}
            </Table.Tbody>
          </Table>
          <Group align="flex-end" mt="xs">
            <Select label={t('networks.dhcpHosts.on')} data={ipOptions} value={dhcp.ipIndex} onChange={(v) => setDhcp({ ...dhcp, ipIndex: v ?? '0' })} allowDeselect={false} w={220} />
            <TextInput label={family === 'ipv4' ? t('networks.dhcpHosts.mac') : t('networks.dhcpHosts.duid')} value={dhcp.key} onChange={(e) => setDhcp({ ...dhcp, key: e.currentTarget.value })} />
            <TextInput label={t('networks.dhcpHosts.name')} value={dhcp.name} onChange={(e) => setDhcp({ ...dhcp, name: e.currentTarget.value })} />
            <TextInput label={t('networks.dhcpHosts.ip')} value={dhcp.ip} onChange={(e) => setDhcp({ ...dhcp, ip: e.currentTarget.value })} />
            <Button
              variant="light"
              onClick={() =>
                setChange({
                  kind: 'dhcpHost',
                  op: 'add',
                  ipIndex: Number(dhcp.ipIndex),
                  host: {
                    mac: family === 'ipv4' ? dhcp.key.trim() || null : null,
                    id: family === 'ipv6' ? dhcp.key.trim() || null : null,
                    name: dhcp.name.trim() || null,
                    ip: dhcp.ip.trim() || null,
                  },
                })
              }
            >
              {t('networks.dhcpHosts.add')}
            </Button>
          </Group>
        </Card>
      )}

      {routed && (
        <Card withBorder>
          <Title order={4} size="h6" mb="xs">
            {t('networks.dns.title')}
          </Title>
          <Table>
            <Table.Tbody>
              {net.dns.hosts.map((host) => (
                <Table.Tr key={`host-${host.ip}`}>
                  <Table.Td>A/AAAA</Table.Td>
                  <Table.Td>{host.hostnames.join(', ')}</Table.Td>
                  <Table.Td>{host.ip}</Table.Td>
                  <Table.Td>{removeButton(t('networks.dns.remove', { name: host.hostnames[0] ?? host.ip }), { kind: 'dnsHost', op: 'delete', host })}</Table.Td>
                </Table.Tr>
              ))}
              {net.dns.txts.map((record) => (
                <Table.Tr key={`txt-${record.name}`}>
                  <Table.Td>TXT</Table.Td>
                  <Table.Td>{record.name}</Table.Td>
                  <Table.Td>{record.value}</Table.Td>
                  <Table.Td>{removeButton(t('networks.dns.remove', { name: record.name }), { kind: 'dnsTxt', op: 'delete', txt: record })}</Table.Td>
                </Table.Tr>
              ))}
              {net.dns.srvs.map((record) => (
                <Table.Tr key={`srv-${record.service}-${record.protocol}-${record.target ?? ''}`}>
                  <Table.Td>SRV</Table.Td>
                  <Table.Td>
                    _{record.service}._{record.protocol}
                    {record.domain ? `.${record.domain}` : ''}
                  </Table.Td>
                  <Table.Td>{record.target ? `${record.target}:${record.port ?? ''}` : '—'}</Table.Td>
                  <Table.Td>{removeButton(t('networks.dns.remove', { name: record.service }), { kind: 'dnsSrv', op: 'delete', srv: record })}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Group align="flex-end" mt="xs">
            <TextInput label={t('networks.dns.ip')} value={dns.ip} onChange={(e) => setDns({ ...dns, ip: e.currentTarget.value })} />
            <TextInput label={t('networks.dns.names')} value={dns.names} onChange={(e) => setDns({ ...dns, names: e.currentTarget.value })} />
            <Button variant="light" onClick={() => setChange({ kind: 'dnsHost', op: 'add', host: { ip: dns.ip.trim(), hostnames: dns.names.split(/[\s,]+/).filter(Boolean) } })}>
              {t('networks.dns.addHost')}
            </Button>
            <TextInput label={t('networks.dns.txtName')} value={txt.name} onChange={(e) => setTxt({ ...txt, name: e.currentTarget.value })} />
            <TextInput label={t('networks.dns.txtValue')} value={txt.value} onChange={(e) => setTxt({ ...txt, value: e.currentTarget.value })} />
            <Button variant="light" onClick={() => setChange({ kind: 'dnsTxt', op: 'add', txt: { name: txt.name.trim(), value: txt.value } })}>
              {t('networks.dns.addTxt')}
            </Button>
          </Group>
        </Card>
      )}

      <Card withBorder>
        <Title order={4} size="h6" mb="xs">
          {t('networks.portGroups.title')}
        </Title>
        <Table>
          <Table.Tbody>
            {net.portGroups.map((pg) => (
              <Table.Tr key={pg.name}>
                <Table.Td>
                  {pg.name} {pg.isDefault && <Badge size="xs">{t('networks.portGroups.default')}</Badge>}
                </Table.Td>
                <Table.Td>{formatVlan(pg.vlan) || '—'}</Table.Td>
                <Table.Td>
                  {net.guests.filter((g) => g.portgroup === pg.name || (g.portgroup === null && pg.isDefault)).map((g) => g.name).join(', ') || '—'}
                </Table.Td>
                <Table.Td>{removeButton(t('networks.portGroups.remove', { name: pg.name }), { kind: 'portGroup', op: 'delete', portGroup: pg })}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Group align="flex-end" mt="xs">
          <TextInput label={t('networks.portGroups.name')} value={group.name} onChange={(e) => setGroup({ ...group, name: e.currentTarget.value })} />
          <TextInput label={t('networks.portGroups.vlan')} description={t('networks.vlanHelp')} value={group.vlan} onChange={(e) => setGroup({ ...group, vlan: e.currentTarget.value })} />
          <Button
            variant="light"
            onClick={() => {
              const vlan = parseVlan(group.vlan);
              if (vlan === undefined) return setFormError(t('networks.create.badVlan', { text: group.vlan }));
              setFormError(null);
              const exists = net.portGroups.some((pg) => pg.name === group.name.trim());
              setChange({ kind: 'portGroup', op: exists ? 'modify' : 'add', portGroup: { name: group.name.trim(), isDefault: group.isDefault, vlan } });
            }}
          >
            {t('networks.portGroups.save')}
          </Button>
        </Group>
        {formError && (
          <Alert color="red" mt="xs">
            {formError}
          </Alert>
        )}
      </Card>

      <Spoiler maxHeight={0} showLabel={t('networks.showXml')} hideLabel={t('networks.hideXml')}>
        <XmlBlock xml={net.xml} testId="network-xml" />
      </Spoiler>

      <LiveChangeDialog hostId={hostId} network={net.name} change={change} onClose={() => setChange(null)} onApplied={() => details.reload()} />
      <NicEditDialog hostId={hostId} nic={nic} portGroups={net.portGroups} onClose={() => setNic(null)} onApplied={() => details.reload()} />
    </Stack>
  );
}
