import { useMemo, useState } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { HostInterface, NetworkDhcpHost, NetworkDraft, NetworkDraftIp, NetworkPortGroup } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { errorText, parseVlan, XmlBlock } from './parts';

type Mode = NetworkDraft['mode'];

interface IpForm {
  enabled: boolean;
  address: string;
  prefix: number;
  dhcp: boolean;
  start: string;
  end: string;
  hosts: string;
}

const emptyIp = (family: 'ipv4' | 'ipv6'): IpForm =>
  family === 'ipv4'
    ? { enabled: true, address: '192.168.150.1', prefix: 24, dhcp: true, start: '192.168.150.100', end: '192.168.150.199', hosts: '' }
    : { enabled: false, address: 'fd00:150::1', prefix: 64, dhcp: false, start: 'fd00:150::100', end: 'fd00:150::1ff', hosts: '' };

/** "MAC-or-DUID, name, IP" per line (IPv4: MAC; IPv6: DUID). */
function parseHosts(text: string, family: 'ipv4' | 'ipv6'): NetworkDhcpHost[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [key = '', name = '', ip = ''] = line.split(',').map((part) => part.trim());
      return { mac: family === 'ipv4' ? key || null : null, id: family === 'ipv6' ? key || null : null, name: name || null, ip: ip || null };
    });
}

function toDraftIp(form: IpForm, family: 'ipv4' | 'ipv6'): NetworkDraftIp | null {
  if (!form.enabled) return null;
  return {
    address: form.address,
    prefix: form.prefix,
    dhcp: form.dhcp ? { start: form.start, end: form.end } : null,
    hosts: parseHosts(form.hosts, family),
  };
}

function IpFields({ family, form, onChange }: { family: 'ipv4' | 'ipv6'; form: IpForm; onChange(next: IpForm): void }) {
  const { t } = useTranslation();
  const set = (patch: Partial<IpForm>) => onChange({ ...form, ...patch });
  return (
    <Stack gap="xs">
      <Checkbox label={t(`networks.create.${family}`)} checked={form.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
      {form.enabled && (
        <>
          <SimpleGrid cols={2}>
            <TextInput label={t(`networks.create.${family}Address`)} value={form.address} onChange={(e) => set({ address: e.currentTarget.value })} />
            <NumberInput label={t(`networks.create.${family}Prefix`)} value={form.prefix} min={1} max={family === 'ipv4' ? 32 : 128} onChange={(v) => set({ prefix: Number(v) })} />
          </SimpleGrid>
          <Checkbox label={t(`networks.create.${family}Dhcp`)} checked={form.dhcp} onChange={(e) => set({ dhcp: e.currentTarget.checked })} />
          {form.dhcp && (
            <SimpleGrid cols={2}>
              <TextInput label={t(`networks.create.${family}DhcpStart`)} value={form.start} onChange={(e) => set({ start: e.currentTarget.value })} />
              <TextInput label={t(`networks.create.${family}DhcpEnd`)} value={form.end} onChange={(e) => set({ end: e.currentTarget.value })} />
            </SimpleGrid>
          )}
          <Textarea
            label={t(`networks.create.${family}Hosts`)}
            description={t(`networks.create.${family}HostsHelp`)}
            autosize
            minRows={1}
            value={form.hosts}
            onChange={(e) => set({ hosts: e.currentTarget.value })}
          />
        </>
      )}
    </Stack>
  );
}

/** Port groups, one per line: "name [VLAN tags] [default]". */
function parsePortGroups(text: string): NetworkPortGroup[] | string {
  const groups: NetworkPortGroup[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const words = line.split(/\s+/);
    const name = words.shift() ?? '';
    const isDefault = words.includes('default');
    const vlanText = words.filter((w) => w !== 'default').join(' ');
    const vlan = parseVlan(vlanText);
    if (vlan === undefined) return line;
    groups.push({ name, isDefault, vlan });
  }
  return groups;
}

/**
 * "Create network": NAT, routed, open and isolated networks (IPv4/IPv6, DHCP range, static hosts, DNS
 * hosts, domain), a network on an existing host bridge, macvtap pools; port groups and VLANs. The XML is
 * shown before anything is created; libvirt's own error is shown when it refuses.
 */
export function CreateNetworkDialog({
  hostId,
  interfaces,
  opened,
  onClose,
  onCreated,
}: {
  hostId: string;
  interfaces: HostInterface[];
  opened: boolean;
  onClose(): void;
  onCreated(name: string): void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const [name, setName] = useState('');
  const [mode, setMode] = useState<Mode>('nat');
  const [bridgeName, setBridgeName] = useState('');
  const [forwardDev, setForwardDev] = useState<string | null>(null);
  const [macvtapMode, setMacvtapMode] = useState<NetworkDraft['macvtapMode']>('bridge');
  const [macvtapInterfaces, setMacvtapInterfaces] = useState<string[]>([]);
  const [openvswitch, setOpenvswitch] = useState(false);
  const [domainName, setDomainName] = useState('');
  const [localOnly, setLocalOnly] = useState(false);
  const [ipv4, setIpv4] = useState<IpForm>(emptyIp('ipv4'));
  const [ipv6, setIpv6] = useState<IpForm>(emptyIp('ipv6'));
  const [dnsHosts, setDnsHosts] = useState('');
  const [portGroups, setPortGroups] = useState('');
  const [vlanText, setVlanText] = useState('');
  const [autostart, setAutostart] = useState(false);
  const [start, setStart] = useState(true);
  const [preview, setPreview] = useState<{ xml: string; key: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const routed = mode === 'nat' || mode === 'route' || mode === 'open' || mode === 'isolated';
  const ifaceNames = interfaces.filter((i) => i.kind !== 'loopback').map((i) => i.name);
  const bridges = interfaces.filter((i) => i.kind === 'bridge').map((i) => i.name);

  const built = useMemo((): { draft: NetworkDraft } | { problem: string } => {
    const groups = parsePortGroups(portGroups);
    if (typeof groups === 'string') return { problem: t('networks.create.badPortGroup', { line: groups }) };
    const vlan = parseVlan(vlanText);
    if (vlan === undefined) return { problem: t('networks.create.badVlan', { text: vlanText }) };
    return {
      draft: {
        name: name.trim(),
        mode,
        bridgeName: bridgeName.trim() || null,
        forwardDev: mode === 'nat' || mode === 'route' ? forwardDev : null,
        macvtapMode,
        macvtapInterfaces: mode === 'macvtap' ? macvtapInterfaces : [],
        virtualport: mode === 'bridge' && openvswitch ? 'openvswitch' : null,
        domainName: routed ? domainName.trim() || null : null,
        domainLocalOnly: localOnly,
        ipv4: routed ? toDraftIp(ipv4, 'ipv4') : null,
        ipv6: routed ? toDraftIp(ipv6, 'ipv6') : null,
        dnsHosts: routed
          ? dnsHosts
              .split('\n')
              .map((l) => l.trim().split(/\s+/))
              .filter((w) => w[0])
              .map(([ip = '', ...names]) => ({ ip, hostnames: names }))
          : [],
        dnsTxts: [],
        dnsSrvs: [],
        portGroups: groups,
        vlan,
        autostart,
        start,
      },
    };
  }, [name, mode, bridgeName, forwardDev, macvtapMode, macvtapInterfaces, openvswitch, domainName, localOnly, ipv4, ipv6, dnsHosts, portGroups, vlanText, autostart, start, routed, t]);
  const key = JSON.stringify(built);
  const current = preview && preview.key === key ? preview : null;

  const showXml = async () => {
    setError(null);
    if ('problem' in built) return setError(built.problem);
    try {
      const { xml } = await api.call('networks.preview', { hostId, draft: built.draft });
      setPreview({ xml, key });
    } catch (failure) {
      setPreview(null);
      setError(errorText(failure));
    }
  };

  const create = async () => {
    if (!current || 'problem' in built) return;
    setBusy(true);
    setError(null);
    try {
      await api.call('networks.create', { hostId, draft: built.draft });
      onCreated(built.draft.name);
      onClose();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  const modes: Array<{ value: Mode; label: string }> = (['nat', 'route', 'open', 'isolated', 'bridge', 'macvtap'] as const).map((value) => ({
    value,
    label: t(`networks.mode.${value}`),
  }));

  return (
    <Modal opened={opened} onClose={onClose} title={t('networks.create.title')} size="xl">
      <Stack>
        <SimpleGrid cols={2}>
          <TextInput label={t('networks.create.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus required />
          <Select label={t('networks.create.mode')} data={modes} value={mode} onChange={(v) => v && setMode(v as Mode)} allowDeselect={false} />
        </SimpleGrid>
        <Text size="sm" c="dimmed">
          {t(`networks.create.modeHelp.${mode}`)}
        </Text>
        {routed && (
          <SimpleGrid cols={2}>
            <TextInput
              label={t('networks.create.bridgeName')}
              placeholder={t('networks.create.bridgeNameAuto')}
              value={bridgeName}
              onChange={(e) => setBridgeName(e.currentTarget.value)}
            />
            {(mode === 'nat' || mode === 'route') && (
              <Select
                label={t('networks.create.forwardDev')}
                placeholder={t('networks.create.forwardDevAny')}
                data={ifaceNames}
                value={forwardDev}
                onChange={setForwardDev}
                clearable
              />
            )}
          </SimpleGrid>
        )}
        {mode === 'bridge' && (
          <SimpleGrid cols={2}>
            <Select
              label={t('networks.create.hostBridge')}
              data={[...new Set([...bridges, ...(bridgeName && !bridges.includes(bridgeName) ? [bridgeName] : [])])]}
              value={bridgeName || null}
              onChange={(v) => setBridgeName(v ?? '')}
              searchable
              onSearchChange={(v) => v && setBridgeName(v)}
              nothingFoundMessage={t('networks.create.noBridges')}
            />
            <Checkbox mt="xl" label={t('networks.create.openvswitch')} checked={openvswitch} onChange={(e) => setOpenvswitch(e.currentTarget.checked)} />
          </SimpleGrid>
        )}
        {mode === 'macvtap' && (
          <SimpleGrid cols={2}>
            <Select
              label={t('networks.create.macvtapMode')}
              data={(['bridge', 'private', 'vepa', 'passthrough'] as const).map((v) => ({ value: v, label: t(`networks.macvtap.${v}`) }))}
              value={macvtapMode}
              onChange={(v) => v && setMacvtapMode(v as NetworkDraft['macvtapMode'])}
              allowDeselect={false}
            />
            <MultiSelect label={t('networks.create.macvtapInterfaces')} data={ifaceNames} value={macvtapInterfaces} onChange={setMacvtapInterfaces} />
          </SimpleGrid>
        )}
        {routed && (
          <>
            <SimpleGrid cols={2}>
              <IpFields family="ipv4" form={ipv4} onChange={setIpv4} />
              <IpFields family="ipv6" form={ipv6} onChange={setIpv6} />
            </SimpleGrid>
            <Title order={4} size="h6">
              {t('networks.create.dns')}
            </Title>
            <SimpleGrid cols={2}>
              <TextInput label={t('networks.create.domain')} value={domainName} onChange={(e) => setDomainName(e.currentTarget.value)} />
              <Checkbox mt="xl" label={t('networks.create.localOnly')} checked={localOnly} onChange={(e) => setLocalOnly(e.currentTarget.checked)} />
            </SimpleGrid>
            <Textarea
              label={t('networks.create.dnsHosts')}
              description={t('networks.create.dnsHostsHelp')}
              autosize
              minRows={1}
              value={dnsHosts}
              onChange={(e) => setDnsHosts(e.currentTarget.value)}
            />
          </>
        )}
        <SimpleGrid cols={2}>
          <Textarea
            label={t('networks.create.portGroups')}
            description={t('networks.create.portGroupsHelp')}
            autosize
            minRows={1}
            value={portGroups}
            onChange={(e) => setPortGroups(e.currentTarget.value)}
          />
          <TextInput label={t('networks.create.vlan')} description={t('networks.vlanHelp')} value={vlanText} onChange={(e) => setVlanText(e.currentTarget.value)} />
        </SimpleGrid>
        <Group>
          <Checkbox label={t('networks.create.start')} checked={start} onChange={(e) => setStart(e.currentTarget.checked)} />
          <Checkbox label={t('networks.create.autostart')} checked={autostart} onChange={(e) => setAutostart(e.currentTarget.checked)} />
        </Group>
        {error && (
          <Alert color="red" role="alert" title={t('errors.title')}>
            {error}
          </Alert>
        )}
        {current && (
          <>
            <Text size="sm" fw={500}>
              {t('networks.create.xmlTitle')}
            </Text>
            <XmlBlock xml={current.xml} testId="network-create-xml" />
          </>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('networks.cancel')}
          </Button>
          <Button variant="light" onClick={() => void showXml()}>
            {t('networks.create.preview')}
          </Button>
          <Button onClick={() => void create()} disabled={!current} loading={busy}>
            {t('networks.create.submit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
