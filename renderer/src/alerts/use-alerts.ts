import { useEffect, useState } from 'react';
import type { Alert, AlertTarget } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';

export function targetKey(target: AlertTarget): string {
  return target.kind === 'host' ? target.hostId : `${target.hostId}/${target.uuid}`;
}

/** Every alert main keeps (open, acknowledged and resolved), live. */
export function useAlerts(): Alert[] {
  const api = useApi();
  const [alerts, setAlerts] = useState<Alert[]>([]);
  useEffect(() => {
    let live = true;
    const byId = new Map<string, Alert>();
    const publish = () => live && setAlerts([...byId.values()].sort((a, b) => b.startedAt - a.startedAt));
    const unsubscribe = api.subscribe('alerts.changed', (alert) => {
      byId.set(alert.id, alert);
      publish();
    });
    api.call('alerts.list', { includeResolved: true }).then(
      (list) => {
        for (const alert of list) if (!byId.has(alert.id)) byId.set(alert.id, alert);
        publish();
      },
      () => undefined,
    );
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api]);
  return alerts;
}

const SEVERITY_ORDER = { info: 0, warning: 1, critical: 2 } as const;

/** The worst open (or acknowledged) alert per target key: what the badges show. */
export function activeByTarget(alerts: readonly Alert[]): Map<string, Alert> {
  const map = new Map<string, Alert>();
  for (const alert of alerts) {
    if (alert.status === 'resolved') continue;
    const key = targetKey(alert.target);
    const known = map.get(key);
    if (!known || SEVERITY_ORDER[alert.severity] > SEVERITY_ORDER[known.severity]) map.set(key, alert);
  }
  return map;
}
