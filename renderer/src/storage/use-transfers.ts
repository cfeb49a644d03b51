import { useEffect, useState } from 'react';
import type { TransferStatus } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';

/** Every transfer of this run, kept current from `storage.transfer` events. */
export function useTransfers(hostId?: string): TransferStatus[] {
  const api = useApi();
  const [byId, setById] = useState<Map<string, TransferStatus>>(new Map());
  useEffect(() => {
    let live = true;
    const merge = (list: TransferStatus[]) =>
      setById((previous) => {
        const next = new Map(previous);
        for (const status of list) next.set(status.id, status);
        return next;
      });
    const unsubscribe = api.subscribe('storage.transfer', (status) => live && merge([status]));
    api.call('storage.transfers', null).then((list) => live && merge(list), () => undefined);
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api]);
  return [...byId.values()]
    .filter((t) => hostId === undefined || t.hostId === hostId)
    .sort((a, b) => Number(b.state === 'running') - Number(a.state === 'running') || b.startedAt - a.startedAt);
}
