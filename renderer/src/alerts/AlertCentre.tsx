import { useEffect, useMemo, useState } from 'react';
import { Alert as MantineAlert, Badge, Button, Card, Group, Modal, NumberInput, Select, Stack, Switch, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import {
  ALERT_CONDITIONS,
  HOST_METRICS,
  VM_METRICS,
  type Alert,
  type AlertRule,
  type AlertTarget,
  type FleetDomain,
  type HostEntry,
} from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { SEVERITY_COLORS } from './AlertBadge';
import { alertSummary, formatMetricValue, metricKey } from './alert-text';
import { useAlerts } from './use-alerts';

const METRICS = [...VM_METRICS, ...HOST_METRICS, ...ALERT_CONDITIONS];

function when(ms: number | null): string {
  return ms === null ? '–' : new Date(ms).toLocaleString();
}

/** The alert centre: open, acknowledged and resolved alerts, and the rules that raise them. */
export function AlertCentre({
  hosts,
  domains,
  onOpen,
}: {
  hosts: HostEntry[];
  domains: FleetDomain[];
  onOpen(target: AlertTarget): void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const alerts = useAlerts();
  const [tab, setTab] = useState<string>('open');
  const shown = alerts.filter((alert) => alert.status === tab);
  const hostName = (id: string) => hosts.find((h) => h.id === id)?.displayName ?? id;
  const count = (status: Alert['status']) => alerts.filter((a) => a.status === status).length;

  return (
    <Stack gap="md">
      <Title order={2}>{t('alerts.title')}</Title>
      <Tabs value={tab} onChange={(value) => setTab(value ?? 'open')}>
        <Tabs.List>
          {(['open', 'acknowledged', 'resolved'] as const).map((status) => (
            <Tabs.Tab key={status} value={status}>
              {t(`alerts.status.${status}`)} ({count(status)})
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Table striped data-testid="alert-list" aria-label={t('alerts.listLabel')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('alerts.columns.severity')}</Table.Th>
            <Table.Th>{t('alerts.columns.rule')}</Table.Th>
            <Table.Th>{t('alerts.columns.target')}</Table.Th>
            <Table.Th>{t('alerts.columns.started')}</Table.Th>
            <Table.Th>{t('alerts.columns.ended')}</Table.Th>
            <Table.Th>{t('alerts.columns.values')}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={7}>
                <Text size="sm" c="dimmed">
                  {t('alerts.none')}
                </Text>
              </Table.Td>
            </Table.Tr>
          )}
          {shown.map((alert) => (
            <Table.Tr key={alert.id} data-testid="alert-row" data-status={alert.status} aria-label={`${alert.ruleName} ${alert.targetName}`}>
              <Table.Td>
                <Badge color={SEVERITY_COLORS[alert.severity]}>{t(`alerts.severity.${alert.severity}`)}</Badge>
              </Table.Td>
              <Table.Td>
                <Text size="sm" fw={500}>
                  {alert.ruleName}
                </Text>
                <Text size="xs" c="dimmed">
                  {alertSummary(alert, t)}
                </Text>
              </Table.Td>
              <Table.Td>
                <Button variant="subtle" size="compact-sm" onClick={() => onOpen(alert.target)}>
                  {alert.targetName}
                </Button>
                {alert.target.kind === 'vm' && (
                  <Text size="xs" c="dimmed">
                    {t('domain.onHost', { host: hostName(alert.target.hostId) })}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{when(alert.startedAt)}</Text>
                <Text size="xs" c="dimmed">
                  {t('alerts.conditionSince', { time: new Date(alert.conditionSince).toLocaleTimeString() })}
                </Text>
              </Table.Td>
              <Table.Td>{when(alert.endedAt)}</Table.Td>
              <Table.Td>
                <Text size="xs" ff="monospace" data-testid="alert-values">
                  {alert.values.slice(-5).map((v) => formatMetricValue(alert.metric, v.value)).join(', ')}
                </Text>
              </Table.Td>
              <Table.Td>
                {alert.status === 'open' && (
                  <Button size="xs" variant="light" onClick={() => void api.call('alerts.acknowledge', { ids: [alert.id] })}>
                    {t('alerts.acknowledge')}
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <AlertRules hosts={hosts} domains={domains} />
    </Stack>
  );
}


function newRule(): AlertRule {
  return {
    id: `rule-${Date.now().toString(36)}`,
    name: '',
    enabled: true,
    metric: 'vm.cpu.percent',
    comparison: '>',
    threshold: 90,
    durationSec: 300,
    scope: { kind: 'all' },
    severity: 'warning',
  };
}

function AlertRules({ hosts, domains }: { hosts: HostEntry[]; domains: FleetDomain[] }) {
  const { t } = useTranslation();
  const api = useApi();
  const [rules, setRules] = useState<AlertRule[]>([]);
  const [editing, setEditing] = useState<AlertRule | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.call('alerts.rules', null).then(setRules, () => undefined);
  }, [api]);
  const run = (promise: Promise<AlertRule[]>) =>
    promise.then(
      (next) => {
        setRules(next);
        setEditing(null);
        setError(null);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
  const scopeText = (rule: AlertRule) => {
    const s = rule.scope;
    if (s.kind === 'all') return t('alerts.scope.all');
    if (s.kind === 'host') return `${t('alerts.scope.host')}: ${hosts.find((h) => h.id === s.hostId)?.displayName ?? s.hostId}`;
    if (s.kind === 'tag') return `${t('alerts.scope.tag')}: ${s.tag}`;
    return `${t('alerts.scope.vm')}: ${domains.find((d) => d.hostId === s.hostId && d.uuid === s.uuid)?.name ?? s.uuid}`;
  };
  return (
    <Card withBorder data-testid="alert-rules">
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h5">
          {t('alerts.rules.title')}
        </Title>
        <Group gap="xs">
          <Button size="xs" variant="default" onClick={() => void run(api.call('alerts.restoreDefaults', null))}>
            {t('alerts.rules.restoreDefaults')}
          </Button>
          <Button size="xs" onClick={() => setEditing(newRule())}>
            {t('alerts.rules.add')}
          </Button>
        </Group>
      </Group>
      {error && <MantineAlert color="red">{error}</MantineAlert>}
      <Table>
        <Table.Tbody>
          {rules.map((rule) => (
            <Table.Tr key={rule.id} data-testid="alert-rule" aria-label={rule.name}>
              <Table.Td>
                <Text size="sm" fw={500} c={rule.enabled ? undefined : 'dimmed'}>
                  {rule.name}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {rule.metric.startsWith('vm.event.') ? t(`alerts.metrics.${metricKey(rule.metric)}` as never) : `${rule.metric} ${rule.comparison} ${rule.threshold} · ${rule.durationSec} s`}
                </Text>
              </Table.Td>
              <Table.Td>{scopeText(rule)}</Table.Td>
              <Table.Td>
                <Badge color={SEVERITY_COLORS[rule.severity]} variant="light">
                  {t(`alerts.severity.${rule.severity}`)}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Group gap={4} justify="flex-end">
                  <Button size="compact-xs" variant="subtle" onClick={() => setEditing(rule)}>
                    {t('alerts.rules.edit')}
                  </Button>
                  <Button size="compact-xs" variant="subtle" color="red" onClick={() => void run(api.call('alerts.deleteRule', { id: rule.id }))}>
                    {t('alerts.rules.delete')}
                  </Button>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {editing && (
        <RuleDialog
          rule={editing}
          hosts={hosts}
          domains={domains}
          onCancel={() => setEditing(null)}
          onSave={(rule) => void run(api.call('alerts.saveRule', rule))}
        />
      )}
    </Card>
  );
}

function RuleDialog({
  rule,
  hosts,
  domains,
  onCancel,
  onSave,
}: {
  rule: AlertRule;
  hosts: HostEntry[];
  domains: FleetDomain[];
  onCancel(): void;
  onSave(rule: AlertRule): void;
}) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<AlertRule>(rule);
  const tags = useMemo(() => [...new Set(hosts.flatMap((h) => [...h.tags, ...(h.group ? [h.group] : [])]))].sort(), [hosts]);
  const scopeKind = draft.scope.kind;
  const event = draft.metric.startsWith('vm.event.');
  return (
    <Modal opened onClose={onCancel} title={t('alerts.rules.dialogTitle')} size="lg">
      <Stack gap="sm">
        <TextInput label={t('alerts.rules.name')} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} />
        <Select
          label={t('alerts.rules.metric')}
          data={METRICS.map((m) => ({ value: m, label: `${t(`alerts.metrics.${metricKey(m)}` as never)} (${m})` }))}
          value={draft.metric}
          onChange={(value) => value && setDraft({ ...draft, metric: value as AlertRule['metric'] })}
          searchable
          allowDeselect={false}
        />
        {!event && (
          <Group grow>
            <Select
              label={t('alerts.rules.comparison')}
              data={['>', '>=', '<', '<=']}
              value={draft.comparison}
              onChange={(value) => value && setDraft({ ...draft, comparison: value as AlertRule['comparison'] })}
              allowDeselect={false}
            />
            <NumberInput label={t('alerts.rules.threshold')} value={draft.threshold} onChange={(value) => setDraft({ ...draft, threshold: Number(value) || 0 })} />
            <NumberInput label={t('alerts.rules.duration')} min={0} value={draft.durationSec} onChange={(value) => setDraft({ ...draft, durationSec: Math.max(0, Math.round(Number(value) || 0)) })} />
          </Group>
        )}
        <Group grow>
          <Select
            label={t('alerts.rules.scope')}
            data={(['all', 'host', 'tag', 'vm'] as const).map((kind) => ({ value: kind, label: t(`alerts.scope.${kind}`) }))}
            value={scopeKind}
            onChange={(value) => {
              if (value === 'all') setDraft({ ...draft, scope: { kind: 'all' } });
              if (value === 'host') setDraft({ ...draft, scope: { kind: 'host', hostId: hosts[0]?.id ?? '' } });
              if (value === 'tag') setDraft({ ...draft, scope: { kind: 'tag', tag: tags[0] ?? '' } });
              if (value === 'vm') setDraft({ ...draft, scope: { kind: 'vm', hostId: domains[0]?.hostId ?? '', uuid: domains[0]?.uuid ?? '' } });
            }}
            allowDeselect={false}
          />
          {draft.scope.kind === 'host' && (
            <Select
              label={t('alerts.scope.host')}
              data={hosts.map((h) => ({ value: h.id, label: h.displayName }))}
              value={draft.scope.hostId}
              onChange={(value) => value && setDraft({ ...draft, scope: { kind: 'host', hostId: value } })}
              allowDeselect={false}
            />
          )}
          {draft.scope.kind === 'tag' && (
            <Select
              label={t('alerts.scope.tag')}
              data={tags}
              value={draft.scope.tag}
              onChange={(value) => value && setDraft({ ...draft, scope: { kind: 'tag', tag: value } })}
              allowDeselect={false}
            />
          )}
          {draft.scope.kind === 'vm' && (
            <Select
              label={t('alerts.scope.vm')}
              data={domains.map((d) => ({ value: `${d.hostId}/${d.uuid}`, label: `${d.name} (${hosts.find((h) => h.id === d.hostId)?.displayName ?? d.hostId})` }))}
              value={`${draft.scope.hostId}/${draft.scope.uuid}`}
              onChange={(value) => {
                if (!value) return;
                const [hostId = '', uuid = ''] = value.split('/');
                setDraft({ ...draft, scope: { kind: 'vm', hostId, uuid } });
              }}
              searchable
              allowDeselect={false}
            />
          )}
        </Group>
        <Group grow>
          <Select
            label={t('alerts.rules.severity')}
            data={(['info', 'warning', 'critical'] as const).map((s) => ({ value: s, label: t(`alerts.severity.${s}`) }))}
            value={draft.severity}
            onChange={(value) => value && setDraft({ ...draft, severity: value as AlertRule['severity'] })}
            allowDeselect={false}
          />
          <Switch mt="lg" label={t('alerts.rules.enabled')} checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: e.currentTarget.checked })} />
        </Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('alerts.rules.cancel')}
          </Button>
          <Button onClick={() => onSave({ ...draft, name: draft.name.trim() || draft.metric })}>{t('alerts.rules.save')}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
