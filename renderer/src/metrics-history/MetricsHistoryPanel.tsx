import { useEffect, useMemo, useState } from 'react';
import { Button, Card, Group, SegmentedControl, SimpleGrid, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { HISTORY_RANGES, type HistoryRange, type MetricName, type MetricsEntity, type MetricsHistory } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { formatMemory, formatRate } from '../format';
import { HistoryChart, type HistorySeries } from './HistoryChart';

interface ChartSpec {
  titleKey: string;
  metrics: Array<{ metric: MetricName; labelKey: string; color: string }>;
  format(value: number): string;
  yMax?: number;
  yMinTop?: number;
}

const percent = (v: number) => `${v.toFixed(0)}%`;
const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

function chartsFor(entity: MetricsEntity, memoryMaxKiB?: number): ChartSpec[] {
  if (entity.kind === 'host') {
    return [
      { titleKey: 'cpu', metrics: [{ metric: 'host.cpu.percent', labelKey: 'cpu', color: '#228be6' }, { metric: 'host.cpu.iowait_percent', labelKey: 'iowait', color: '#f76707' }], format: percent, yMax: 100 },
      { titleKey: 'memory', metrics: [{ metric: 'host.memory.used_kib', labelKey: 'used', color: '#12b886' }], format: formatMemory, ...(memoryMaxKiB ? { yMax: memoryMaxKiB } : {}) },
      { titleKey: 'load', metrics: [{ metric: 'host.load1', labelKey: 'load1', color: '#7950f2' }], format: (v) => v.toFixed(2) },
      { titleKey: 'diskWait', metrics: [{ metric: 'host.disk.await_ms', labelKey: 'await', color: '#e64980' }], format: ms, yMinTop: 2 },
    ];
  }
  return [
    { titleKey: 'cpu', metrics: [{ metric: 'vm.cpu.percent', labelKey: 'cpu', color: '#228be6' }], format: percent, yMax: 100 },
    {
      titleKey: 'memory',
      metrics: [
        { metric: 'vm.memory.balloon_kib', labelKey: 'balloon', color: '#12b886' },
        { metric: 'vm.memory.guest_used_kib', labelKey: 'guestUsed', color: '#fab005' },
        { metric: 'vm.memory.rss_kib', labelKey: 'rss', color: '#868e96' },
      ],
      format: formatMemory,
      ...(memoryMaxKiB ? { yMax: memoryMaxKiB } : {}),
    },
    { titleKey: 'disk', metrics: [{ metric: 'vm.disk.read_bps', labelKey: 'read', color: '#7950f2' }, { metric: 'vm.disk.write_bps', labelKey: 'write', color: '#f76707' }], format: formatRate, yMinTop: 4096 },
    { titleKey: 'diskLatency', metrics: [{ metric: 'vm.disk.latency_ms', labelKey: 'latency', color: '#e64980' }], format: ms, yMinTop: 1 },
    { titleKey: 'network', metrics: [{ metric: 'vm.net.rx_bps', labelKey: 'received', color: '#1098ad' }, { metric: 'vm.net.tx_bps', labelKey: 'sent', color: '#e64980' }], format: formatRate, yMinTop: 4096 },
  ];
}

const RANGES = Object.keys(HISTORY_RANGES) as HistoryRange[];

/**
 * Charts of a host or VM over a chosen range (15 min … 30 days) from the history kept in main: drag to
 * zoom (the window is fetched again at the finest resolution kept for it), double-click or "Reset zoom"
 * to go back; the crosshair shows the values.
 */
export function MetricsHistoryPanel({ entity, memoryMaxKiB }: { entity: MetricsEntity; memoryMaxKiB?: number }) {
  const { t } = useTranslation();
  const api = useApi();
  const [range, setRange] = useState<HistoryRange>('15m');
  const [zoom, setZoom] = useState<{ from: number; to: number } | null>(null);
  const [history, setHistory] = useState<MetricsHistory | null>(null);
  const entityKey = entity.kind === 'host' ? entity.hostId : `${entity.hostId}/${entity.uuid}`;
  const charts = useMemo(() => chartsFor(entity, memoryMaxKiB), [entity, memoryMaxKiB]);

  useEffect(() => {
    let live = true;
    const load = () => {
      const now = Date.now();
      const window = zoom ?? { from: now - HISTORY_RANGES[range], to: now };
      api.call('metricsHistory.read', { entity, from: window.from, to: window.to }).then(
        (value) => live && setHistory(value),
        () => undefined,
      );
    };
    load();
    // Live ranges follow the tick; long ones change once a bucket.
    const timer = zoom ? null : setInterval(load, HISTORY_RANGES[range] <= HISTORY_RANGES['1h'] ? 2_000 : 30_000);
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, entityKey, range, zoom]);

  const bucketed = history !== null && history.resolution !== 'raw';
  return (
    <Card withBorder data-testid="metrics-history">
      <Group justify="space-between" mb="xs" wrap="wrap">
        <Group gap="sm">
          <Title order={3} size="h5">
            {t('metricsHistory.title')}
          </Title>
          <Text size="xs" c="dimmed" data-testid="metrics-history-resolution">
            {history ? t(`metricsHistory.resolution.${history.resolution}`) : ''}
          </Text>
        </Group>
        <Group gap="xs">
          {zoom && (
            <Button size="xs" variant="subtle" onClick={() => setZoom(null)}>
              {t('metricsHistory.resetZoom')}
            </Button>
          )}
          <SegmentedControl
            size="xs"
            aria-label={t('metricsHistory.range')}
            value={range}
            onChange={(value) => {
              setZoom(null);
              setRange(value as HistoryRange);
            }}
            data={RANGES.map((value) => ({ value, label: t(`metricsHistory.ranges.${value}`) }))}
          />
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {charts.map((chart) => {
          const title = t(`metricsHistory.charts.${chart.titleKey}` as never) as string;
          const series: HistorySeries[] = chart.metrics.map((m) => {
            const data = history?.series[m.metric];
            return {
              label: t(`metricsHistory.series.${m.labelKey}` as never) as string,
              color: m.color,
              values: data?.avg ?? [],
              ...(bucketed && data?.min && data.max ? { min: data.min, max: data.max } : {}),
            };
          });
          return (
            <div key={chart.titleKey} data-testid={`history-chart-${chart.titleKey}`}>
              <Text size="sm" fw={500} mb={4}>
                {title}
              </Text>
              <HistoryChart
                label={title}
                times={history?.times ?? []}
                series={series}
                yMax={chart.yMax}
                yMinTop={chart.yMinTop}
                format={chart.format}
                onZoom={(from, to) => setZoom({ from, to })}
                onZoomReset={() => setZoom(null)}
              />
            </div>
          );
        })}
      </SimpleGrid>
    </Card>
  );
}
