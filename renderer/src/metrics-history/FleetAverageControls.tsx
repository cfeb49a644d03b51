import { Select } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { HISTORY_RANGES, VM_METRICS, type HistoryRange, type VmMetric } from '../../../preload/api-contract';
import { formatMemory, formatRate } from '../format';
import { metricKey } from '../alerts/alert-text';

export interface FleetAverageChoice {
  metric: VmMetric;
  range: HistoryRange | null;
}

/** How a VM metric's average reads in the fleet column. */
export function formatVmMetric(metric: VmMetric, value: number): string {
  if (metric.endsWith('percent')) return `${value.toFixed(1)}%`;
  if (metric.endsWith('_kib')) return formatMemory(value);
  if (metric.endsWith('_bps')) return formatRate(value);
  if (metric.endsWith('_ms')) return `${value.toFixed(2)} ms`;
  return value.toFixed(1);
}

/** The fleet toolbar's "average over <range> of <metric>" pickers (the range "none" hides the column). */
export function FleetAverageControls({ value, onChange }: { value: FleetAverageChoice; onChange(value: FleetAverageChoice): void }) {
  const { t } = useTranslation();
  return (
    <>
      <Select
        w={130}
        aria-label={t('metricsHistory.fleetRange')}
        placeholder={t('metricsHistory.fleetRange')}
        data={[{ value: '', label: t('metricsHistory.noAverage') }, ...(Object.keys(HISTORY_RANGES) as HistoryRange[]).map((r) => ({ value: r, label: t(`metricsHistory.ranges.${r}`) }))]}
        value={value.range ?? ''}
        onChange={(range) => onChange({ ...value, range: range ? (range as HistoryRange) : null })}
        allowDeselect={false}
      />
      {value.range && (
        <Select
          w={240}
          aria-label={t('metricsHistory.fleetMetric')}
          data={VM_METRICS.map((m) => ({ value: m, label: t(`alerts.metrics.${metricKey(m)}` as never) as string }))}
          value={value.metric}
          onChange={(metric) => metric && onChange({ ...value, metric: metric as VmMetric })}
          allowDeselect={false}
        />
      )}
    </>
  );
}
