import { useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  Group,
  List,
  Loader,
  Modal,
  NumberInput,
  Select,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconX } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { MigrationCheck, MigrationJob, MigrationOptions, MigrationPlan } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { useBusyCall } from '../api/use-busy-call';
import { useJobUpdates } from '../api/use-job-updates';
import { formatBytes } from '../format';
import type { MigrateTarget } from './migrate-store';
import { MigrationJobView, MigrationText, migrationEnded } from './MigrationJobView';

function CheckIcon({ status }: { status: MigrationCheck['status'] }) {
  if (status === 'ok')
    return (
      <ThemeIcon color="green" size={18} radius="xl">
        <IconCheck size={12} />
      </ThemeIcon>
    );
  if (status === 'warning')
    return (
      <ThemeIcon color="yellow" size={18} radius="xl">
        <IconAlertTriangle size={12} />
      </ThemeIcon>
    );
  return (
    <ThemeIcon color="red" size={18} radius="xl">
      <IconX size={12} />
    </ThemeIcon>
  );
}

/**
 * Migrate a guest: the destination among the connected hosts, the checks with their reasons (re-run as
 * options change), the options, the route; Migrate runs it with progress (bytes, rate, time left),
 * cancel and a switch to post-copy. Closing the dialog leaves it running (a notification follows it).
 */
export function MigrateDialog({ target, onClose }: { target: MigrateTarget; onClose(running: MigrationJob | null): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [plan, setPlan] = useState<MigrationPlan | null>(null);
  const [destination, setDestination] = useState<string | null>(null);
  const [options, setOptions] = useState<MigrationOptions | null>(null);
  const [checking, setChecking] = useState(false);
  const { busy, error, setError, run: act } = useBusyCall();
  const { job, setJob, jobId } = useJobUpdates('migration.progress');
  const [hostNames, setHostNames] = useState<Map<string, string>>(new Map());

  // A migration of this guest already running (started before a reload): show it.
  useEffect(() => {
    let live = true;
    void (async () => {
      const hosts = await api.call('hosts.list', null).catch(() => []);
      if (live) setHostNames(new Map(hosts.map((h) => [h.id, h.displayName])));
      const running = (await api.call('migration.jobs', null).catch(() => [])).find((j) => j.uuid === target.uuid && !migrationEnded(j));
      if (running && live) {
        jobId.current = running.jobId;
        setJob(running);
      }
    })();
    return () => {
      live = false;
    };
  }, [api, target.uuid, jobId, setJob]);

  // The plan: first without a destination (lists them), then for the chosen one and the options.
  useEffect(() => {
    let live = true;
    setChecking(true);
    const timer = setTimeout(
      () =>
        void api
          .call('migration.plan', { hostId: target.hostId, uuid: target.uuid, destinationHostId: destination, options })
          .then((loaded) => {
            if (!live) return;
            setPlan(loaded);
            setError(null);
            if (options === null && destination !== null) setOptions(loaded.options);
            if (destination === null && loaded.destinations.length === 1) setDestination(loaded.destinations[0]?.hostId ?? null);
          })
          .catch((e: unknown) => live && setError(errorMessage(e)))
          .finally(() => live && setChecking(false)),
      options ? 300 : 0,
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, target.hostId, target.uuid, destination, options, setError]);

  const hostName = useMemo(() => (id: string) => hostNames.get(id) ?? plan?.destinations.find((d) => d.hostId === id)?.name ?? id, [hostNames, plan]);
  const set = <K extends keyof MigrationOptions>(key: K, value: MigrationOptions[K]) => setOptions((o) => (o ? { ...o, [key]: value } : o));
  const blockers = plan?.checks.filter((c) => c.status === 'blocker') ?? [];
  const runningJob = job && !migrationEnded(job) ? job : null;
  const close = () => onClose(runningJob);

  return (
    <Modal opened onClose={close} title={t('migration.title', { name: target.name })} size="xl" centered>
      <Stack data-testid="migrate-dialog">
        {job ? (
          <>
            <MigrationJobView job={job} hostName={hostName} />
            <Group justify="flex-end">
              {job.options.postCopy && job.state === 'running' && job.step === 'perform' && (
                <Button variant="light" loading={busy} onClick={() => void act(async () => setJob(await api.call('migration.postCopy', { jobId: job.jobId })))} data-testid="migration-postcopy">
                  {t('migration.switchPostCopy')}
                </Button>
              )}
              {!migrationEnded(job) && job.state !== 'interrupted' && job.state !== 'postcopy' && job.step !== 'finish' && job.step !== 'confirm' && (
                <Button color="red" variant="light" loading={busy} onClick={() => void act(async () => setJob(await api.call('migration.cancel', { jobId: job.jobId })))} data-testid="migration-cancel">
                  {t('migration.cancel')}
                </Button>
              )}
              <Button variant="default" onClick={close}>
                {t('migration.close')}
              </Button>
            </Group>
            {error && <Alert color="red">{error}</Alert>}
          </>
        ) : !plan ? (
          error ? <Alert color="red">{error}</Alert> : <Group><Loader size="sm" /><Text size="sm">{t('migration.loading')}</Text></Group>
        ) : (
          <>
            {plan.destinations.length === 0 ? (
              <Alert color="yellow">{t('migration.noDestinations')}</Alert>
            ) : (
              <Select
                label={t('migration.destination')}
                data={plan.destinations.map((d) => ({ value: d.hostId, label: d.name }))}
                value={destination}
                onChange={(value) => {
                  setDestination(value);
                  setOptions(null);
                }}
                allowDeselect={false}
                data-testid="migrate-destination"
              />
            )}
            {destination && options && (
              <>
                <Title order={6}>{t('migration.disks')}</Title>
                <Table withTableBorder data-testid="migrate-disks">
                  <Table.Tbody>
                    {plan.disks.map((disk) => (
                      <Table.Tr key={disk.target}>
                        <Table.Td>{disk.target}</Table.Td>
                        <Table.Td style={{ wordBreak: 'break-all' }}>{disk.source ?? '—'}</Table.Td>
                        <Table.Td>{disk.sizeBytes !== null ? formatBytes(disk.sizeBytes) : ''}</Table.Td>
                        <Table.Td>
                          {disk.shared ? (
                            t('migration.diskShared')
                          ) : disk.copyable && options.copyStorage !== 'none' ? (
                            <Checkbox
                              label={t('migration.diskCopy')}
                              checked={options.disks.includes(disk.target)}
                              onChange={(e) =>
                                set('disks', e.currentTarget.checked ? [...options.disks, disk.target] : options.disks.filter((d) => d !== disk.target))
                              }
                            />
                          ) : (
                            t('migration.diskNotCopied')
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
                <Title order={6}>{t('migration.options')}</Title>
                <Group grow align="flex-start">
                  <Stack gap={4}>
                    <Text size="sm">{t('migration.mode')}</Text>
                    <SegmentedControl
                      size="xs"
                      value={options.mode}
                      onChange={(v) => set('mode', v as MigrationOptions['mode'])}
                      data={(['live', 'offline'] as const).map((m) => ({ value: m, label: t(`migration.modes.${m}`) }))}
                    />
                  </Stack>
                  <Stack gap={4}>
                    <Text size="sm">{t('migration.copyStorage')}</Text>
                    <SegmentedControl
                      size="xs"
                      value={options.copyStorage}
                      onChange={(v) => set('copyStorage', v as MigrationOptions['copyStorage'])}
                      data={(['none', 'full', 'incremental'] as const).map((m) => ({ value: m, label: t(`migration.copyModes.${m}`) }))}
                      data-testid="migrate-copy"
                    />
                  </Stack>
                </Group>
                <Group>
                  <Checkbox label={t('migration.persistDest')} checked={options.persistDest} onChange={(e) => set('persistDest', e.currentTarget.checked)} />
                  <Checkbox label={t('migration.undefineSource')} checked={options.undefineSource} onChange={(e) => set('undefineSource', e.currentTarget.checked)} />
                  <Checkbox label={t('migration.compression')} checked={options.compression} onChange={(e) => set('compression', e.currentTarget.checked)} />
                  <Checkbox label={t('migration.autoConverge')} checked={options.autoConverge} onChange={(e) => set('autoConverge', e.currentTarget.checked)} />
                  <Checkbox label={t('migration.postCopy')} checked={options.postCopy} onChange={(e) => set('postCopy', e.currentTarget.checked)} data-testid="migrate-postcopy-option" />
                </Group>
                <Group grow>
                  <NumberInput
                    label={t('migration.bandwidth')}
                    min={1}
                    value={options.bandwidthMiBs ?? ''}
                    onChange={(v) => set('bandwidthMiBs', typeof v === 'number' && v > 0 ? Math.round(v) : null)}
                    data-testid="migrate-bandwidth"
                  />
                  <NumberInput
                    label={t('migration.maxDowntime')}
                    min={1}
                    value={options.maxDowntimeMs ?? ''}
                    onChange={(v) => set('maxDowntimeMs', typeof v === 'number' && v > 0 ? Math.round(v) : null)}
                  />
                </Group>
                <Select
                  label={t('migration.route')}
                  data={(['auto', 'direct', 'relayed', 'peer2peer'] as const).map((r) => ({ value: r, label: t(`migration.routes.${r}`) }))}
                  value={options.route}
                  onChange={(v) => v && set('route', v as MigrationOptions['route'])}
                  allowDeselect={false}
                  description={t(`migration.routeHelp.${options.route}`)}
                  data-testid="migrate-route"
                />
                {options.route === 'peer2peer' && (
                  <TextInput
                    label={t('migration.peerUri')}
                    placeholder="qemu+ssh://root@destination/system"
                    value={options.peerUri ?? ''}
                    onChange={(e) => set('peerUri', e.currentTarget.value.trim() === '' ? null : e.currentTarget.value.trim())}
                  />
                )}
              </>
            )}
            {destination && (
              <>
                <Group gap="xs">
                  <Title order={6}>{t('migration.checks')}</Title>
                  {checking && <Loader size="xs" />}
                </Group>
                <List spacing={4} size="sm" center data-testid="migrate-checks">
                  {plan.checks.map((check, i) => (
                    <List.Item key={`${check.id}-${i}`} icon={<CheckIcon status={check.status} />} data-status={check.status} data-check={check.id}>
                      <MigrationText message={check.message} />
                    </List.Item>
                  ))}
                </List>
              </>
            )}
            {error && <Alert color="red">{error}</Alert>}
            {blockers.length > 0 && destination && <Alert color="red">{t('migration.blocked')}</Alert>}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('migration.close')}
              </Button>
              <Button
                disabled={!destination || !options || blockers.length > 0 || checking}
                loading={busy}
                data-testid="migrate-start"
                onClick={() =>
                  void act(async () => {
                    if (!destination || !options) return;
                    const id = crypto.randomUUID();
                    jobId.current = id;
                    setJob(await api.call('migration.start', { hostId: target.hostId, uuid: target.uuid, destinationHostId: destination, jobId: id, options }));
                  })
                }
              >
                {t('migration.start')}
              </Button>
            </Group>
          </>
        )}
      </Stack>
    </Modal>
  );
}
