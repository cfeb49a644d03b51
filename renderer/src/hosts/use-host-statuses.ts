import { useEffect, useState } from 'react';
import type { HostStatus } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';

/** Every host's connection state, live. */
export function useHostStatuses(): ReadonlyMap<string, HostStatus> {
  const api = useApi();
  const [statuses, setStatuses] = useState<ReadonlyMap<string, HostStatus>>(new Map());
  useEffect(() => {
    let live = true;
    const unsubscribe = api.subscribe('hosts.status', (status) => {
      if (live) setStatuses((current) => new Map(current).set(status.hostId, status));
    });
    api.call('hosts.statuses', null).then(
      (all) => {
        if (!live) return;
        setStatuses((current) => {
          const next = new Map(all.map((status) => [status.hostId, status]));
          // Events that arrived while the list was on its way are newer.
          for (const [id, status] of current) if ((next.get(id)?.since ?? 0) < status.since) next.set(id, status);
          return next;
        });
      },
      () => undefined,
    );
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api]);
  return statuses;
}
