import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Card, Group, Progress, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { BenchmarkCheck, BenchmarkJob, BenchmarkResult, StoragePoolSummary } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { formatBytes, formatRate } from '../format';

/** The profiles offered: size of the temporary file and the total run time of the four tests. */
export const BENCHMARK_PROFILES = {
  quick: { sizeMiB: 64, durationSec: 8 },
  standard: { sizeMiB: 1024, durationSec: 60 },
  thorough: { sizeMiB: 4096, durationSec: 240 },
} as const;
type Profile = keyof typeof BENCHMARK_PROFILES;

const latency = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`);
const DIR_POOLS = new Set(['dir', 'fs', 'netfs']);

/** Host page → Benchmark: fio on a temporary file in a pool's directory, with progress, cancel and results. */
export function BenchmarkPanel({ hostId }: { hostId: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const [pools, setPools] = useState<StoragePoolSummary[]>([]);
  const [pool, setPool] = useState<string | null>(null);
  const [profile, setProfile] = useState<Profile>('quick');
  const [check, setCheck] = useState<BenchmarkCheck | null>(null);
  const [job, setJob] = useState<BenchmarkJob | null>(null);
  const [results, setResults] = useState<BenchmarkResult[]>([]);
  const [error, setError] = useState<string | null>(null);

  const loadResults = useCallback(
    () => api.call('storageBenchmark.results', { hostId }).then(setResults, () => undefined),
    [api, hostId],
  );

  useEffect(() => {
    let live = true;
    api.call('storage.pools', { hostId }).then(
      (list) => {
        if (!live) return;
        const running = list.filter((p) => p.state === 'running');
        setPools(running);
        setPool((current) => current ?? running.find((p) => DIR_POOLS.has(p.type))?.name ?? running[0]?.name ?? null);
      },
      (e: unknown) => live && setError(errorMessage(e)),
    );
    // A run started earlier (another window, before a reload) is picked up.
    api.call('storageBenchmark.jobs', null).then(
      (jobs) => live && setJob(jobs.filter((j) => j.hostId === hostId).sort((a, b) => b.startedAt - a.startedAt)[0] ?? null),
      () => undefined,
    );
    void loadResults();
    const unsubscribe = api.subscribe('storageBenchmark.progress', (update) => {
      if (!live || update.hostId !== hostId) return;
      setJob((current) => (current === null || current.jobId === update.jobId || update.startedAt >= current.startedAt ? update : current));
      if (update.state !== 'running') void loadResults();
    });
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api, hostId, loadResults]);

  useEffect(() => {
    setCheck(null);
    if (!pool) return;
    let live = true;
    api.call('storageBenchmark.check', { hostId, pool }).then(
      (value) => live && setCheck(value),
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [api, hostId, pool]);

  const running = job?.state === 'running';
  const start = async () => {
    if (!pool) return;
    setError(null);
    try {
      setJob(await api.call('storageBenchmark.start', { hostId, pool, ...BENCHMARK_PROFILES[profile] }));
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const cancel = async () => {
    if (!job) return;
    try {
      setJob(await api.call('storageBenchmark.cancel', { jobId: job.jobId }));
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <Stack gap="md" data-testid="storage-benchmark">
      <Card withBorder>
        <Title order={3} size="h5" mb="xs">
          {t('storageBenchmark.title')}
        </Title>
        <Text size="sm" c="dimmed" mb="sm">
          {t('storageBenchmark.intro')}
        </Text>
        <Group align="flex-end">
          <Select
            label={t('storageBenchmark.pool')}
            data={pools.map((p) => ({ value: p.name, label: `${p.name} (${p.type})` }))}
            value={pool}
            onChange={setPool}
            allowDeselect={false}
            disabled={running}
            w={260}
          />
          <Select
            label={t('storageBenchmark.profile')}
            data={(Object.keys(BENCHMARK_PROFILES) as Profile[]).map((p) => ({ value: p, label: t(`storageBenchmark.profiles.${p}`) }))}
            value={profile}
            onChange={(value) => value && setProfile(value as Profile)}
            allowDeselect={false}
            disabled={running}
            w={240}
          />
          {running ? (
            <Button color="red" variant="light" onClick={() => void cancel()}>
              {t('storageBenchmark.cancel')}
            </Button>
          ) : (
            <Button onClick={() => void start()} disabled={!check?.fio || !check.poolPath}>
              {t('storageBenchmark.run')}
            </Button>
          )}
        </Group>
        {check && (
          <Text size="xs" c="dimmed" mt="xs" data-testid="storage-benchmark-check">
            {check.poolPath ? t('storageBenchmark.poolPath', { path: check.poolPath }) : t('storageBenchmark.noPath')}
            {check.availableBytes !== null ? ` · ${t('storageBenchmark.free', { free: formatBytes(check.availableBytes) })}` : ''}
            {check.fio ? ` · ${t('storageBenchmark.fio', { version: check.fio })}` : ''}
          </Text>
        )}
        {check && !check.fio && (
          <Alert color="yellow" mt="sm">
            {t('storageBenchmark.noFio', { hint: check.installHint })}
          </Alert>
        )}
        {error && (
          <Alert color="red" mt="sm">
            {error}
          </Alert>
        )}
        {job && running && (
          <Stack gap={4} mt="sm" data-testid="storage-benchmark-progress">
            <Progress value={job.progress * 100} animated />
            <Text size="sm">
              {t('storageBenchmark.running', {
                phase: job.phase ? t(`storageBenchmark.phases.${job.phase}`) : '…',
                seconds: job.secondsLeft,
              })}
            </Text>
          </Stack>
        )}
        {job?.state === 'cancelled' && (
          <Alert color="gray" mt="sm" data-testid="storage-benchmark-cancelled">
            {t('storageBenchmark.cancelled')}
          </Alert>
        )}
        {job?.state === 'failed' && (
          <Alert color="red" mt="sm">
            {t('storageBenchmark.failed', { error: job.error ?? '' })}
          </Alert>
        )}
      </Card>
      <Card withBorder>
        <Title order={3} size="h5" mb="xs">
          {t('storageBenchmark.results')}
        </Title>
        {results.length === 0 && <Text size="sm">{t('storageBenchmark.noResults')}</Text>}
        <Stack gap="md">
          {results.slice(0, 5).map((result) => (
            <div key={result.id} data-testid={`storage-benchmark-result-${result.id}`}>
              <Text size="sm" fw={500}>
                {new Date(result.at).toLocaleString()}
              </Text>
              <Text size="xs" c="dimmed">
                {t('storageBenchmark.runInfo', {
                  pool: result.pool,
                  size: formatBytes(result.sizeMiB * 1024 * 1024),
                  seconds: result.durationSec,
                  fio: result.fioVersion,
                  direct: result.direct ? '' : t('storageBenchmark.buffered'),
                })}
              </Text>
              <Table striped mt={4}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('storageBenchmark.test')}</Table.Th>
                    <Table.Th ta="right">{t('storageBenchmark.iops')}</Table.Th>
                    <Table.Th ta="right">{t('storageBenchmark.bandwidth')}</Table.Th>
                    <Table.Th ta="right">{t('storageBenchmark.latMean')}</Table.Th>
                    <Table.Th ta="right">{t('storageBenchmark.latP99')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {result.tests.map((test) => (
                    <Table.Tr key={test.name} data-testid={`storage-benchmark-${test.name}`}>
                      <Table.Td>{t(`storageBenchmark.phases.${test.name}`)}</Table.Td>
                      <Table.Td ta="right">{Math.round(test.iops).toLocaleString()}</Table.Td>
                      <Table.Td ta="right">{formatRate(test.bandwidthBps)}</Table.Td>
                      <Table.Td ta="right">{latency(test.latencyUs.mean)}</Table.Td>
                      <Table.Td ta="right">{latency(test.latencyUs.p99)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
          ))}
        </Stack>
      </Card>
    </Stack>
  );
}
