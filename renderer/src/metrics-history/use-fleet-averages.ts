import { useEffect, useState } from 'react';
import type { HistoryRange, VmMetric } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';

/** Every VM's average of a metric over a range (keys `hostId/uuid`), refreshed every 30 s; null = off. */
export function useFleetAverages(metric: VmMetric, range: HistoryRange | null): ReadonlyMap<string, number> | null {
  const api = useApi();
  const [values, setValues] = useState<ReadonlyMap<string, number> | null>(null);
  useEffect(() => {
    setValues(null);
    if (!range) return;
    let live = true;
    const load = () =>
      api.call('metricsHistory.averages', { metric, range }).then(
        (result) => live && setValues(new Map(Object.entries(result.values))),
        () => undefined,
      );
    void load();
    const timer = setInterval(() => void load(), 30_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, metric, range]);
  return values;
}
