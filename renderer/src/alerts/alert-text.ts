import type { TFunction } from 'i18next';
import type { Alert, AlertMetric } from '../../../preload/api-contract';

/** How a metric's value reads (units by the metric's name). */
export function formatMetricValue(metric: AlertMetric, value: number): string {
  if (metric.endsWith('percent')) return `${value.toFixed(1)} %`;
  if (metric.endsWith('_ms')) return `${value.toFixed(2)} ms`;
  if (metric.endsWith('_kib')) return `${(value / 1024).toFixed(0)} MiB`;
  if (metric.endsWith('_bps')) return `${(value / 1024).toFixed(1)} KiB/s`;
  return value.toFixed(2);
}

/** "vm.cpu.percent > 50 for 20 s (peak 99.8 %)" or the event's detail. */
export function alertSummary(alert: Alert, t: TFunction): string {
  if (alert.metric.startsWith('vm.event.')) return alert.detail ?? t(`alerts.metrics.${metricKey(alert.metric)}` as never);
  const peak = alert.peak === null ? '' : ` · ${t('alerts.peak')} ${formatMetricValue(alert.metric, alert.peak)}`;
  return `${t(`alerts.metrics.${metricKey(alert.metric)}` as never)} ${alert.comparison} ${alert.threshold} · ${alert.durationSec} s${peak}`;
}

/** A metric's translation key (i18n keys use '.' as the path separator). */
export function metricKey(metric: AlertMetric): string {
  return metric.replaceAll('.', '_');
}
